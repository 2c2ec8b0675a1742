/** The watcher's SQLite memory with the real migrations: what an incident update keeps. */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../../src/db/client.ts';
import { SqliteIncidentStore } from '../../src/db/incident-store.ts';
import type { Incident } from '../../src/ports/incident-store.ts';

let database: OpenDatabase | undefined;
afterEach(() => {
  database?.close();
  database = undefined;
});

describe('SqliteIncidentStore', () => {
  it('keeps every field an incident update changes, including an earlier first crash', () => {
    database = openDatabase(':memory:');
    const store = new SqliteIncidentStore(database);
    const i: Incident = { id: 'inc:prod:web:3', cluster: 'prod', service: 'web', openedAt: 300, firstCrashAt: 100, lastCrashAt: 300, crashes: 3, lastReason: 'exit 1', lastExitCode: 1, status: 'open' };
    store.createIncident(i, []);
    // A task that settled late turns out to have crashed before the ones that opened the incident.
    store.updateIncident({ ...i, firstCrashAt: 40, lastCrashAt: 400, crashes: 4, lastReason: 'exit 137 — OutOfMemoryError', lastExitCode: 137 });
    expect(store.openIncident('prod', 'web')).toMatchObject({ firstCrashAt: 40, lastCrashAt: 400, crashes: 4, lastReason: 'exit 137 — OutOfMemoryError', lastExitCode: 137 });
    store.updateIncident({ ...i, firstCrashAt: 40, lastCrashAt: 400, crashes: 4, status: 'recovered', recoveredAt: 700 });
    expect(store.openIncident('prod', 'web')).toBeNull();
    expect(store.recoveredSince(600)).toMatchObject([{ id: i.id, recoveredAt: 700, firstCrashAt: 40 }]);
  });
});
