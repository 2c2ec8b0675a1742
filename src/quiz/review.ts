import { createEmptyCard, fsrs, Rating, type Card, type Grade } from 'ts-fsrs';

/** How a user rates their own recall (the FSRS grades). */
export type SelfRating = 'again' | 'hard' | 'good' | 'easy';

/** The self-ratings, worst first. */
export const SELF_RATINGS: readonly SelfRating[] = ['again', 'hard', 'good', 'easy'];

/** A user's memory state for one item, as stored (JSON-safe, times in ms). */
export interface ReviewCard {
  /** When it is next due, ms since the epoch. */
  due: number;
  /** FSRS stability. */
  stability: number;
  /** FSRS difficulty. */
  difficulty: number;
  /** Days between the last two reviews (kept for ts-fsrs). */
  elapsedDays: number;
  /** Days it was scheduled for. */
  scheduledDays: number;
  /** Position in the (re)learning steps. */
  learningSteps: number;
  /** Times reviewed. */
  reps: number;
  /** Times forgotten. */
  lapses: number;
  /** FSRS state: 0 new, 1 learning, 2 review, 3 relearning. */
  state: number;
  /** The last review, ms since the epoch. */
  lastReview: number | null;
}

const GRADES: Record<SelfRating, Grade> = {
  again: Rating.Again,
  hard: Rating.Hard,
  good: Rating.Good,
  easy: Rating.Easy,
};

// No fuzz: the same history must give the same schedule (tests, and two processes agreeing).
const scheduler = fsrs({ enable_fuzz: false });

function toCard(c: ReviewCard): Card {
  return {
    due: new Date(c.due),
    stability: c.stability,
    difficulty: c.difficulty,
    elapsed_days: c.elapsedDays,
    scheduled_days: c.scheduledDays,
    learning_steps: c.learningSteps,
    reps: c.reps,
    lapses: c.lapses,
    state: c.state,
    last_review: c.lastReview === null ? undefined : new Date(c.lastReview),
  };
}

function fromCard(c: Card): ReviewCard {
  return {
    due: c.due.getTime(),
    stability: c.stability,
    difficulty: c.difficulty,
    elapsedDays: c.elapsed_days,
    scheduledDays: c.scheduled_days,
    learningSteps: c.learning_steps,
    reps: c.reps,
    lapses: c.lapses,
    state: c.state,
    lastReview: c.last_review ? c.last_review.getTime() : null,
  };
}

/** Schedules the next review of an item after a rating (a missing card is a new one). */
export function scheduleReview(card: ReviewCard | null, rating: SelfRating, now: number): ReviewCard {
  const current = card ? toCard(card) : createEmptyCard(new Date(now));
  return fromCard(scheduler.next(current, new Date(now), GRADES[rating]).card);
}

/** The rating a multiple-choice answer implies: wrong comes back soon, right later. */
export function ratingForAnswer(correct: boolean): SelfRating {
  return correct ? 'good' : 'again';
}

/** True when the card is due at `now`. */
export function isDue(card: ReviewCard, now: number): boolean {
  return card.due <= now;
}
