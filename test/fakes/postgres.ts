import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

// The ONE way tests get a real PostgreSQL server: a throwaway cluster from Debian's `postgresql`
// package (.ci/run installs it when missing), in a temporary folder, on a port of 127.0.0.1 only,
// removed at the end. Nothing here talks to a server someone else runs.

const run = promisify(execFile);

interface Binaries {
  /** The folder holding initdb and pg_ctl. */
  bin: string;
  /** Prefix that runs a command as the `postgres` user (initdb refuses root), empty when not root. */
  asPostgres: string[];
  /** Owner for the cluster's files when running as root. */
  owner?: { uid: number; gid: number };
}

function findBinaries(): Binaries | string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions[0];
  if (!version) return `no PostgreSQL server binaries under ${root}/*/bin (install Debian's postgresql package; .ci/run does)`;
  const bin = join(root, version, 'bin');
  if (process.getuid?.() !== 0) return { bin, asPostgres: [] };
  // initdb and postgres refuse to run as root: run them as the package's own `postgres` user.
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { bin, asPostgres: ['runuser', '-u', 'postgres', '--'], owner: { uid, gid } };
  } catch {
    return 'running as root, and there is no `postgres` user to run initdb as (Debian\'s postgresql package creates it)';
  }
}

const found = findBinaries();

/** Why PostgreSQL tests cannot run on this machine, or undefined when they can. */
export const postgresUnavailable: string | undefined = typeof found === 'string' ? found : undefined;

if (postgresUnavailable) console.warn(`PostgreSQL tests skip: ${postgresUnavailable}`);

/** A running throwaway PostgreSQL cluster. */
export interface PostgresCluster {
  /** The TCP port on 127.0.0.1. */
  port: number;
  /** The superuser's password (the cluster asks for it over TCP, as a real server would). */
  password: string;
  /** The URL of one database of the cluster, as the superuser. */
  url(database: string, opts?: { password?: string }): string;
  /** Creates a database (empty, or a copy of `template`, which must have no open connections) and resolves with its URL. */
  createDatabase(name?: string, opts?: { template?: string }): Promise<string>;
  /** Stops the server immediately and removes every file of the cluster. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a fresh cluster in a temporary folder: password auth over TCP, no fsync (its data is thrown away). */
export async function startPostgresCluster(opts: { durable?: boolean } = {}): Promise<PostgresCluster> {
  if (typeof found === 'string') throw new Error(`PostgreSQL is not available: ${found}`);
  const { bin, asPostgres, owner } = found;
  const dir = mkdtempSync(join(tmpdir(), 'dockhand-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'pwfile'), `${password}\n`);
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(join(dir, 'pwfile'), owner.uid, owner.gid);
  }
  const argv = (tool: string, args: string[]) => [...asPostgres, join(bin, tool), ...args];
  const cmd = (tool: string, args: string[]) => {
    const a = argv(tool, args);
    return run(a[0]!, a.slice(1), { cwd: dir });
  };
  const removeFiles = () => rmSync(dir, { recursive: true, force: true });
  let started = false;
  // A worker that exits before afterAll (a crash, a timeout) must not leave a server running.
  const onExit = () => {
    if (started) {
      try {
        const a = argv('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        execFileSync(a[0]!, a.slice(1), { stdio: 'ignore' });
      } catch {}
    }
    removeFiles();
  };
  process.once('exit', onExit);
  try {
    await cmd('initdb', ['-D', data, '-U', 'postgres', `--pwfile=${join(dir, 'pwfile')}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const speed = opts.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'];
    const serverOpts = ['-c listen_addresses=127.0.0.1', `-k ${dir}`, ...speed].join(' ');
    let port = 0;
    // A port found free can be taken before the server binds it: try a few.
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        await cmd('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `${serverOpts} -p ${port}`, 'start']);
        started = true;
        break;
      } catch (e) {
        if (attempt >= 2) throw new Error(`pg_ctl start failed: ${e instanceof Error ? e.message : String(e)}\n${safeRead(join(dir, 'server.log'))}`, { cause: e });
      }
    }
    const url = (database: string, o: { password?: string } = {}) => `postgres://postgres:${encodeURIComponent(o.password ?? password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    let created = 0;
    return {
      port,
      password,
      url,
      async createDatabase(name = `t${process.pid}_${++created}_${randomBytes(3).toString('hex')}`, o: { template?: string } = {}) {
        const admin = new pg.Client({ connectionString: url('postgres') });
        await admin.connect();
        try {
          const quote = (n: string) => `"${n.replace(/"/g, '""')}"`;
          await admin.query(`CREATE DATABASE ${quote(name)}${o.template ? ` TEMPLATE ${quote(o.template)}` : ''}`);
        } finally {
          await admin.end();
        }
        return url(name);
      },
      async stop() {
        process.removeListener('exit', onExit);
        try {
          if (started) await cmd('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } finally {
          started = false;
          removeFiles();
        }
      },
    };
  } catch (e) {
    process.removeListener('exit', onExit);
    onExit();
    throw e;
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A suite's PostgreSQL: the cluster and a fresh database of its own, ready from beforeAll on. */
export interface PostgresSuite {
  /** The suite's database URL. */
  readonly url: string;
  /** The cluster, for more databases or for stopping the server under a test. */
  readonly cluster: PostgresCluster;
}

/**
 * Registers beforeAll/afterAll hooks that start a throwaway cluster with a fresh database for the
 * enclosing suite and remove it afterwards, also when tests fail. Use inside
 * `describe.skipIf(postgresUnavailable)`.
 */
export function usePostgres(opts: { durable?: boolean } = {}): PostgresSuite {
  let cluster: PostgresCluster | undefined;
  let url: string | undefined;
  beforeAll(async () => {
    cluster = await startPostgresCluster(opts);
    url = await cluster.createDatabase();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  return {
    get url() {
      if (!url) throw new Error('the PostgreSQL suite has not started (use it inside a test or hook)');
      return url;
    },
    get cluster() {
      if (!cluster) throw new Error('the PostgreSQL suite has not started (use it inside a test or hook)');
      return cluster;
    },
  };
}

/** The replica id (`host:pid:…`) that holds the running quiz timer, waiting up to 5 s for one to hold it. */
export async function quizTimerOwner(url: string): Promise<string> {
  const end = Date.now() + 5_000;
  for (;;) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    let owner: string;
    try {
      owner = ((await c.query("select owner from jobs where kind = 'quiz-timer' and state = 'running'")).rows[0] as { owner?: string } | undefined)?.owner ?? '';
    } finally {
      await c.end();
    }
    if (owner) return owner;
    if (Date.now() > end) throw new Error('no replica took the quiz timer');
    await new Promise((r) => setTimeout(r, 50));
  }
}
