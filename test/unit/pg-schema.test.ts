import { is } from 'drizzle-orm';
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../src/db/pg/schema.ts';
import * as sqliteSchema from '../../src/db/schema.ts';

// Whoever adds a table or column to one dialect must add it to the other: the stores of both
// databases serve the same ports, and a replica set switching to PostgreSQL must lose nothing.

interface Shape {
  columns: string[];
  notNull: string[];
  primaryKey: string[];
  indexes: string[];
}

function sqliteShapes(): Map<string, Shape> {
  const out = new Map<string, Shape>();
  for (const t of Object.values(sqliteSchema)) {
    if (!is(t, SQLiteTable)) continue;
    const c = sqliteConfig(t);
    out.set(c.name, {
      columns: c.columns.map((x) => x.name).sort(),
      notNull: c.columns.filter((x) => x.notNull).map((x) => x.name).sort(),
      primaryKey: [...c.columns.filter((x) => x.primary).map((x) => x.name), ...c.primaryKeys.flatMap((p) => p.columns.map((x) => x.name))].sort(),
      indexes: c.indexes.map((i) => `${i.config.unique ? 'unique ' : ''}${i.config.name}(${i.config.columns.map((x) => (x as { name: string }).name).join(',')})`).sort(),
    });
  }
  return out;
}

function pgShapes(): Map<string, Shape> {
  const out = new Map<string, Shape>();
  for (const t of Object.values(pgSchema)) {
    if (!is(t, PgTable)) continue;
    const c = pgConfig(t);
    out.set(c.name, {
      columns: c.columns.map((x) => x.name).sort(),
      notNull: c.columns.filter((x) => x.notNull).map((x) => x.name).sort(),
      primaryKey: [...c.columns.filter((x) => x.primary).map((x) => x.name), ...c.primaryKeys.flatMap((p) => p.columns.map((x) => x.name))].sort(),
      indexes: c.indexes.map((i) => `${i.config.unique ? 'unique ' : ''}${i.config.name}(${i.config.columns.map((x) => (x as { name: string }).name).join(',')})`).sort(),
    });
  }
  return out;
}

describe('the PostgreSQL schema mirrors the SQLite one', () => {
  const sqlite = sqliteShapes();
  const pg = pgShapes();

  it('has the same tables', () => {
    expect(sqlite.size).toBeGreaterThan(10);
    expect([...pg.keys()].sort()).toEqual([...sqlite.keys()].sort());
  });

  it('gives every table the same columns, required columns, primary key and indexes', () => {
    for (const [name, shape] of sqlite) expect(pg.get(name), name).toEqual(shape);
  });
});
