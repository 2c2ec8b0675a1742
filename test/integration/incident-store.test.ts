/** The incident store's contract (test/contract/incident-store.ts) on SQLite with the real migrations. */
import { openDatabase } from '../../src/db/client.ts';
import { SqliteIncidentStore } from '../../src/db/incident-store.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import { incidentStoreContract } from '../contract/incident-store.ts';

incidentStoreContract('SQLite', async () => {
  const database = openDatabase(':memory:');
  return { store: new SqliteIncidentStore(database), outbox: new SqliteOutbox(database), close: () => database.close() };
});
