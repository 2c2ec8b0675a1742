/**
 * The Discord stand-ins of the discord bench, in a worker thread: the gateway that sends the
 * interactions and the REST side that receives their callbacks run here, so the clients measured
 * on the main thread (dockhand's adapter and a bare discord.js client) do not share their event loop
 * with the stand-in's own work. Messages: `start` → {apiUrl, token} per side; `burst` → the time from
 * each INTERACTION_CREATE to its first callback; `ready` → gateway sessions; `stop`.
 */
import { parentPort } from 'node:worker_threads';
import { FakeDiscord, snowflake, type FakeUser } from '../test/fakes/discord-api.ts';

type Side = 'bare' | 'dockhand';
type Msg =
  | { type: 'start'; commands: Array<Record<string, unknown>> }
  | { type: 'burst'; side: Side; n: number }
  | { type: 'ready'; side: Side }
  | { type: 'stop' };

const users: FakeUser[] = Array.from({ length: 20 }, (_, i) => ({ id: snowflake(), username: `u${i}` }));
const fakes: Record<Side, FakeDiscord> = { bare: new FakeDiscord({ users }), dockhand: new FakeDiscord({ users }) };

parentPort!.on('message', (m: Msg) => {
  void (async () => {
    if (m.type === 'start') {
      for (const f of Object.values(fakes)) {
        await f.start();
        f.commands.set(f.guildId, m.commands.map((c) => ({ ...c, id: snowflake() })));
      }
      parentPort!.postMessage({ type: 'started', sides: Object.fromEntries(Object.entries(fakes).map(([k, f]) => [k, { apiUrl: f.apiUrl, token: f.token }])) });
    } else if (m.type === 'ready') {
      await fakes[m.side].waitFor(() => fakes[m.side].ready > 0, 10_000, `the ${m.side} client`);
      parentPort!.postMessage({ type: 'ready' });
    } else if (m.type === 'burst') {
      const f = fakes[m.side];
      const its = Array.from({ length: m.n }, (_, i) => f.slash(users[i % users.length]!, 'ecs', 'whoami'));
      await Promise.all(its.map((it) => f.answered(it, 10_000)));
      parentPort!.postMessage({ type: 'burst', ms: its.map((it) => it.callback!.perfAt - it.sentAt) });
    } else {
      for (const f of Object.values(fakes)) await f.stop();
      parentPort!.postMessage({ type: 'stopped' });
    }
  })();
});
