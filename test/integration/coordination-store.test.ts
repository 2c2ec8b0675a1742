/** The coordination contract on SQLite with the real migrations. */
import { openDatabase } from '../../src/db/client.ts';
import { sqliteCoordination } from '../../src/db/coordination.ts';
import { memoryCoordination } from '../../src/ports/memory-coordination.ts';
import { coordinationContract } from './coordination-contract.ts';

coordinationContract('SQLite', async () => {
  const database = openDatabase(':memory:');
  return { coordination: sqliteCoordination(database.db), close: async () => database.close() };
});

// The in-memory stand-in adapters use when no database is wired keeps the same promises within one process.
coordinationContract('in-memory', async () => ({ coordination: memoryCoordination(), close: async () => undefined }));
