import { run as core } from './core.ts';

/** Every benchmark, in order; each prints its own figures. */
const benches: Array<[string, () => Promise<void>]> = [['core', core]];

const only = process.argv.slice(2);
for (const [name, bench] of benches) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name}`);
  await bench();
}
