/**
 * The packs a start loads, with their quiz:lint warnings. Parsing ecs.yaml with `yaml` and zod and
 * linting it takes ~150 ms at start, so `npm run build` parses the shipped packs once and writes the
 * results next to the compiled module; a start takes a file's result from there only when the file's
 * name and bytes are exactly the ones that were parsed, and parses anything else as before.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lintPack } from './lint.ts';
import { loadPacks, parsePack, QUIZZES_DIR, type Pack, type PackCatalog, type PackError } from './pack.ts';

/**
 * Where the build puts the parsed packs: beside this module, so only the compiled build carries them
 * (run from source, this path holds nothing and every pack is parsed, as the sources may be mid-edit).
 */
export const PRECOMPILED_PACKS = fileURLToPath(new URL('./packs.precompiled.json', import.meta.url));

/** The parsed packs the build wrote, keyed by a hash of each file's name and bytes. */
interface Precompiled {
  /** Bumped when the file's shape changes, so an old file is ignored rather than misread. */
  format: 1;
  /** Hash → the pack parsed from those bytes and the quiz:lint problems it has. */
  packs: Record<string, { pack: Pack; warnings: PackError[] }>;
}

/** A catalog and the quiz:lint problems of the packs it holds (they load, but deserve a warning). */
export interface LoadedCatalog extends PackCatalog {
  /** quiz:lint problems of the loaded packs, in pack order. */
  warnings: PackError[];
}

/** The key of one pack file: its base name (packs carry it) and its exact bytes. */
function keyOf(file: string, source: string): string {
  return createHash('sha256').update(basename(file)).update('\0').update(source).digest('hex');
}

function readPrecompiled(path: string): Precompiled['packs'] {
  try {
    const p = JSON.parse(readFileSync(path, 'utf8')) as Partial<Precompiled>;
    return p.format === 1 && p.packs ? p.packs : {};
  } catch {
    // No such file (run from source, or a build without packs): every pack is parsed.
    return {};
  }
}

/**
 * Loads every pack of `dir` as loadPacks does, with each loaded pack's quiz:lint problems; a file whose
 * name and bytes the build already parsed is taken from `precompiled` instead of being parsed again.
 */
export function loadCatalog(dir: string, precompiled = PRECOMPILED_PACKS): LoadedCatalog {
  const known = readPrecompiled(precompiled);
  const lintOf = new WeakMap<Pack, PackError[]>();
  const catalog = loadPacks(dir, (source, file) => {
    const hit = known[keyOf(file, source)];
    if (!hit) return parsePack(source, file);
    lintOf.set(hit.pack, hit.warnings);
    return { ok: true, pack: hit.pack };
  });
  const warnings = [...catalog.packs.values()].flatMap((p) => lintOf.get(p) ?? lintPack(p));
  return { ...catalog, warnings };
}

/** Parses every pack of `dir` and writes what loadCatalog reads to `out` (run by `npm run build`); returns the packs written. */
export function precompilePacks(dir: string, out = PRECOMPILED_PACKS): string[] {
  const packs: Precompiled['packs'] = {};
  loadPacks(dir, (source, file) => {
    const r = parsePack(source, file);
    if (r.ok) packs[keyOf(file, source)] = { pack: r.pack, warnings: lintPack(r.pack) };
    return r;
  });
  const body: Precompiled = { format: 1, packs };
  writeFileSync(out, JSON.stringify(body));
  return Object.values(packs).map((p) => p.pack.file);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ? resolve(process.argv[2]) : QUIZZES_DIR;
  const written = precompilePacks(dir);
  process.stdout.write(`quiz packs parsed for the compiled start: ${written.join(', ') || 'none'} → ${PRECOMPILED_PACKS}\n`);
}
