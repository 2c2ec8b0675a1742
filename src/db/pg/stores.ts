import type { Stores } from '../../ports/stores.ts';
import { PgAuditLog } from './audit-log.ts';
import { pgCoordination } from './coordination.ts';
import type { OpenPostgres } from './client.ts';
import { PgDeployStore } from './deploy-store.ts';
import { PgIncidentStore } from './incident-store.ts';
import { PgOutbox } from './outbox.ts';
import { PgQuizStore } from './quiz-store.ts';
import { databaseError } from './tx.ts';

/**
 * The store with every failure turned into PostgreSQL's own error: drizzle's wrapper puts the whole
 * statement and its parameters (user names, message bodies) into the message people and logs see.
 */
function plainErrors<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const out: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
        return out instanceof Promise
          ? out.catch((e: unknown) => {
              throw databaseError(e);
            })
          : out;
      };
    },
  });
}

/** Stores on an open (migrated) PostgreSQL database; leadership takes a connection of its own to `url`. */
export function postgresStores(database: OpenPostgres, url: string, onLeaderConnectionError?: (e: Error) => void, world = ''): Stores {
  const c = pgCoordination(database.db, url, onLeaderConnectionError);
  const coordination = { claims: plainErrors(c.claims), confirmations: plainErrors(c.confirmations), jobs: plainErrors(c.jobs), threads: plainErrors(c.threads), leadership: c.leadership };
  return {
    dialect: 'postgres',
    audit: plainErrors(new PgAuditLog(database.db)),
    quiz: plainErrors(new PgQuizStore(database.db)),
    incidents: plainErrors(new PgIncidentStore(database.db, world)),
    outbox: plainErrors(new PgOutbox(database.db, world)),
    deploys: plainErrors(new PgDeployStore(database.db)),
    coordination,
    describe: () => database.describe,
    ping: () => database.ping(),
    close: async () => {
      // Leadership's own connection ends too, so another replica takes over at once.
      await coordination.leadership.release().catch(() => undefined);
      await database.close();
    },
  };
}
