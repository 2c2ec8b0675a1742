import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { record } from './report.ts';

const root = join(import.meta.dirname, '..');

/** Resident set size of a process and all its descendants, in MB (Linux /proc). */
export function treeRssMb(pid: number): number {
  let kb = 0;
  const visit = (p: number): void => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      for (const task of spawnSync('ls', [`/proc/${p}/task`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
        for (const c of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean)) visit(Number(c));
      }
    } catch {
      // the process ended meanwhile
    }
  };
  visit(pid);
  return kb / 1024;
}

/** Starts dockhand, times spawn → first answered command, samples idle RSS 3 s later, then ends it. */
async function once(cmd: string[]): Promise<{ ms: number; rssMb: number }> {
  const db = join(mkdtempSync(join(tmpdir(), 'dockhand-bench-start-')), 'd.db');
  const t0 = performance.now();
  const child = spawn(cmd[0] as string, cmd.slice(1), {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKHAND_DB: db, DOCKHAND_USER: 'bench', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin.write('/help\n');
  let out = '';
  const ms = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within 60 s: ${out}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('/ecs')) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      }
    });
  });
  await new Promise((r) => setTimeout(r, 3_000));
  const rssMb = treeRssMb(child.pid as number);
  child.stdin.end();
  await new Promise((r) => child.once('close', r));
  return { ms, rssMb };
}

/**
 * The compiled bot's command line as the image runs it (the Dockerfile's CMD, node's flags included),
 * with this node: the benches measure what production runs.
 */
export function imageCommand(): string[] {
  const cmd = /^CMD (\[.*\])\s*$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
  const args = cmd ? (JSON.parse(cmd) as string[]) : [];
  if (args[0] !== 'node' || !args.includes('dist/src/main.js')) throw new Error(`the Dockerfile's CMD is not node … dist/src/main.js: ${cmd ?? 'none'}`);
  return [process.execPath, ...args.slice(1)];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Compiled start (as the image runs it: `node --max-semi-space-size=4 dist/src/main.js`) next to today's tsx start, same run: time to the first answer and idle memory. */
export async function run(): Promise<void> {
  if (!existsSync(join(root, 'dist/src/main.js')) || process.env.BENCH_REBUILD !== '0') {
    const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const runs = 5;
  const compiled: Array<{ ms: number; rssMb: number }> = [];
  const tsx: Array<{ ms: number; rssMb: number }> = [];
  // Interleaved, so a busy moment on the machine hurts both alike.
  for (let i = 0; i < runs; i++) {
    compiled.push(await once(imageCommand()));
    tsx.push(await once([join(root, 'node_modules/.bin/tsx'), 'src/main.ts']));
  }
  const c = median(compiled.map((r) => r.ms));
  const t = median(tsx.map((r) => r.ms));
  const cm = median(compiled.map((r) => r.rssMb));
  const tm = median(tsx.map((r) => r.rssMb));
  console.log(`startup to the first answered command (embedded sandbox, median of ${runs}): compiled ${c.toFixed(0)} ms vs tsx ${t.toFixed(0)} ms = ${(c / t).toFixed(2)}× (target ≤ 0.50×)`);
  record({ bench: 'startup', name: 'start to the first answered command', value: c, unit: 'ms', baseline: { name: 'tsx', value: t }, target: '≤ 0.5× tsx', met: c / t <= 0.5, better: 'lower' });
  record({ bench: 'startup', name: 'idle RSS after the first answer (embedded sandbox included)', value: cm, unit: 'MB', baseline: { name: 'tsx', value: tm }, better: 'lower' });
  console.log(`idle memory 3 s after that answer (RSS of the process tree, embedded sandbox included): compiled ${cm.toFixed(0)} MB vs tsx ${tm.toFixed(0)} MB = ${(cm / tm).toFixed(2)}×`);
}
