import type { KeyPoint } from './pack.ts';

/** Endings accepted after a term's last letters, so `pull` also matches `pulls`, `pulled`, `pulling`. */
const SUFFIXES = ['', 's', 'es', 'ed', 'd', 'ing', 'er', 'ers'];

/** What a free-text answer covered. */
export interface CoverageResult {
  /** Weighted share of key points covered, 0..100. */
  score: number;
  /** Key points the answer covered, with the term that showed it. */
  covered: Array<{ point: KeyPoint; term: string }>;
  /** Key points it missed. */
  missed: KeyPoint[];
}

function words(s: string): string[] {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
}

function wordMatches(textWord: string, termWord: string): boolean {
  if (!textWord.startsWith(termWord)) return false;
  return SUFFIXES.includes(textWord.slice(termWord.length));
}

/** True when the phrase occurs in the word list as consecutive words (each allowing a plural or tense ending). */
function containsPhrase(text: readonly string[], phrase: readonly string[]): boolean {
  if (phrase.length === 0) return false;
  outer: for (let i = 0; i + phrase.length <= text.length; i++) {
    for (let j = 0; j < phrase.length; j++) {
      if (!wordMatches(text[i + j] as string, phrase[j] as string)) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * Scores which key points a free-text answer covers: a point counts when any of its terms
 * appears (case, punctuation and simple endings ignored). The score is the covered weight share.
 */
export function coverage(answer: string, keyPoints: readonly KeyPoint[]): CoverageResult {
  const text = words(answer);
  const covered: CoverageResult['covered'] = [];
  const missed: KeyPoint[] = [];
  let total = 0;
  let got = 0;
  for (const kp of keyPoints) {
    total += kp.weight;
    const term = kp.terms.find((t) => containsPhrase(text, words(t)));
    if (term !== undefined) {
      covered.push({ point: kp, term });
      got += kp.weight;
    } else {
      missed.push(kp);
    }
  }
  return { score: total ? Math.round((got / total) * 100) : 0, covered, missed };
}
