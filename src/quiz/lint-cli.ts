/**
 * `npm run quiz:lint [folder-or-files...]`: validates question packs and prints one line per
 * problem (file, item id, field). Exits 1 when any pack has errors, so CI can gate on it.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatPackError, loadPackFile, loadPacks, type PackError } from './pack.ts';

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Lints the given paths (folders or files) and returns the problems and the packs that passed. */
export function lintPaths(paths: readonly string[]): { errors: PackError[]; ok: string[] } {
  const errors: PackError[] = [];
  const ok: string[] = [];
  for (const p of paths) {
    if (isDirectory(p)) {
      const c = loadPacks(p);
      errors.push(...c.errors);
      for (const pack of c.packs.values()) ok.push(`${pack.file}: pack "${pack.id}", ${pack.items.length} items`);
    } else {
      const r = loadPackFile(p);
      if (r.ok) ok.push(`${r.pack.file}: pack "${r.pack.id}", ${r.pack.items.length} items`);
      else errors.push(...r.errors);
    }
  }
  return { errors, ok };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const args = process.argv.slice(2);
  const { errors, ok } = lintPaths(args.length > 0 ? args : ['quizzes']);
  for (const line of ok) console.log(`ok   ${line}`);
  for (const e of errors) console.error(`error ${formatPackError(e)}`);
  if (errors.length > 0) {
    console.error(`${errors.length} problem${errors.length === 1 ? '' : 's'} found`);
    process.exitCode = 1;
  }
}
