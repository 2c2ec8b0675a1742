/** Points for a right answer. */
export const POINTS_RIGHT = 100;

/** The most a right answer can add for speed. */
export const SPEED_BONUS_MAX = 50;

/** The window the speed bonus shrinks over when a session has no timer. */
export const DEFAULT_SPEED_WINDOW_MS = 30_000;

/**
 * Points for one answer: 100 when right plus up to 50 for speed, shrinking linearly to 0 over
 * the question's window (its timer, or 30 s without one). Wrong answers score 0.
 */
export function pointsFor(correct: boolean, responseMs: number, windowMs: number | null): number {
  if (!correct) return 0;
  const window = windowMs && windowMs > 0 ? windowMs : DEFAULT_SPEED_WINDOW_MS;
  const left = 1 - Math.min(Math.max(responseMs, 0), window) / window;
  return POINTS_RIGHT + Math.round(SPEED_BONUS_MAX * left);
}

/** One logged answer, as the score summary needs it. */
export interface HistoryAnswer {
  /** Section key of the item. */
  section: string;
  /** Right or wrong. */
  correct: boolean;
  /** When it was given, ms since the epoch (orders the streak). */
  at: number;
}

/** Accuracy for one section. */
export interface SectionScore {
  /** Section key. */
  section: string;
  /** Answers given. */
  total: number;
  /** Right answers. */
  correct: number;
  /** correct / total, 0..1. */
  accuracy: number;
}

/** A user's record: overall, per section, weakest sections and current streak. */
export interface ScoreSummary {
  /** Answers given. */
  total: number;
  /** Right answers. */
  correct: number;
  /** correct / total, 0..1 (0 when there are none). */
  accuracy: number;
  /** Per section, in the order given by `sectionOrder` (then by key). */
  bySection: SectionScore[];
  /** Up to three sections with the lowest accuracy (only sections with a wrong answer). */
  weakest: SectionScore[];
  /** Right answers in a row, counting back from the latest. */
  streak: number;
}

/** Summarizes a user's answers. */
export function summarize(answers: readonly HistoryAnswer[], sectionOrder: readonly string[] = []): ScoreSummary {
  const per = new Map<string, SectionScore>();
  let correct = 0;
  for (const a of answers) {
    let s = per.get(a.section);
    if (!s) per.set(a.section, (s = { section: a.section, total: 0, correct: 0, accuracy: 0 }));
    s.total++;
    if (a.correct) {
      s.correct++;
      correct++;
    }
  }
  for (const s of per.values()) s.accuracy = s.correct / s.total;
  const rank = (k: string): number => {
    const i = sectionOrder.indexOf(k);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const bySection = [...per.values()].sort((a, b) => rank(a.section) - rank(b.section) || a.section.localeCompare(b.section));
  const weakest = bySection
    .filter((s) => s.correct < s.total)
    .sort((a, b) => a.accuracy - b.accuracy || b.total - a.total || a.section.localeCompare(b.section))
    .slice(0, 3);
  const ordered = [...answers].sort((a, b) => a.at - b.at);
  let streak = 0;
  for (let i = ordered.length - 1; i >= 0 && ordered[i]?.correct; i--) streak++;
  return { total: answers.length, correct, accuracy: answers.length ? correct / answers.length : 0, bySection, weakest, streak };
}

/** Formats 0..1 as a whole percentage such as `67%`. */
export function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
