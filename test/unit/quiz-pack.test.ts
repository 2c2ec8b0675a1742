import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coverage } from '../../src/quiz/coverage.ts';
import { formatFigures, lintPack, packFigures } from '../../src/quiz/lint.ts';
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
    references:
      pass: [the kernel, kernels, it shares a kernel, "kernel: the host's"]
      fail: [no idea, a VM, a hypervisor, it is explained]
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
    expect(lines(good.replace('    explanation: The second is right.\n', ''))).toEqual(['demo.yaml item "demo-q1" field explanation: is missing (it should be text)']);
    expect(lines(good.replace('title: Demo pack\n', ''))).toEqual(['demo.yaml field title: is missing (it should be text)']);
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
    expect(lines(good.replace('type: interview', 'type: essay'))).toEqual(['demo.yaml item "demo-open" field type: unknown item type essay; use mcq, interview, exercise']);
    expect(lines(good.replace('    type: interview\n', ''))).toEqual(['demo.yaml item "demo-open" field type: is missing; use mcq, interview, exercise']);
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
    expect(lint.ok).toEqual(['a-good.yaml: pack "demo", 2 items (1 free-text, calibration answers scored); 1 MCQs; right choice strictly the longest in 1 (100%); right letters A 0 · B 1 · C 0']);
    expect(lint.errors).toHaveLength(1);
  });
});

describe('pack lint: answer cues and calibration', () => {
  const mcq = (id: string, right: string, answer: string, texts: [string, string, string]): string => `
  - id: ${id}
    type: mcq
    section: basics
    difficulty: easy
    prompt: Pick one.
    choices:
${texts.map((t) => `      - text: "${t}"\n${t === right ? '' : '        why: Not this one.\n'}`).join('')}    answer: ${answer}
    explanation: Because.`;
  // Six MCQs with the right letters spread A, B, C, A, B, C and no length cue.
  const six = ['A', 'B', 'C', 'A', 'B', 'C'].map((l, i) => {
    const texts: [string, string, string] = [`alpha ${i}`, `bravo ${i}`, `charl ${i}`];
    return mcq(`q${i}`, texts['ABC'.indexOf(l)] as string, l, texts);
  });
  const pack = (items: string[], open = ''): string => `pack: cues\ntitle: Cues\nsections:\n  basics: "1. Basics"\nitems:${items.join('')}${open}\n`;
  const load = (src: string) => {
    const r = parsePack(src, 'cues.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatPackError).join('\n'));
    return r.pack;
  };

  it('passes a pack without cues and reports its figures', () => {
    const p = load(pack(six));
    expect(lintPack(p)).toEqual([]);
    expect(formatFigures(packFigures(p))).toBe('6 MCQs; right choice strictly the longest in 0 (0%); right letters A 2 · B 2 · C 2');
  });

  it('fails when the right choice is the strictly longest in more than a third of 6+ MCQs', () => {
    const cued = six.map((x, i) => (i < 3 ? x.replace(/"(alpha|bravo|charl) (\d)"\n(?! {8}why)/, '"$1 $2 is the long and careful answer"\n') : x));
    const problems = lintPack(load(pack(cued))).map(formatPackError);
    expect(problems).toEqual([
      'cues.yaml: the right choice is the longest in 3 of 6 MCQs (50%); at most a third may be, or picking the longest wins. Even out the lengths of: q0, q1, q2',
    ]);
  });

  it('fails when one letter is right in more than 40% of 6+ MCQs, and not for smaller packs', () => {
    const allA = ['A', 'A', 'A', 'B', 'C', 'A'].map((l, i) => {
      const texts: [string, string, string] = [`alpha ${i}`, `bravo ${i}`, `charl ${i}`];
      return mcq(`q${i}`, texts['ABC'.indexOf(l)] as string, l, texts);
    });
    expect(lintPack(load(pack(allA))).map(formatPackError)).toEqual(['cues.yaml: A is the right letter in 4 of 6 MCQs (67%); at most 40% may share one letter']);
    expect(lintPack(load(pack(allA.slice(0, 5))))).toEqual([]);
  });

  it('fails a calibration answer on the wrong side and too few references', () => {
    const open = `
  - id: why-kernel
    type: interview
    section: basics
    difficulty: easy
    prompt: Why?
    modelAnswer: The kernel is shared.
    keyPoints:
      - point: Shares the kernel
        weight: 1
        near: [[share, kernel]]
    references:
      pass: [they share the kernel, "a kernel. It is shared.", sharing the kernel, they share one kernel]
      fail: [a kernel, "they don't share the kernel", none]`;
    expect(lintPack(load(pack(six, open))).map(formatPackError)).toEqual([
      'cues.yaml item "why-kernel" field references.pass[1]: scores 0% (pass mark 60%), so it does not pass but must: "a kernel. It is shared."',
      'cues.yaml item "why-kernel" field references.fail: has 3 answers; give at least 4 that must not pass',
    ]);
  });

  it('scores every reference answer of quizzes/ecs.yaml on its side, and finds no cue there', () => {
    const ecs = loadPacks(repoQuizzes).packs.get('ecs')!;
    for (const it of openItems(ecs)) {
      expect(it.references?.pass.length, it.id).toBeGreaterThanOrEqual(4);
      expect(it.references?.fail.length, it.id).toBeGreaterThanOrEqual(4);
    }
    expect(lintPack(ecs).map(formatPackError)).toEqual([]);
  });

  it("puts the issue's example answers on the right side", () => {
    const ecs = loadPacks(repoQuizzes).packs.get('ecs')!;
    const score = (id: string, a: string) => coverage(a, openItems(ecs).find((i) => i.id === id)!);
    const vm = score('ecs-iq-container-vs-vm', 'A container is a tiny virtual machine that boots its own kernel and its own operating system on the hypervisor, which is why it works the same everywhere');
    expect(vm.passed).toBe(false);
    expect(vm.misconceptions[0]?.misconception.correction).toMatch(/not a virtual machine/);
    expect(score('ecs-ex-boot-speed', "A VM must boot its own OS from scratch. A Docker container doesn't boot anything").passed).toBe(true);
    expect(score('ecs-ex-boot-speed', "Docker uses a smaller, optimized kernel that boots faster than the VM's full operating system boot process").passed).toBe(false);
    expect(score('ecs-ex-ec2-vs-fargate', 'Fargate runs on EC2 instances you provision yourself, it is cheaper and serverless, while EC2 gives you no control').passed).toBe(false);
    expect(score('ecs-iq-deployment-pipeline', "I don't know what a Dockerfile, ECR, task definition or cluster do.")).toMatchObject({ passed: false, score: 0 });
  });
});

describe('pack validation reports every problem in plain words', () => {
  it('checks every item even when the head has errors, and finds a duplicate id of an invalid item', () => {
    const src = good.replace('pack: demo', 'pack: Demo!').replace('id: demo-open', 'id: demo-q1').replace('difficulty: medium', 'difficulty: extreme');
    expect(lines(src)).toEqual([
      'demo.yaml field pack: must be lowercase letters, digits and dashes (2-64 characters)',
      'demo.yaml item "demo-q1" field id: duplicate id; item #1 already uses it',
      'demo.yaml item "demo-q1" field difficulty: must be one of easy, medium, hard, not "extreme"',
    ]);
  });

  it('says limits without schema wording', () => {
    expect(lines(good.replace('weight: 2', 'weight: 12'))).toEqual(['demo.yaml item "demo-open" field keyPoints[0].weight: must be at most 10, not 12']);
    expect(lines(good.replace('weight: 2', 'weight: 1.5'))).toEqual(['demo.yaml item "demo-open" field keyPoints[0].weight: should be a whole number, not a number (1.5)']);
    expect(lines(good.replace('        terms: [kernel]\n', ''))).toEqual(['demo.yaml item "demo-open" field keyPoints[0]: needs terms or near (or both)']);
    expect(lines(good.replace('terms: [kernel]', 'terms: [kernel]\n    passMark: 0'))[0]).toMatch(/field passMark: must be at least 1, not 0$/);
    expect(lines(good.replace('terms: [kernel]', 'terms: [kernel]\n        negated: true\n        near: [[no, boot]]'))).toEqual([
      'demo.yaml item "demo-open" field keyPoints[0]: "no" carries its own negation; a negated point counts negated matches, so write the term without it',
    ]);
  });

  it('checks that a misconception contradicts a key point that exists', () => {
    const src = good.replace('    references:', '    misconceptions:\n      - { claim: x, terms: [y], contradicts: 3, correction: z }\n    references:');
    expect(lines(src)).toEqual(['demo.yaml item "demo-open" field misconceptions[0].contradicts: there is no key point 3; the item has 1 key point (1-1)']);
  });

  it('keeps a retired item for its history but stops serving it', () => {
    const r = parsePack(good.replace('  - id: demo-q1\n', '  - id: demo-q1\n    retired: true\n'), 'demo.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(mcqItems(r.pack)).toEqual([]);
    expect(r.pack.items.map((i) => i.id)).toContain('demo-q1');
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
    // Every problem of the file in one run: the head's typo and the item's answer.
    expect(bad.stderr).toContain('error bad.yaml item "demo-q1" field answer: "D" is out of range');
    expect(bad.stderr).toContain('2 problems found');
    const ok = spawnSync('npm', ['run', '-s', 'quiz:lint'], { cwd: root, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/pack ecs\.yaml: pack "ecs", \d+ items .*right choice strictly the longest in \d+ \(\d+%\); right letters A \d+ · B \d+ · C \d+ · D \d+\n/);
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
    expect(why('ecs-deployment-order', 'Create the cluster and the service, register the task definition, build the image, push to ECR')).not.toMatch(/task definition needs an image/);
    // ECS Anywhere and ECS Managed Instances are capacity too; EC2 and Fargate are examples, not the list.
    expect(why('ecs-launch-type-choice', 'No launch type; ECS runs containers on its own servers only')).not.toMatch(/: your EC2 instances or Fargate/);
    // Fargate is AWS-owned capacity, not "yours".
    expect(why('ecs-launch-type-choice', 'No launch type; ECS runs containers on its own servers only')).toMatch(/Fargate, where AWS owns and runs the compute/);
    // Fargate, as https://aws.amazon.com/fargate/pricing/ words it: per second from the image download until the task
    // terminates, rounded up to the nearest second; storage only above the included 20 GiB. A one-minute minimum is not
    // on AWS's page (only on third-party pages), so the pack does not teach it.
    expect(explanation('ecs-fargate-billing')).toMatch(/per second, from when its image starts downloading.*rounded up\s+to the nearest second.*above the included\s+20 GiB/s);
    for (const it of ecs.items) expect(JSON.stringify(it), it.id).not.toMatch(/one-minute minimum/);
    // cgroups do reserve CPU and memory; the reason is that no OS boots.
    expect(why('ecs-containers-share-kernel', 'Each container gets dedicated hardware that is kept powered on and ready')).toMatch(/no operating system boots/);
    expect(why('ecs-containers-share-kernel', 'Each container gets dedicated hardware that is kept powered on and ready')).not.toMatch(/nothing is dedicated/);
    // Replacement is the default; container restart policies (opt-in) restart in place.
    expect(why('ecs-service-replaces-failed-task', 'Restarts the crashed container in place, keeping the files it wrote')).toMatch(/opt-in container restart policy/);
    // ECS Managed Instances are EC2 instances AWS patches: the "you patch" answer is about the EC2 launch type.
    expect(why('ecs-ec2-launch-type-patching', 'AWS, automatically and invisibly')).toMatch(/Not with the EC2 launch type.*ECS Managed Instances/s);
    // A re-pushed tag rolls out with a forced new deployment; tags resolve to digests at deployment.
    expect(explanation('ecs-images-read-only-template')).toMatch(/resolves a\s+tag to an image digest/);
    // A reused (mutable) tag can roll out with a forced new deployment, without a new revision.
    expect(explanation('ecs-images-read-only-template')).not.toMatch(/Any change means/);
    expect(why('ecs-fargate-awsvpc', 'none')).toContain('awsvpc');
    expect(why('ecs-fargate-awsvpc', 'none')).not.toMatch(/web service/);
  });
});
