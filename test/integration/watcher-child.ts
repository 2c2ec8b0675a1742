/**
 * A bot process for the kill test: the real watcher and delivery on a SQLite file, polling a
 * sandbox that the test runs, posting alerts to the test's fake chat over HTTP. It reads one
 * JSON command a line on stdin (`{"cmd":"poll","now":<ms>}`) and answers one JSON line per command.
 * The test SIGKILLs it at chosen moments and starts a new one on the same file.
 */
import { createInterface } from 'node:readline';
import { createAwsPorts, SANDBOX_CREDENTIALS } from '../../src/aws/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { replyToPlainText } from '../../src/core/reply.ts';
import { openDatabase } from '../../src/db/client.ts';
import { SqliteIncidentStore } from '../../src/db/incident-store.ts';
import { SqliteOutbox } from '../../src/db/outbox.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { DeliveryTarget } from '../../src/ports/outbox.ts';
import { watcherSettings } from '../../src/watcher/config.ts';
import { AlertDelivery } from '../../src/watcher/delivery.ts';
import { CrashWatcher } from '../../src/watcher/watcher.ts';

const env = process.env;
let now = Number(env.START_AT ?? Date.now());
const clock: Clock = { now: () => now, sleep: async () => undefined };
const database = openDatabase(env.DOCKHAND_DB ?? '');
const aws = createAwsPorts({ endpoint: env.SANDBOX_ENDPOINT ?? '', credentials: SANDBOX_CREDENTIALS });
const store = new SqliteIncidentStore(database);
const outbox = new SqliteOutbox(database);
const settings = watcherSettings(undefined, [{ slack: 'C1' }]);

const chat: DeliveryTarget = {
  platform: 'slack',
  async deliver(channelId, reply, opts) {
    const res = await fetch(env.CHAT_URL ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channelId, key: opts.idempotencyKey, text: replyToPlainText(reply), threadOf: opts.threadOf ?? null, updateOf: opts.updateOf ?? null }),
    });
    if (res.status !== 200) throw Object.assign(new Error(`chat answered HTTP ${res.status}`), { permanent: false });
    return opts.updateOf ? { messageRef: opts.updateOf } : ((await res.json()) as { messageRef: string });
  },
};

const delivery = new AlertDelivery({ outbox, targets: [chat], clock, log: silentLogger, rateLimitMessages: settings.rateLimitMessages, rateLimitWindowMs: settings.rateLimitWindowMs });
const watcher = new CrashWatcher({ containers: aws.containers, logs: aws.logs, store, outbox, clock, log: silentLogger, settings, clusters: [{ cluster: 'prod', region: 'us-east-1' }] });

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const msg = JSON.parse(line) as { cmd: string; now: number };
  now = msg.now;
  if (msg.cmd === 'poll') {
    const report = await watcher.poll({ cluster: 'prod', region: 'us-east-1' });
    const flushed = await delivery.flush();
    process.stdout.write(`${JSON.stringify({ ok: true, crashes: report.crashes, warnings: report.warnings, flushed })}\n`);
  } else if (msg.cmd === 'flush') {
    const flushed = await delivery.flush();
    process.stdout.write(`${JSON.stringify({ ok: true, flushed, pending: (await outbox.stats()).pending })}\n`);
  }
}
aws.destroy();
database.close();
