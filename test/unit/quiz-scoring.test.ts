import { describe, expect, it } from 'vitest';
import { coverage, termStems, type Scorable } from '../../src/quiz/coverage.ts';
import type { KeyPoint } from '../../src/quiz/pack.ts';
import { isDue, ratingForAnswer, scheduleReview } from '../../src/quiz/review.ts';
import { pointsFor, summarize } from '../../src/quiz/scoring.ts';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const MIN = 60_000;
const DAY = 86_400_000;

describe('scoring', () => {
  it('uses a 30 s speed window when there is no timer', () => {
    expect(pointsFor(true, 0, null)).toBe(150);
    expect(pointsFor(true, 60_000, null)).toBe(100);
    expect(pointsFor(true, 5_000, 10_000)).toBe(125);
    expect(pointsFor(false, 0, null)).toBe(0);
  });

  it('summarizes accuracy per section, the weakest sections and the current streak', () => {
    const s = summarize(
      [
        { section: 'ecr', correct: false, at: 1 },
        { section: 'fargate', correct: true, at: 2 },
        { section: 'ecr', correct: true, at: 3 },
        { section: 'vm', correct: false, at: 4 },
        { section: 'fargate', correct: true, at: 6 },
        { section: 'ecr', correct: true, at: 5 },
      ],
      ['vm', 'ecr', 'fargate'],
    );
    expect(s).toMatchObject({ total: 6, correct: 4, streak: 2 });
    expect(s.bySection.map((x) => [x.section, x.correct, x.total])).toEqual([
      ['vm', 0, 1],
      ['ecr', 2, 3],
      ['fargate', 2, 2],
    ]);
    expect(s.weakest.map((x) => x.section)).toEqual(['vm', 'ecr']);
    expect(summarize([]).accuracy).toBe(0);
  });
});

describe('key-point coverage', () => {
  const points: KeyPoint[] = [
    { point: 'Shares the host kernel', weight: 3, terms: ['kernel', 'host os'] },
    { point: 'VM has a guest OS', weight: 2, terms: ['hypervisor', 'guest operating system'] },
    { point: 'Image pulled from ECR', weight: 1, terms: ['pull', 'ecr'] },
  ];
  const item = (keyPoints: KeyPoint[], extra: Partial<Scorable> = {}): Scorable => ({ keyPoints, ...extra });
  const credited = (answer: string, s: Scorable): string[] => coverage(answer, s).points.filter((p) => p.credited).map((p) => p.point.point);

  it('counts a point when any of its words or phrases appears, ignoring case, punctuation and endings', () => {
    const c = coverage("Containers share the host's KERNEL; the image is pulled at start.", item(points));
    expect(c.points.map((p) => [p.point.point, p.matched])).toEqual([
      ['Shares the host kernel', 'kernel'],
      ['VM has a guest OS', null],
      ['Image pulled from ECR', 'pull'],
    ]);
    expect(c).toMatchObject({ score: 67, got: 4, total: 6, passed: true, passMark: 60 });
  });

  it('matches phrases only as consecutive whole words within one clause', () => {
    expect(credited('a guest, operating system', item(points))).toEqual([]);
    expect(credited('each guest operating systems boots', item(points))).toEqual(['VM has a guest OS']);
    expect(coverage('kernels', item(points)).score).toBe(50);
    expect(coverage('kernelspace', item(points)).score).toBe(0);
    expect(coverage('', item(points))).toMatchObject({ score: 0, passed: false });
  });

  it('stems terms and answers the same way, so every inflection of a term matches', () => {
    const p = item([{ point: 'Packaged', weight: 1, terms: ['packages'] }]);
    for (const a of ['it is packaged', 'packaging it', 'one package', 'it packages']) expect(coverage(a, p).score).toBe(100);
    expect(termStems('Provisioned instances')).toEqual(termStems('provision instance'));
  });

  it('needs every word of a near set within 6 words of each other, in one sentence', () => {
    const p = item([{ point: 'Share the kernel', weight: 1, near: [['share', 'kernel']] }]);
    expect(coverage('containers share the host kernel', p).score).toBe(100);
    expect(coverage('a kernel', p).score).toBe(0);
    expect(coverage('they share one, two, three, four, five, six kernel', p).score).toBe(0);
    expect(coverage('they share a lot. The kernel boots.', p).score).toBe(0);
  });

  it('flips a match after a negation cue within 3 words; only negated points count flipped matches', () => {
    const noBoot = item([{ point: 'No OS boots', weight: 1, terms: ['boot'], negated: true }]);
    for (const a of ["A container doesn't boot anything", 'there is no OS to boot', 'it starts without booting', 'nothing boots', 'it never boots'])
      expect(coverage(a, noBoot).score, a).toBe(100);
    for (const a of ['the kernel boots faster', 'no, it boots']) expect(coverage(a, noBoot).score, a).toBe(0);
    const share = item([{ point: 'Share the kernel', weight: 1, near: [['share', 'kernel']] }]);
    expect(coverage("containers don't share the kernel", share).score).toBe(0);
    expect(coverage('containers do not each need a kernel, they share one kernel', share).score).toBe(100);
  });

  it('takes the credit of a contradicted point when the answer states a misconception, and names it', () => {
    const s = item(points, {
      misconceptions: [{ claim: 'A container is a tiny VM', terms: ['tiny virtual machine'], contradicts: [1], correction: 'A container is a process.' }],
    });
    const c = coverage('A container is a tiny virtual machine on a hypervisor with its kernel', s);
    expect(c.points[1]).toMatchObject({ credited: false, matched: 'hypervisor' });
    expect(c.points[1]?.contradictedBy?.claim).toBe('A container is a tiny VM');
    expect(c.misconceptions.map((m) => m.matched)).toEqual(['tiny virtual machine']);
    expect(c.score).toBe(50);
    // Denying the misconception states none.
    expect(coverage('A container is not a tiny virtual machine; a VM has a hypervisor', s).misconceptions).toEqual([]);
  });

  it('passes at the item pass mark, 60% by default', () => {
    const two = [
      { point: 'a', weight: 3, terms: ['alpha'] },
      { point: 'b', weight: 2, terms: ['beta'] },
    ];
    expect(coverage('alpha', item(two))).toMatchObject({ score: 60, passed: true });
    expect(coverage('beta', item(two))).toMatchObject({ score: 40, passed: false });
    expect(coverage('beta', item(two, { passMark: 40 }))).toMatchObject({ passed: true, passMark: 40 });
  });
});

describe('review scheduling (FSRS)', () => {
  it('brings wrong answers back soon and right ones later', () => {
    const wrong = scheduleReview(null, ratingForAnswer(false), T0);
    const right = scheduleReview(null, ratingForAnswer(true), T0);
    expect(wrong.due - T0).toBeLessThanOrEqual(10 * MIN);
    expect(right.due).toBeGreaterThan(wrong.due);
    expect(isDue(wrong, T0 + 10 * MIN)).toBe(true);
    expect(isDue(right, T0 + MIN)).toBe(false);
  });

  it('spaces reviews further apart as an item keeps being remembered, and resets after a lapse', () => {
    let card = scheduleReview(null, 'good', T0);
    let now = card.due;
    card = scheduleReview(card, 'good', now);
    const first = card.due - now;
    now = card.due;
    card = scheduleReview(card, 'good', now);
    const second = card.due - now;
    expect(first).toBeGreaterThanOrEqual(DAY);
    expect(second).toBeGreaterThan(first);
    now = card.due;
    const lapsed = scheduleReview(card, 'again', now);
    expect(lapsed.lapses).toBe(1);
    expect(lapsed.due - now).toBeLessThan(first);
  });

  it('is deterministic and ranks easy after good after hard after again', () => {
    const due = (['again', 'hard', 'good', 'easy'] as const).map((r) => scheduleReview(null, r, T0).due);
    expect([...due].sort((a, b) => a - b)).toEqual(due);
    expect(new Set(due).size).toBe(4);
    expect(scheduleReview(null, 'good', T0)).toEqual(scheduleReview(null, 'good', T0));
  });
});
