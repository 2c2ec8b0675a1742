import { defineConfig } from 'drizzle-kit';

/** drizzle-kit settings for PostgreSQL: the schema in src/db/pg, SQL migrations committed under drizzle/pg/. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg/schema.ts',
  out: './drizzle/pg',
});
