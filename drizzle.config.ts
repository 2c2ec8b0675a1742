import { defineConfig } from 'drizzle-kit';

/** drizzle-kit settings for SQLite: the schema in src/db, SQL migrations committed under drizzle/sqlite/. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './drizzle/sqlite',
});
