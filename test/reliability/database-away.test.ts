/**
 * Reliability: the SQLite database becomes unwritable under a running dockhand, run as an
 * unprivileged user (root ignores permission bits, so dockhand runs as `nobody`). Its folder made
 * read-only changes nothing for files that exist: the running dockhand and a new piped one go on and
 * lose nothing. The file itself made read-only: the running dockhand keeps its open file and loses
 * nothing, and a new start fails in one clear line with exit 2 instead of failing every command.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../e2e/cli.ts';
import { session } from './session.ts';

/** The checkout and folders above it given search permission for `nobody` during this file, with their modes before. */
const opened: Array<{ dir: string; mode: number }> = [];

/** The uid/gid of `nobody` when this machine has it and we may switch to it (root). */
function nobody(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return undefined;
  const ids = { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  const reads = (): boolean => spawnSync(process.execPath, ['-e', `require('fs').readFileSync(${JSON.stringify(join(repoRoot, 'package.json'))})`], { ...ids, stdio: 'ignore' }).status === 0;
  if (reads()) return ids;
  // A clone in a private folder (mktemp -d makes it 0700), or in one below it, is one `nobody` cannot reach: the
  // checkout and the folders above it get search permission (o+x: pass through, not list) for this file only,
  // and their modes back in afterAll.
  for (let dir = repoRoot; dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      opened.push({ dir, mode });
    }
  }
  return reads() ? ids : undefined;
}

const user = nobody();
if (!user) console.warn('database-away.test.ts: skipped — it runs dockhand as `nobody`, which needs root, a `nobody` user and a checkout `nobody` can read');
afterAll(() => {
  for (const { dir, mode } of opened.splice(0)) chmodSync(dir, mode);
});

/** A piped run as `nobody`: exit code and stderr. */
function piped(db: string, lines: string): { status: number | null; stderr: string; stdout: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', DOCKHAND_DB: db, DOCKHAND_USER: 'bob' }, uid: user!.uid, gid: user!.gid, input: lines, encoding: 'utf8', timeout: 60_000 });
}

function freshDb(): { dir: string; db: string } {
  const top = mkdtempSync(join(tmpdir(), 'dockhand-ro-'));
  chmodSync(top, 0o755);
  const dir = join(top, 'data');
  mkdirSync(dir);
  chownSync(dir, user!.uid, user!.gid);
  return { dir, db: join(dir, 'dockhand.db') };
}

function commands(db: string): string[] {
  const handle = new Database(db, { readonly: true });
  try {
    return (handle.prepare('select command from audit_log order by id').all() as Array<{ command: string }>).map((r) => r.command);
  } finally {
    handle.close();
  }
}

describe.skipIf(!user)('SQLite made unwritable under a running dockhand (run as nobody)', () => {
  it('its folder made read-only: the running dockhand and a new piped run go on, and nothing is lost', async () => {
    const { dir, db } = freshDb();
    const s = session(undefined, { DOCKHAND_DB: db }, user);
    s.send('/audit 1');
    await s.until(/> \/audit 1\n[^>]+\n/, 60_000, 'the first answer');
    chmodSync(dir, 0o555);
    try {
      const second = piped(db, '/quiz packs\n');
      expect(second.status, second.stderr).toBe(0);
      s.send('/ecs clusters');
      s.send('/audit 5');
      await s.until(/> \/audit 5\n[\s\S]*\/quiz packs/, 60_000, 'the answers while the folder is read-only');
    } finally {
      chmodSync(dir, 0o755);
    }
    const code = await s.end();
    expect(code).toBe(0);
    expect(s.out.stderr).not.toMatch(/\n\s+at |"level":(50|60)/);
    expect(commands(db)).toEqual(['/audit 1', '/quiz packs', '/ecs clusters', '/audit 5']);
  }, 120_000);

  it('the file made read-only: the running dockhand loses nothing, and a new start fails in one clear line with exit 2', async () => {
    const { dir, db } = freshDb();
    const s = session(undefined, { DOCKHAND_DB: db }, user);
    s.send('/audit 1');
    await s.until(/> \/audit 1\n[^>]+\n/, 60_000, 'the first answer');
    const files = readdirSync(dir).map((f) => join(dir, f));
    for (const f of files) chmodSync(f, 0o444);
    try {
      const second = piped(db, '/quiz packs\n');
      expect(second.status).toBe(2);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(/^dockhand: cannot open the database DOCKHAND_DB=.*dockhand\.db: attempt to write a readonly database; expected a writable file path/);
      expect(second.stdout).toBe('');
      s.send('/ecs clusters');
      s.send('/audit 5');
      await s.until(/> \/audit 5\n[\s\S]*\/ecs clusters/, 60_000, 'the answers while the file is read-only');
    } finally {
      for (const f of files) chmodSync(f, 0o644);
    }
    const code = await s.end();
    expect(code).toBe(0);
    expect(s.out.stderr).not.toMatch(/\n\s+at |"level":(50|60)/);
    expect(commands(db)).toEqual(['/audit 1', '/ecs clusters', '/audit 5']);
  }, 120_000);
});
