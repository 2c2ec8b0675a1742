/**
 * `npm run quiz:lint [folder-or-files...]`: validates question packs and prints one line per
 * problem (file, item id, field). Exits 1 when any pack has errors, so CI can gate on it.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatFigures, lintPack, packFigures } from './lint.ts';
import { formatPackError, loadPackFile, loadPacks, type Pack, type PackError } from './pack.ts';

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Lints the given paths (folders or files): structural errors, answer cues and calibration, and each good pack's figures. */
export function lintPaths(paths: readonly string[]): { errors: PackError[]; ok: string[] } {
  const errors: PackError[] = [];
  const ok: string[] = [];
  const packs: Pack[] = [];
  for (const p of paths) {
    if (isDirectory(p)) {
      const c = loadPacks(p);
      errors.push(...c.errors);
      packs.push(...c.packs.values());
    } else {
      const r = loadPackFile(p);
      if (r.ok) packs.push(r.pack);
      else errors.push(...r.errors);
    }
  }
  for (const pack of packs) {
    const problems = lintPack(pack);
    errors.push(...problems);
    const open = pack.items.filter((i) => i.type !== 'mcq' && !i.retired).length;
    const head = `${pack.file}: pack "${pack.id}", ${pack.items.length} items (${open} free-text, calibration answers scored)`;
    ok.push(`${head}; ${formatFigures(packFigures(pack))}${problems.length ? ` — ${problems.length} problem${problems.length === 1 ? '' : 's'}` : ''}`);
  }
  return { errors, ok };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const args = process.argv.slice(2);
  const { errors, ok } = lintPaths(args.length > 0 ? args : ['quizzes']);
  for (const line of ok) console.log(`pack ${line}`);
  for (const e of errors) console.error(`error ${formatPackError(e)}`);
  if (errors.length > 0) {
    console.error(`${errors.length} problem${errors.length === 1 ? '' : 's'} found`);
    process.exitCode = 1;
  }
}
