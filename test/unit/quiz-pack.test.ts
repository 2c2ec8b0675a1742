import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintPaths } from '../../src/quiz/lint-cli.ts';
import { formatPackError, loadPackFile, loadPacks, mcqItems, openItems, parsePack, type PackError } from '../../src/quiz/pack.ts';

const repoQuizzes = join(import.meta.dirname, '..', '..', 'quizzes');

const good = `pack: demo
title: Demo pack
sections:
  basics: "1. Basics"
items:
  - id: demo-q1
    type: mcq
    section: basics
    difficulty: easy
    prompt: Which one is right?
    choices:
      - text: The first
        why: Because it is not.
      - text: The second
      - text: The third
        why: Nope.
    answer: B
    explanation: The second is right.
  - id: demo-open
    type: interview
    section: basics
    difficulty: medium
    prompt: Explain it.
    modelAnswer: It is explained.
    keyPoints:
      - point: Mentions the kernel
        weight: 2
        terms: [kernel]
`;

function errorsOf(src: string): PackError[] {
  const r = parsePack(src, '/x/demo.yaml');
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

function lines(src: string): string[] {
  return errorsOf(src).map(formatPackError);
}

describe('pack validation', () => {
  it('accepts a good pack and maps answer letters to choice indexes', () => {
    const r = parsePack(good, 'demo.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pack.id).toBe('demo');
    expect(mcqItems(r.pack)[0]?.answer).toBe(1);
    expect(openItems(r.pack)[0]?.keyPoints[0]?.terms).toEqual(['kernel']);
  });

  it('reports duplicate ids with file, item and field', () => {
    const src = good.replace('id: demo-open', 'id: demo-q1');
    expect(lines(src)).toContain('demo.yaml item "demo-q1" field id: duplicate id; item #1 already uses it');
  });

  it('reports a correct answer out of range', () => {
    expect(lines(good.replace('answer: B', 'answer: E'))).toEqual(['demo.yaml item "demo-q1" field answer: "E" is out of range: the item has 3 choices (A-C)']);
  });

  it('reports duplicate choices, case and spacing ignored', () => {
    expect(lines(good.replace('- text: The third', '- text: the  FIRST'))).toContain('demo.yaml item "demo-q1" field choices[2].text: duplicate choice; same as choice A');
  });

  it('reports a wrong choice without its reason', () => {
    expect(lines(good.replace('        why: Nope.\n', ''))).toEqual(['demo.yaml item "demo-q1" field choices[2].why: a wrong choice needs "why" (why it is wrong)']);
  });

  it('reports unknown keys, at the top and inside items', () => {
    expect(lines(good.replace('title: Demo pack', 'title: Demo pack\nauthor: me'))).toEqual(['demo.yaml field author: unknown key author']);
    expect(lines(good.replace('    difficulty: easy', '    difficulty: easy\n    hint: think'))).toEqual(['demo.yaml item "demo-q1" field hint: unknown key hint']);
  });

  it('says what is wrong with a section key', () => {
    expect(lines(good.replace('  basics: "1. Basics"', '  basics: "1. Basics"\n  B: "2. More"'))).toEqual(['demo.yaml field sections.B: section keys must be lowercase letters, digits and dashes (2-64 characters)']);
  });

  it('reports a file that is not YAML in a few short lines', () => {
    const markdown = `# Notes\n\nSome text: with a colon, \`code\` and more: ${'words '.repeat(200)}\n\n| a | b |\n|---|---|\n| \`x\` | y: z |\n- **bold**: item\n`.repeat(5);
    const out = lines(markdown);
    expect(out.length).toBeLessThanOrEqual(4);
    for (const l of out) expect(l.length).toBeLessThan(200);
    expect(out[0]).toMatch(/^demo\.yaml: YAML error at line \d+, column \d+: /);
    expect(out.at(-1)).toMatch(/more YAML errors; is this a question pack\?$/);
  });

  it('reports missing fields', () => {
    expect(lines(good.replace('    explanation: The second is right.\n', ''))).toEqual(['demo.yaml item "demo-q1" field explanation: is missing (expected string)']);
    expect(lines(good.replace('title: Demo pack\n', ''))).toEqual(['demo.yaml field title: is missing (expected string)']);
  });

  it('reports YAML that silently became another type', () => {
    expect(lines(good.replace('prompt: Which one is right?', 'prompt: 3.10'))).toEqual([
      'demo.yaml item "demo-q1" field prompt: YAML read this as a number (3.1), not text; put it in quotes',
    ]);
    expect(lines(good.replace('- text: The second', '- text: true'))).toEqual([
      'demo.yaml item "demo-q1" field choices[1].text: YAML read this as a boolean (true), not text; put it in quotes',
    ]);
    expect(lines(good.replace('prompt: Explain it.', 'prompt: ~'))[0]).toContain('field prompt: YAML read this as null');
  });

  it('refuses keys like __proto__ and duplicate YAML keys', () => {
    expect(lines(good.replace('    difficulty: easy', '    difficulty: easy\n    __proto__: { polluted: true }'))).toEqual([
      'demo.yaml item "demo-q1" field items[0].__proto__: the key __proto__ is not allowed',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(lines(good.replace('title: Demo pack', 'title: Demo pack\ntitle: Again'))[0]).toMatch(/^demo\.yaml: YAML error at line 3, column 1: Map keys must be unique/);
  });

  it('reports an unknown section and an unknown item type', () => {
    expect(lines(good.replace('    section: basics\n    difficulty: medium', '    section: advanced\n    difficulty: medium'))).toEqual([
      'demo.yaml item "demo-open" field section: unknown section "advanced"; sections are basics',
    ]);
    expect(lines(good.replace('type: interview', 'type: essay'))[0]).toContain('item "demo-open" field type');
  });

  it('refuses files over 1 MB before parsing them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiz-pack-'));
    const f = join(dir, 'big.yaml');
    writeFileSync(f, `${good}# ${'x'.repeat(1024 * 1024)}\n`);
    const r = loadPackFile(f);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatPackError(r.errors[0]!)).toMatch(/^big\.yaml: file is \d+ bytes; packs may be at most 1048576 bytes \(1 MB\)$/);
  });

  it('loads a folder: a pack with errors is reported and left out while the others load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiz-packs-'));
    writeFileSync(join(dir, 'a-good.yaml'), good);
    writeFileSync(join(dir, 'b-bad.yaml'), good.replace('pack: demo', 'pack: other').replace('answer: B', 'answer: Z'));
    writeFileSync(join(dir, 'notes.txt'), 'not a pack');
    const c = loadPacks(dir);
    expect([...c.packs.keys()]).toEqual(['demo']);
    expect(c.errors.map(formatPackError)).toEqual(['b-bad.yaml item "demo-q1" field answer: "Z" is out of range: the item has 3 choices (A-C)']);
    const lint = lintPaths([dir]);
    expect(lint.ok).toEqual(['a-good.yaml: pack "demo", 2 items']);
    expect(lint.errors).toHaveLength(1);
  });
});

describe('npm run quiz:lint', () => {
  it('prints one line per problem and exits 1, or lists the packs and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiz-lint-'));
    writeFileSync(join(dir, 'bad.yaml'), good.replace('answer: B', 'answer: D').replace('title: Demo pack', 'title: Demo pack\ntitel: typo'));
    const root = join(import.meta.dirname, '..', '..');
    const bad = spawnSync('npm', ['run', '-s', 'quiz:lint', '--', dir], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error bad.yaml field titel: unknown key titel');
    expect(bad.stderr).toContain('1 problem found');
    const ok = spawnSync('npm', ['run', '-s', 'quiz:lint'], { cwd: root, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('ok   ecs.yaml: pack "ecs", 32 items');
  });
});

describe('the ECS pack (quizzes/ecs.yaml)', () => {
  const c = loadPacks(repoQuizzes);
  const ecs = c.packs.get('ecs')!;

  it('is valid', () => {
    expect(c.errors.map(formatPackError)).toEqual([]);
    expect(ecs.title).toBe('AWS ECS and Docker Basics');
  });

  it("holds the chapter's two MCQs with the chapter's answers", () => {
    const q1 = mcqItems(ecs).find((i) => i.id === 'ecs-ch-q1-orchestrator-no-servers')!;
    const q2 = mcqItems(ecs).find((i) => i.id === 'ecs-ch-q2-image-registry')!;
    expect(q1.choices[q1.answer]?.text).toBe('Amazon ECS with the AWS Fargate launch type');
    expect(q2.choices[q2.answer]?.text).toBe('Amazon ECR');
  });

  it('has the two interview questions, the two exercises and at least 16 more MCQs, each naming its section', () => {
    expect(ecs.items.filter((i) => i.type === 'interview')).toHaveLength(2);
    expect(ecs.items.filter((i) => i.type === 'exercise')).toHaveLength(2);
    expect(mcqItems(ecs).filter((i) => i.section !== 'chapter-mcqs').length).toBeGreaterThanOrEqual(16);
    for (const i of ecs.items) expect(Object.keys(ecs.sections)).toContain(i.section);
    const covered = new Set(mcqItems(ecs).map((i) => i.section));
    for (const s of ['containers', 'images-ecr', 'orchestration', 'launch-types', 'deployment', 'best-practices', 'common-mistakes', 'faq']) expect(covered).toContain(s);
  });

  it('spreads the right answers over the letters', () => {
    const letters = new Set(mcqItems(ecs).map((i) => i.answer));
    expect(letters.size).toBeGreaterThanOrEqual(4);
  });

  it('claims nothing AWS documents otherwise (reviewed claims stay fixed)', () => {
    const why = (id: string, text: string): string => mcqItems(ecs).find((i) => i.id === id)!.choices.find((ch) => ch.text === text)!.why ?? '';
    const explanation = (id: string): string => mcqItems(ecs).find((i) => i.id === id)!.explanation;
    // RegisterTaskDefinition does not check the image; only starting a task needs it in the registry.
    expect(why('ecs-deployment-order', 'Create the service, register the task definition, build the image, push it to ECR')).not.toMatch(/task definition needs an image/);
    // ECS Anywhere and ECS Managed Instances are capacity too; EC2 and Fargate are examples, not the list.
    expect(why('ecs-launch-type-choice', 'No launch type; ECS runs containers on its own servers only')).not.toMatch(/: your EC2 instances or Fargate/);
    // A reused (mutable) tag can roll out with a forced new deployment, without a new revision.
    expect(explanation('ecs-images-read-only-template')).not.toMatch(/Any change means/);
    expect(why('ecs-fargate-awsvpc', 'none')).toContain('awsvpc');
    expect(why('ecs-fargate-awsvpc', 'none')).not.toMatch(/web service/);
  });
});
