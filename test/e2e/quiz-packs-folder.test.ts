import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';
import { cuedPack } from '../fakes/quiz-packs.ts';

describe('DOCKHAND_QUIZZES: another folder of quiz packs (npm start)', () => {
  it('starts with a pack that fails quiz:lint, warns about each problem at start, and still serves the pack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockhand-packs-'));
    writeFileSync(join(dir, 'cued.yaml'), cuedPack());
    const r = await runCli(['/quiz packs', '/quiz cued --solo --questions 1'], { DOCKHAND_QUIZZES: dir });
    expect(r.code).toBe(0);
    // The warning names the file and what is wrong, once per problem.
    const warnings = r.stderr.split('\n').filter((l) => l.includes('quiz pack loaded with a problem'));
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('cued.yaml');
    expect(warnings.join('\n')).toContain('the right choice is the longest in 6 of 6 MCQs (100%)');
    expect(warnings.join('\n')).toContain('A is the right letter in 6 of 6 MCQs (100%)');
    // The pack still loads: it is listed and a session runs on it; the shipped ecs pack is not in this folder.
    expect(r.stdout).toMatch(/cued\s+A Cued Pack\s+6/);
    expect(r.stdout).not.toMatch(/AWS ECS and Docker Basics/);
    expect(r.stdout).toContain('Solo quiz for tester: 1 question');
    expect(r.stdout).toMatch(/Question number \d\?/);
  });

  it('refuses a folder that is not there at start, in one line with exit code 2', async () => {
    const r = await runCli(['/quiz packs'], { DOCKHAND_QUIZZES: '/nonexistent/packs' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("env DOCKHAND_QUIZZES: got '/nonexistent/packs', no folder is there; expected the path of a folder of quiz packs (*.yaml), such as ./quizzes");
    expect(r.stdout).toBe('');
  });
});
