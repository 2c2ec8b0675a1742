/**
 * One contract per store port, run against both databases dockhand can keep its state in: SQLite
 * (a temporary file with the real migrations) and PostgreSQL (a throwaway cluster from Debian's
 * package, test/fakes/postgres.ts). A behaviour the ports promise holds on both, or a test here fails.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { sqliteStores } from '../../src/db/open.ts';
import { postgresStores } from '../../src/db/pg/stores.ts';
import { openPostgres, type OpenPostgres } from '../../src/db/pg/client.ts';
import type { PgQuizStore } from '../../src/db/pg/quiz-store.ts';
import type { SqliteQuizStore } from '../../src/db/quiz-store.ts';
import type { Stores } from '../../src/ports/stores.ts';
import { incidentStoreContract, worldContract } from '../contract/incident-store.ts';
import { auditLogContract, deployStoreContract, outboxContract } from '../contract/other-stores.ts';
import { quizStoreContract } from '../contract/quiz-store.ts';
import { postgresUnavailable, usePostgres } from '../fakes/postgres.ts';

/** One database kind: a fresh, migrated, empty database per call, and a second connection to the same one. */
interface Dialect {
  fresh(): Promise<{ stores: Stores; another(world?: string): Promise<Stores> }>;
}

/** Registers every contract for a dialect. */
function contracts(label: string, dialect: Dialect): void {
  const fresh = async () => (await dialect.fresh()).stores;
  incidentStoreContract(label, async () => {
    const s = await fresh();
    return { store: s.incidents, outbox: s.outbox, close: () => undefined };
  });
  quizStoreContract(label, async () => {
    const db = await dialect.fresh();
    const bulk = (s: Stores) => s.quiz as SqliteQuizStore | PgQuizStore;
    return { store: bulk(db.stores), another: async () => bulk(await db.another()) };
  });
  outboxContract(label, async () => (await fresh()).outbox);
  auditLogContract(label, async () => (await fresh()).audit);
  deployStoreContract(label, async () => (await fresh()).deploys);
  worldContract(label, async () => {
    const db = await dialect.fresh();
    return async (world) => {
      const s = await db.another(world);
      return { store: s.incidents, outbox: s.outbox, close: () => undefined };
    };
  });
}

describe('SQLite', () => {
  const opened: Stores[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  contracts('SQLite', {
    async fresh() {
      const file = join(mkdtempSync(join(tmpdir(), 'dockhand-contract-')), 'dockhand.db');
      const open = (world = '') => {
        const s = sqliteStores(openDatabase(file), world);
        opened.push(s);
        return s;
      };
      return { stores: open(), another: async (world?: string) => open(world) };
    },
  });
});

describe.skipIf(postgresUnavailable)('PostgreSQL', () => {
  const server = usePostgres();
  const opened: OpenPostgres[] = [];
  let template = '';
  beforeAll(async () => {
    // Migrated once; every test then gets its own copy of it (CREATE DATABASE … TEMPLATE), which is quicker than migrating.
    const url = await server.cluster.createDatabase();
    await (await openPostgres(url)).close();
    template = new URL(url).pathname.slice(1);
  });
  afterEach(async () => {
    for (const d of opened.splice(0)) await d.close();
  });
  afterAll(async () => {
    for (const d of opened.splice(0)) await d.close();
  });
  contracts('PostgreSQL', {
    async fresh() {
      const url = await server.cluster.createDatabase(undefined, { template });
      const open = async (world = '') => {
        const d = await openPostgres(url, { poolSize: 4 });
        opened.push(d);
        return postgresStores(d, url, undefined, world);
      };
      return { stores: await open(), another: open };
    },
  });
});
