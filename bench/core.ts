import { performance } from 'node:perf_hooks';
import { commands } from '../commands/index.ts';
import { Dispatcher } from '../src/core/dispatcher.ts';
import { silentLogger } from '../src/core/logger.ts';
import { parseCommandLine } from '../src/core/parser.ts';
import { defaultSettings } from '../src/core/settings.ts';
import { SqliteAuditLog } from '../src/db/audit-log.ts';
import { openDatabase } from '../src/db/client.ts';
import { SystemClock } from '../src/ports/clock.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { record } from './report.ts';

/** Parser throughput and full dispatch (parse, authorize, audit in a real SQLite file) per second. */
export async function run(): Promise<void> {
  const lines = ['/help', '/audit 5', '/audit -3', '/audti'];
  const n = 50_000;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    try {
      parseCommandLine(lines[i % lines.length]!, commands);
    } catch {
      // bad lines are part of the mix
    }
  }
  const parseRate = n / ((performance.now() - t) / 1000);
  const file = join(mkdtempSync(join(tmpdir(), 'dockhand-bench-')), 'bench.db');
  const database = openDatabase(file);
  const dispatcher = new Dispatcher({
    commands,
    ports: { clock: new SystemClock(), audit: new SqliteAuditLog(database.db) },
    settings: defaultSettings({ userRoles: new Map([['console:bench', 'admin']]) }),
    log: silentLogger,
  });
  const caller = { platform: 'console' as const, workspaceId: 'local', channelId: 'terminal', userId: 'bench', displayName: 'bench' };
  const m = 5_000;
  t = performance.now();
  for (let i = 0; i < m; i++) await dispatcher.run(i % 2 ? '/help' : '/audti', caller);
  const dispatchRate = m / ((performance.now() - t) / 1000);
  database.close();
  record({ bench: 'core', name: 'commands dispatched/s (parse, authorize, audit in SQLite)', value: dispatchRate, unit: '/s', baseline: { name: 'parse alone', value: parseRate }, better: 'higher' });
  console.log(`core: parse ${Math.round(parseRate).toLocaleString('en-US')} lines/s; dispatch with audit in SQLite (WAL) ${Math.round(dispatchRate).toLocaleString('en-US')} commands/s`);
}
