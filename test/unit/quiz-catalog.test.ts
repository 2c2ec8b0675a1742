import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog, precompilePacks } from '../../src/quiz/catalog.ts';
import { lintPack } from '../../src/quiz/lint.ts';
import { formatPackError, loadPacks } from '../../src/quiz/pack.ts';
import { cuedPack } from '../fakes/quiz-packs.ts';

const repoQuizzes = join(import.meta.dirname, '..', '..', 'quizzes');

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockhand-catalog-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** What a start loaded before the build parsed packs: loadPacks, then lintPack on each loaded pack. */
function parsedAtStart(dir: string): { packs: unknown; errors: unknown; warnings: string[] } {
  const c = loadPacks(dir);
  return { packs: c.packs, errors: c.errors, warnings: [...c.packs.values()].flatMap(lintPack).map(formatPackError) };
}

describe('quiz packs parsed at build time for the compiled start', () => {
  it('loads the shipped packs from the build output exactly as parsing them would', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dockhand-catalog-out-')), 'packs.json');
    expect(precompilePacks(repoQuizzes, out)).toEqual(['ecs.yaml']);
    const c = loadCatalog(repoQuizzes, out);
    const live = parsedAtStart(repoQuizzes);
    expect(c.packs).toEqual(live.packs);
    expect(c.errors).toEqual(live.errors);
    expect(c.warnings.map(formatPackError)).toEqual(live.warnings);
  });

  it('keeps the quiz:lint warnings of a pack the build parsed, and leaves out a broken pack with its errors', () => {
    const dir = folder({ 'cued.yaml': cuedPack(), 'broken.yaml': 'pack: broken\ntitle: [unclosed\n' });
    const out = join(dir, 'packs.json');
    expect(precompilePacks(dir, out)).toEqual(['cued.yaml']);
    const c = loadCatalog(dir, out);
    expect(c.warnings.map(formatPackError)).toEqual([
      'cued.yaml: the right choice is the longest in 6 of 6 MCQs (100%); at most a third may be, or picking the longest wins. Even out the lengths of: cue-1, cue-2, cue-3, cue-4, cue-5, cue-6',
      'cued.yaml: A is the right letter in 6 of 6 MCQs (100%); at most 40% may share one letter',
    ]);
    expect(c.warnings.map(formatPackError)).toEqual(parsedAtStart(dir).warnings);
    expect(c.errors).toEqual(parsedAtStart(dir).errors);
    expect(c.errors.map(formatPackError).join('\n')).toMatch(/^broken\.yaml: YAML error/);
    expect([...c.packs.keys()]).toEqual(['cued']);
  });

  it("takes a file the build parsed from the build's output instead of parsing it again", () => {
    const dir = folder({ 'cued.yaml': cuedPack() });
    const out = join(dir, 'packs.json');
    precompilePacks(dir, out);
    // Marks the build's copy, so the test can tell which one the start used.
    writeFileSync(out, readFileSync(out, 'utf8').replace('"title":"A Cued Pack"', '"title":"As the build parsed it"'));
    expect(loadCatalog(dir, out).packs.get('cued')?.title).toBe('As the build parsed it');
  });

  it('parses a file edited or renamed after the build, never serving what the build saw', () => {
    const dir = folder({ 'cued.yaml': cuedPack() });
    const out = join(dir, 'packs.json');
    precompilePacks(dir, out);
    writeFileSync(join(dir, 'cued.yaml'), cuedPack('Edited Since'));
    expect(loadCatalog(dir, out).packs.get('cued')?.title).toBe('Edited Since');
    writeFileSync(join(dir, 'cued.yaml'), cuedPack());
    renameSync(join(dir, 'cued.yaml'), join(dir, 'renamed.yaml'));
    const renamed = loadCatalog(dir, out);
    expect(renamed.packs.get('cued')?.file).toBe('renamed.yaml');
    expect(renamed.warnings.map((w) => w.file)).toEqual(['renamed.yaml', 'renamed.yaml']);
  });

  it('parses every pack when there is no build output, or one of another format', () => {
    const dir = folder({ 'cued.yaml': cuedPack() });
    expect(loadCatalog(dir, join(dir, 'missing.json')).warnings).toHaveLength(2);
    const out = join(dir, 'packs.json');
    precompilePacks(dir, out);
    writeFileSync(out, readFileSync(out, 'utf8').replace('"format":1', '"format":99').replace('"title":"A Cued Pack"', '"title":"Read in another format"'));
    expect(loadCatalog(dir, out).packs.get('cued')?.title).toBe('A Cued Pack');
  });
});
