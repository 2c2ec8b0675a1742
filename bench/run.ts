import { run as core } from './core.ts';
import { run as diagnose } from './diagnose.ts';
import { run as discord } from './discord.ts';
import { run as quiz } from './quiz.ts';
import { run as sandbox } from './sandbox.ts';
import { run as slack } from './slack.ts';
import { run as startup } from './startup.ts';
import { run as watcher } from './watcher.ts';

// The pinned SDK works on Node 20; its notice about future releases would only clutter the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Every benchmark, in order; each prints its own figures. */
const benches: Array<[string, () => Promise<void>]> = [
  ['core', core],
  ['sandbox', sandbox],
  ['slack', slack],
  ['discord', discord],
  ['quiz', quiz],
  ['watcher', watcher],
  ['diagnose', diagnose],
  ['startup', startup],
];

const only = process.argv.slice(2);
for (const [name, bench] of benches) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name}`);
  await bench();
}
