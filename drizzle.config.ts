import { defineConfig } from 'drizzle-kit';

/** drizzle-kit settings: the schema in src/db, SQL migrations committed under drizzle/. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
