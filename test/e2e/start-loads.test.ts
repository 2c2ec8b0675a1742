import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDb } from './cli.ts';

/**
 * Runs dockhand from source with `lines` piped in and returns its output and every module URL the
 * start resolved (a module.register resolve hook in the child writes each one to a file).
 */
async function runTracingLoads(lines: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dockhand-loads-'));
  const list = join(dir, 'loaded.txt');
  writeFileSync(list, '');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(list)}, r.url + '\\n'); return r; }\n`);
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(register).href, 'src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKHAND_DB: tempDb(), DOCKHAND_USER: 'tester', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, loaded: readFileSync(list, 'utf8').split('\n').filter(Boolean) };
}

const PG = /\/node_modules\/(pg|pg-pool|drizzle-orm\/node-postgres)\//;
const SDK = /\/node_modules\/@aws-sdk\/client-/;

describe('what a terminal start loads (npm start)', () => {
  it('answers /help and a study question on SQLite without loading PostgreSQL or any AWS SDK client', async () => {
    const r = await runTracingLoads(['/help', '/quiz ecs --solo --questions 1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('/ecs');
    expect(r.stdout).toContain('Solo quiz for tester: 1 question');
    expect(r.loaded.filter((u) => PG.test(u))).toEqual([]);
    expect(r.loaded.filter((u) => SDK.test(u))).toEqual([]);
  }, 60_000);

  it('loads the ECS and CloudWatch Logs clients when a command reads logs, and answers it', async () => {
    const r = await runTracingLoads(['/ecs logs web --since 1h']);
    expect(r.stdout).toContain('Logs of web in cluster demo');
    const clients = [...new Set(r.loaded.filter((u) => SDK.test(u)).map((u) => /client-[a-z-]+/.exec(u)?.[0]))].sort();
    expect(clients).toEqual(['client-cloudwatch-logs', 'client-ecs']);
    expect(r.loaded.filter((u) => PG.test(u))).toEqual([]);
  }, 60_000);
});
