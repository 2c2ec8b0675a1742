import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds dockhand's package.json: the repository when run from source with tsx,
 * and the image's /app when run compiled from dist/src, so data folders resolve the same both ways.
 */
export const PROJECT_ROOT: string = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    // Only reachable when the files were copied without package.json; the source layout is then the best guess.
    if (parent === dir) return resolve(start, '../..');
    dir = parent;
  }
}

/** A path inside the project root (`drizzle`, `quizzes`). */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
