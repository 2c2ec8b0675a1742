import { stemmer } from 'stemmer';
import type { KeyPoint, Misconception, OpenItem } from './pack.ts';

/** The share of the weighted key points an answer needs when its item sets no `passMark`. */
export const DEFAULT_PASS_MARK = 60;

/** Words within which all the words of a `near` set must occur (distance between their starts). */
export const NEAR_WINDOW = 6;

/** How many words before a match a negation cue flips it. */
export const NEGATION_REACH = 3;

/** Words that negate what follows them (`n't` is rewritten to `not` before this is checked). */
export const NEGATION_CUES: ReadonlySet<string> = new Set(['no', 'not', 'without', 'never', 'nothing', 'none']);

/** One word of a text: its stem, and the sentence and clause it is in. */
interface Token {
  stem: string;
  /** Sentences end at . ; ! ? and near sets stay within one. */
  sentence: number;
  /** Clauses also end at commas and colons; phrases and negation stay within one. */
  clause: number;
}

/** Splits text into stemmed words, rewriting `n't` to `not` so contractions negate like the full words. */
export function tokenize(s: string): Token[] {
  const norm = s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/\bcannot\b/g, 'can not')
    .replace(/n't\b/g, ' not')
    .replace(/'s\b/g, '');
  const out: Token[] = [];
  let sentence = 0;
  let clause = 0;
  for (const m of norm.matchAll(/[a-z0-9]+|[.;!?,:]/g)) {
    const w = m[0];
    if (/^[.;!?]$/.test(w)) {
      sentence++;
      clause++;
    } else if (w === ',' || w === ':') {
      clause++;
    } else {
      // Stem of "os" is "os", of "vms" "vm": the Porter stemmer works on the bare word.
      out.push({ stem: NEGATION_CUES.has(w) ? w : stemmer(w), sentence, clause });
    }
  }
  return out;
}

/** The stems of a term (a word or a phrase), as matched. */
export function termStems(term: string): string[] {
  return tokenize(term).map((t) => t.stem);
}

/** Where a word or phrase occurs: start positions of consecutive, same-clause matches. */
function occurrences(text: readonly Token[], stems: readonly string[]): number[] {
  const out: number[] = [];
  if (stems.length === 0) return out;
  outer: for (let i = 0; i + stems.length <= text.length; i++) {
    const clause = text[i]?.clause;
    for (let j = 0; j < stems.length; j++) {
      const t = text[i + j] as Token;
      if (t.stem !== stems[j] || t.clause !== clause) continue outer;
    }
    out.push(i);
  }
  return out;
}

/** True when a negation cue stands within reach before position `i`, in the same clause. */
function negatedAt(text: readonly Token[], i: number): boolean {
  const clause = text[i]?.clause;
  for (let j = i - 1; j >= 0 && j >= i - NEGATION_REACH; j--) {
    const t = text[j] as Token;
    if (t.clause !== clause) return false;
    if (NEGATION_CUES.has(t.stem)) return true;
  }
  return false;
}

/** What a point or misconception can be shown by: phrases, and word sets that must occur close together. */
export interface Matcher {
  /** Words or phrases, any of which matches. */
  terms?: readonly string[];
  /** Sets of words or phrases that must all occur within {@link NEAR_WINDOW} words of each other, in one sentence. */
  near?: ReadonlyArray<readonly string[]>;
}

/** One match: the term (or the near set joined by " … ") and whether a negation cue flipped it. */
interface Match {
  label: string;
  negated: boolean;
}

/** Every match of a matcher in a text, plain and negated. */
function matches(text: readonly Token[], m: Matcher): Match[] {
  const out: Match[] = [];
  for (const term of m.terms ?? []) {
    for (const i of occurrences(text, termStems(term))) out.push({ label: term, negated: negatedAt(text, i) });
  }
  for (const set of m.near ?? []) {
    const occ = set.map((w) => occurrences(text, termStems(w)));
    if (occ.some((o) => o.length === 0)) continue;
    const label = set.join(' … ');
    // Few words and few occurrences each: trying every combination is cheap and finds both kinds.
    const pick = (k: number, chosen: number[]): void => {
      if (k === occ.length) {
        const lo = Math.min(...chosen);
        const hi = Math.max(...chosen);
        if (hi - lo > NEAR_WINDOW || (text[lo] as Token).sentence !== (text[hi] as Token).sentence) return;
        out.push({ label, negated: chosen.some((i) => negatedAt(text, i)) });
        return;
      }
      for (const i of occ[k] as number[]) {
        if (chosen.length > 0 && (Math.abs(i - (chosen[0] as number)) > NEAR_WINDOW)) continue;
        pick(k + 1, [...chosen, i]);
      }
    };
    pick(0, []);
  }
  return out;
}

/** The first match that counts: for a negated point only flipped matches, otherwise only plain ones. */
function firstMatch(text: readonly Token[], m: Matcher, wantNegated: boolean): string | null {
  return matches(text, m).find((x) => x.negated === wantNegated)?.label ?? null;
}

/** How one key point fared. */
export interface PointResult {
  /** The key point. */
  point: KeyPoint;
  /** The term or near set that showed it, or null. */
  matched: string | null;
  /** The misconception that took its credit away, if the answer stated one. */
  contradictedBy: Misconception | null;
  /** Whether its weight counts. */
  credited: boolean;
}

/** What a free-text answer covered, and whether it passed. */
export interface CoverageResult {
  /** Weighted share of key points credited, 0..100. */
  score: number;
  /** The item's pass mark, 0..100. */
  passMark: number;
  /** score >= passMark. */
  passed: boolean;
  /** Weight credited and weight in all. */
  got: number;
  /** The sum of the weights. */
  total: number;
  /** Each key point, in the item's order. */
  points: PointResult[];
  /** The misconceptions the answer states, with the term that showed each. */
  misconceptions: Array<{ misconception: Misconception; matched: string }>;
}

/** The part of an item the scorer reads. */
export type Scorable = Pick<OpenItem, 'keyPoints'> & Partial<Pick<OpenItem, 'misconceptions' | 'passMark'>>;

/**
 * Scores a free-text answer. Terms and answer go through the same Porter stemmer; a `near` set
 * needs all its words close together; a negation cue just before a match flips it, and only a
 * `negated` point counts flipped matches. A stated misconception takes the credit of the point it
 * contradicts. The answer passes at the item's pass mark (default 60%).
 */
export function coverage(answer: string, item: Scorable): CoverageResult {
  const text = tokenize(answer);
  const stated: CoverageResult['misconceptions'] = [];
  for (const mc of item.misconceptions ?? []) {
    // "Containers do not boot their own kernel" states no misconception: flipped matches are ignored.
    const hit = firstMatch(text, mc, false);
    if (hit !== null) stated.push({ misconception: mc, matched: hit });
  }
  let total = 0;
  let got = 0;
  const points = item.keyPoints.map((kp, index): PointResult => {
    total += kp.weight;
    const matched = firstMatch(text, kp, kp.negated === true);
    const contradictedBy = stated.find((s) => s.misconception.contradicts.includes(index))?.misconception ?? null;
    const credited = matched !== null && contradictedBy === null;
    if (credited) got += kp.weight;
    return { point: kp, matched, contradictedBy, credited };
  });
  const score = total ? Math.round((got / total) * 100) : 0;
  const passMark = item.passMark ?? DEFAULT_PASS_MARK;
  return { score, passMark, passed: score >= passMark, got, total, points, misconceptions: stated };
}
