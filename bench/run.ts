import { run as core } from './core.ts';
import { run as diagnose } from './diagnose.ts';
import { run as events } from './events.ts';
import { run as discord } from './discord.ts';
import { run as logs } from './logs.ts';
import { run as memory } from './memory.ts';
import { run as quiz } from './quiz.ts';
import { machine, table, writeResults } from './report.ts';
import { run as sandbox } from './sandbox.ts';
import { run as slack } from './slack.ts';
import { run as startup } from './startup.ts';
import { run as store } from './store.ts';
import { run as watcher } from './watcher.ts';

// The pinned SDK works on Node 20; its notice about future releases would only clutter the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Every benchmark, in order; each prints its own figures and records its headline ones for the table. */
const benches: Array<[string, () => Promise<void>]> = [
  ['core', core],
  ['sandbox', sandbox],
  ['slack', slack],
  ['discord', discord],
  ['quiz', quiz],
  ['store', store],
  ['watcher', watcher],
  ['events', events],
  ['logs', logs],
  ['diagnose', diagnose],
  ['startup', startup],
  ['memory', () => memory()],
];

/** Run only when named (`npm run bench -- soak`): an hour long. */
const onDemand: Array<[string, () => Promise<void>]> = [['soak', () => memory(true)]];

const only = process.argv.slice(2);
const all = [...benches, ...onDemand];
const unknown = only.filter((n) => !all.some(([name]) => name === n));
if (unknown.length) {
  console.error(`no bench named ${unknown.join(', ')}; the benches are: ${all.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
for (const [name, bench] of all) {
  if (!only.length && onDemand.some(([n]) => n === name)) continue;
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name}`);
  await bench();
}
const m = machine();
console.log(`\n== report (${m.cpu}, ${m.cores} CPUs, ${m.memoryGiB} GiB, Node ${m.node}); ratios are value / baseline measured in the same run\n`);
console.log(table());
console.log(`\nwritten to ${writeResults(import.meta.dirname)}`);
