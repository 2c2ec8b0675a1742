import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, openDatabase, type OpenDatabase } from '../../src/db/client.ts';

// Migrations that shipped are never edited: a dockhand.db created by any earlier release must migrate on.
// drizzle decides what to run from each migration's journal timestamp and records its SQL's hash, so
// moving the files (drizzle/ → drizzle/sqlite/) is only safe with both unchanged.
const RELEASED: Record<string, { when: number; sha256: string }> = {
  '0000_audit_log': { when: 1795773639726, sha256: 'de292b1c45bb918489c99a5cbcd2a0f85966a3f5b8f4bd2c7a3ea79748965f5c' },
  '0001_quiz': { when: 1795773879531, sha256: '22386438c497aba0c63dc4563eb941c428525b964cb8ae2143e29b4d8fde8a2a' },
  '0002_watcher': { when: 1795774193635, sha256: 'bae0d00207a880bba2e4adf8a3fb089bc394f9fd9b6e54ea4e18f58cdc8aa88c' },
  '0003_quiz_fold': { when: 1795774758547, sha256: 'f682b71d4edae8be9a301aa2f1747a0553473c229b1489bcc94d40999f5321dd' },
  '0004_outbox_thread_index': { when: 1795779558842, sha256: 'bdf62cbd263058ca6a6d745bcfd1f892a93c8da6fcda96cc5d6a629cfa30f856' },
  '0005_outbox_failure_times': { when: 1796566573217, sha256: '182937bbfa972ca2a25e2a837d207e7ef76b341930baf871035fadcd9b84c769' },
  '0006_quiz_flags': { when: 1796568132405, sha256: '418a8ac484d4c4f2b7486cdfc4c13966656f501df94954dcc0d661bba7f0da21' },
  '0007_deploys': { when: 1796569604557, sha256: '816a5e3259d4297540359880735d77e602830c2d06075f0a965f2105d888be8e' },
};

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let opened: OpenDatabase | undefined;
afterEach(() => opened?.close());

describe('SQLite migrations under drizzle/sqlite', () => {
  it('keep every released migration byte for byte, with its journal timestamp', () => {
    const files = Object.fromEntries(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).map((f) => [f.replace(/\.sql$/, ''), sha256(join(MIGRATIONS_DIR, f))]));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
    const when = new Map(journal.entries.map((e) => [e.tag, e.when]));
    for (const [tag, r] of Object.entries(RELEASED)) {
      expect(files[tag], tag).toBe(r.sha256);
      expect(when.get(tag), tag).toBe(r.when);
    }
  });

  it('open a database migrated by the old drizzle/ layout without running anything again', () => {
    // The last release read the same files from drizzle/ at the project root: migrate a file from such a folder.
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-layout-'));
    const oldLayout = join(dir, 'drizzle');
    cpSync(MIGRATIONS_DIR, oldLayout, { recursive: true });
    const journal = JSON.parse(readFileSync(join(oldLayout, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    const file = join(dir, 'dockhand.db');
    const old = new Database(file);
    migrate(drizzle(old), { migrationsFolder: oldLayout });
    old.prepare("insert into audit_log (at, platform, workspace_id, channel_id, user_id, user_name, command, outcome) values (1, 'console', 'local', 'terminal', 'ann', 'ann', '/help', 'ok')").run();
    const before = old.prepare('select id, hash, created_at from __drizzle_migrations order by id').all();
    old.close();
    expect(before).toHaveLength(journal.entries.length);

    opened = openDatabase(file);
    const after = opened.sqlite.prepare('select id, hash, created_at from __drizzle_migrations order by id').all();
    expect(after).toEqual(before);
    expect(opened.sqlite.prepare('select command from audit_log').all()).toEqual([{ command: '/help' }]);
  });
});

describe('PostgreSQL migrations under drizzle/pg', () => {
  // Replicas of two releases share one PostgreSQL during a rolling deploy, so a migration may only add
  // (expand); removing what the previous release still uses waits a release (contract). SQLite serves one
  // process, so its table rebuilds are not held to this.
  const pgDir = join(import.meta.dirname, '..', '..', 'drizzle', 'pg');
  const later = readdirSync(pgDir).filter((f) => f.endsWith('.sql') && !f.startsWith('0000_'));

  it('only expand after the first: no dropped or renamed tables and columns, no new NOT NULL without a default', () => {
    expect(later.length).toBeGreaterThan(0);
    const refused = [/\bDROP\s+TABLE\b/i, /\bDROP\s+COLUMN\b/i, /\bRENAME\b/i, /\bSET\s+NOT\s+NULL\b/i, /\bSET\s+DATA\s+TYPE\b/i, /\bALTER\s+COLUMN\s+\S+\s+TYPE\b/i];
    const problems: string[] = [];
    for (const f of later) {
      for (const statement of readFileSync(join(pgDir, f), 'utf8').split('--> statement-breakpoint')) {
        const s = statement.trim();
        if (refused.some((r) => r.test(s))) problems.push(`${f}: ${s}`);
        // An old release inserts rows without the new column: it needs a default to stay writable.
        if (/\bADD\s+COLUMN\b/i.test(s) && /\bNOT\s+NULL\b/i.test(s) && !/\bDEFAULT\b/i.test(s)) problems.push(`${f}: ${s}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
