import { describe, expect, it } from 'vitest';
import { coverage } from '../../src/quiz/coverage.ts';
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

  it('counts a point when any of its words or phrases appears, ignoring case, punctuation and endings', () => {
    const c = coverage('Containers share the host\'s KERNEL; the image is pulled at start.', points);
    expect(c.covered.map((x) => [x.point.point, x.term])).toEqual([
      ['Shares the host kernel', 'kernel'],
      ['Image pulled from ECR', 'pull'],
    ]);
    expect(c.missed.map((p) => p.point)).toEqual(['VM has a guest OS']);
    expect(c.score).toBe(67);
  });

  it('matches phrases only as consecutive whole words', () => {
    expect(coverage('a guest, operating system', points).missed).toHaveLength(2);
    expect(coverage('each guest operating systems boots', points).covered.map((x) => x.term)).toEqual(['guest operating system']);
    expect(coverage('kernels', points).score).toBe(50);
    expect(coverage('kernelspace', points).score).toBe(0);
    expect(coverage('', points)).toMatchObject({ score: 0, covered: [] });
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
