/**
 * `npm run test:image`: runs the Dockerfile's own build and start steps in a clean copy of the repository,
 * since no Docker engine runs on these machines. Each stage is a folder; WORKDIR, ENV, COPY (also
 * --from an earlier stage) and RUN are carried out as the Dockerfile says, with the image's /app and /data
 * mapped into the stage's folder. What only an image can do (installing Debian packages into it, chown to
 * its `node` user) is checked instead of done, and said. Then the image's CMD starts dockhand, which must
 * answer commands, and its HEALTHCHECK command must pass against the running server.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { execForm, parseDockerfile, type Stage } from './dockerfile.ts';

const repo = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'dockhand-image-'));
const say = (s: string): void => void process.stdout.write(`${s}\n`);

function fail(message: string): never {
  say(`test:image FAILED: ${message}`);
  say(`(left in ${work} to look at)`);
  process.exit(1);
}

// 1. A clean copy: the files git tracks or would track, nothing ignored (no node_modules, dist, databases).
const context = join(work, 'context');
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
for (const f of files) {
  if (!existsSync(join(repo, f))) continue;
  mkdirSync(dirname(join(context, f)), { recursive: true });
  cpSync(join(repo, f), join(context, f));
}
say(`context: ${files.length} files from a clean copy of the repository`);

const dockerfile = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
interface Built {
  root: string;
  cwd: string;
  env: Record<string, string>;
  stage: Stage;
}
const built: Built[] = [];
const mapPath = (root: string, p: string): string => join(root, p);
const inImage = (root: string, cmd: string): string => cmd.replace(/(^|[\s=])\/(app|data)\b/g, (_, pre: string, dir: string) => `${pre}${root}/${dir}`);

for (const [index, stage] of dockerfile.stages.entries()) {
  const root = join(work, `stage-${index}-${stage.name ?? 'final'}`);
  const parent = built.find((b) => b.stage.name === stage.from);
  let cwd = root;
  let env: Record<string, string> = {};
  if (parent) {
    cpSync(parent.root, root, { recursive: true, verbatimSymlinks: true });
    cwd = parent.cwd.replace(parent.root, root);
    env = { ...parent.env };
  } else {
    mkdirSync(root, { recursive: true });
    const want = /^node:(\d+\.\d+\.\d+)-/.exec(stage.from)?.[1];
    if (want && process.version !== `v${want}`) say(`note: the image runs Node ${want}; this machine has ${process.version}`);
  }
  say(`== stage ${index} ${stage.name ?? '(final)'} FROM ${stage.from}`);
  for (const ins of stage.instructions) {
    const runEnv = { ...process.env, ...env, npm_config_update_notifier: 'false' };
    switch (ins.keyword) {
      case 'WORKDIR':
        cwd = mapPath(root, ins.args);
        mkdirSync(cwd, { recursive: true });
        break;
      case 'ENV':
        for (const m of ins.args.matchAll(/(\w+)=(\S+)/g)) env[m[1] as string] = m[2] as string;
        break;
      case 'COPY': {
        const parts = ins.args.split(/\s+/);
        const fromFlag = parts[0]?.startsWith('--from=') ? parts.shift()?.slice('--from='.length) : undefined;
        const dest = parts.pop() as string;
        const source = fromFlag ? built.find((b) => b.stage.name === fromFlag)?.root : context;
        if (!source) fail(`line ${ins.line}: COPY --from=${fromFlag} names no earlier stage`);
        const destPath = isAbsolute(dest) ? mapPath(root, dest) : join(cwd, dest);
        for (const src of parts) {
          const from = join(source, src);
          if (!existsSync(from)) fail(`line ${ins.line}: COPY ${src}: not there`);
          // `COPY a b/` and `COPY a ./` put a inside; `COPY dir ./dir` copies the folder to that name.
          const into = dest.endsWith('/') || dest === '.';
          cpSync(from, into ? join(destPath, basename(src)) : destPath, { recursive: true, verbatimSymlinks: true });
        }
        break;
      }
      case 'RUN': {
        const steps = ins.args.split(/\s*&&\s*/);
        const run: string[] = [];
        for (const step of steps) {
          if (/^apt-get (update|install)/.test(step)) {
            const pkgs = step.startsWith('apt-get install') ? step.split(/\s+/).filter((w) => !w.startsWith('-') && !['apt-get', 'install'].includes(w)) : [];
            for (const p of pkgs) {
              const tool = p === 'g++' ? 'g++' : p;
              if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) fail(`line ${ins.line}: the image installs ${p}, which this machine lacks`);
            }
            if (pkgs.length) say(`  (Debian packages ${pkgs.join(' ')}: present here, not installed again)`);
          } else if (/^rm -rf \/var\/lib\/apt/.test(step)) {
            continue;
          } else if (/^chown /.test(step)) {
            say(`  (${step}: the image's user, not this machine's; skipped)`);
          } else run.push(inImage(root, step));
        }
        if (run.length === 0) break;
        const cmd = run.join(' && ');
        say(`  RUN ${cmd.replaceAll(root, '')}`);
        const r = spawnSync('sh', ['-c', cmd], { cwd, env: runEnv, stdio: 'inherit' });
        if (r.status !== 0) fail(`line ${ins.line}: RUN exited ${r.status}`);
        break;
      }
      default:
        break;
    }
  }
  built.push({ root, cwd, env, stage });
}

// 2. The image as it would run.
const image = built.at(-1) as Built;
const finalOf = (k: string): string | undefined => image.stage.instructions.find((i) => i.keyword === k)?.args;
const cmd = execForm(finalOf('CMD') ?? '');
if (!cmd) fail('no exec-form CMD');
const dev = JSON.parse(readFileSync(join(context, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
// @types/* come along as dependencies of production packages (discord.js declares @types/ws); they hold no code.
const leaked = Object.keys(dev.devDependencies).filter((d) => !d.startsWith('@types/') && existsSync(join(image.cwd, 'node_modules', d)));
if (leaked.length) fail(`dev dependencies in the image: ${leaked.join(', ')}`);
for (const d of ['src', 'commands', 'tsconfig.json']) if (existsSync(join(image.cwd, d))) fail(`${d} is in the image; only dist/ should be`);
// Each dialect's migrations are applied at start from its own folder.
for (const d of ['drizzle/sqlite/meta/_journal.json', 'drizzle/pg/meta/_journal.json']) if (!existsSync(join(image.cwd, d))) fail(`${d} is not in the image`);
say('final stage: dist/, production dependencies only, migrations (SQLite and PostgreSQL) and quiz packs');

// The image's HEALTH_PORT would be 8080; here a free one, so the check runs beside whatever else this machine serves.
const healthPort = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});
const imageEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: image.cwd };
  for (const [k, v] of Object.entries(image.env)) env[k] = inImage(image.root, v);
  env.HEALTH_PORT = String(healthPort);
  return env;
};

const piped = spawnSync(cmd[0] as string, cmd.slice(1), {
  cwd: image.cwd,
  env: { ...imageEnv(), DOCKHAND_USER: 'image-test' },
  input: '/ecs services\n/quiz packs\n',
  encoding: 'utf8',
  timeout: 60_000,
});
if (piped.status !== 0 || !piped.stdout.includes('Services in cluster demo') || !piped.stdout.includes('Quiz packs')) {
  fail(`the image's CMD did not answer commands (exit ${piped.status}):\n${piped.stdout}\n${piped.stderr}`);
}
say(`CMD ${cmd.join(' ')}: answered /ecs services and /quiz packs`);

// 3. As a server (the terminal kept open), the HEALTHCHECK command must pass.
const health = execForm((finalOf('HEALTHCHECK') ?? '').replace(/^(--\S+\s+)*CMD\s+/, ''));
if (!health) fail('no exec-form HEALTHCHECK');
const server = spawn(cmd[0] as string, cmd.slice(1), { cwd: image.cwd, env: { ...imageEnv(), DOCKHAND_USER: 'image-test' }, stdio: ['pipe', 'pipe', 'pipe'] });
let healthy = false;
for (let i = 0; i < 60 && !healthy; i++) {
  await new Promise((r) => setTimeout(r, 500));
  healthy = spawnSync(health[0] as string, health.slice(1), { env: imageEnv(), timeout: 10_000 }).status === 0;
}
server.stdin.end();
server.kill('SIGTERM');
if (!healthy) fail(`HEALTHCHECK ${health.join(' ')} never passed`);
say(`HEALTHCHECK passed against the running image`);
rmSync(work, { recursive: true, force: true });
say('test:image passed');
