/**
 * Quality checks of a pack that loads: answer cues in the multiple-choice questions, and the
 * calibration answers of the free-text items. They fail `npm run quiz:lint` (and so CI); at start
 * such a pack still loads and the problems are logged as warnings.
 */
import { coverage } from './coverage.ts';
import { CHOICE_LETTERS, type McqItem, type OpenItem, type Pack, type PackError } from './pack.ts';

/** Packs with fewer MCQs than this are reported on but never failed for cues (too few to judge a share). */
export const CUE_MIN_MCQS = 6;

/** The highest share of MCQs whose right choice may be the strictly longest. */
export const MAX_LONGEST_RIGHT = 1 / 3;

/** The highest share of MCQs one letter may be right in. */
export const MAX_LETTER_SHARE = 0.4;

/** How many calibration answers each side needs. */
export const MIN_REFERENCES = 4;

/** Figures of one pack, printed by quiz:lint. */
export interface PackFigures {
  /** MCQs served (retired ones left out). */
  mcqs: number;
  /** MCQs whose right choice is strictly the longest. */
  longestRight: number;
  /** How often each letter is the right one, A first. */
  letters: number[];
}

/** True when the right choice is longer than every other choice. */
export function longestIsRight(item: McqItem): boolean {
  const right = item.choices[item.answer]?.text.length ?? 0;
  return item.choices.every((c, i) => i === item.answer || c.text.length < right);
}

function share(n: number, of: number): string {
  return `${of ? Math.round((n / of) * 100) : 0}%`;
}

/** Counts the cue figures of a pack's served MCQs. */
export function packFigures(pack: Pack): PackFigures {
  const mcqs = pack.items.filter((i): i is McqItem => i.type === 'mcq' && !i.retired);
  const letters = CHOICE_LETTERS.map(() => 0);
  for (const m of mcqs) letters[m.answer] = (letters[m.answer] ?? 0) + 1;
  const used = Math.max(0, ...mcqs.map((m) => m.choices.length));
  return { mcqs: mcqs.length, longestRight: mcqs.filter(longestIsRight).length, letters: letters.slice(0, Math.max(used, 1)) };
}

/** One line of figures: the longest-is-right share and the spread of right letters. */
export function formatFigures(f: PackFigures): string {
  const spread = f.letters.map((n, i) => `${CHOICE_LETTERS[i]} ${n}`).join(' · ');
  return `${f.mcqs} MCQs; right choice strictly the longest in ${f.longestRight} (${share(f.longestRight, f.mcqs)}); right letters ${spread}`;
}

/** The quality problems of a pack that loaded: answer cues and calibration answers on the wrong side. */
export function lintPack(pack: Pack): PackError[] {
  const out: PackError[] = [];
  const f = packFigures(pack);
  if (f.mcqs >= CUE_MIN_MCQS) {
    if (f.longestRight / f.mcqs > MAX_LONGEST_RIGHT) {
      const which = pack.items.filter((i): i is McqItem => i.type === 'mcq' && !i.retired && longestIsRight(i)).map((i) => i.id);
      out.push({
        file: pack.file,
        message: `the right choice is the longest in ${f.longestRight} of ${f.mcqs} MCQs (${share(f.longestRight, f.mcqs)}); at most a third may be, or picking the longest wins. Even out the lengths of: ${which.join(', ')}`,
      });
    }
    f.letters.forEach((n, i) => {
      if (n / f.mcqs > MAX_LETTER_SHARE) {
        out.push({
          file: pack.file,
          message: `${CHOICE_LETTERS[i]} is the right letter in ${n} of ${f.mcqs} MCQs (${share(n, f.mcqs)}); at most 40% may share one letter`,
        });
      }
    });
  }
  for (const it of pack.items) {
    if (it.type === 'mcq' || it.retired) continue;
    out.push(...lintReferences(pack.file, it));
  }
  return out;
}

function shortAnswer(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 79)}…` : one;
}

/** Scores every calibration answer of a free-text item; each on the wrong side is a problem. */
export function lintReferences(file: string, it: OpenItem): PackError[] {
  const out: PackError[] = [];
  const refs = it.references ?? { pass: [], fail: [] };
  for (const side of ['pass', 'fail'] as const) {
    if (refs[side].length < MIN_REFERENCES) {
      out.push({
        file,
        itemId: it.id,
        field: `references.${side}`,
        message: `has ${refs[side].length} answer${refs[side].length === 1 ? '' : 's'}; give at least ${MIN_REFERENCES} that must ${side === 'pass' ? 'pass' : 'not pass'}`,
      });
    }
    refs[side].forEach((answer, i) => {
      const c = coverage(answer, it);
      if (c.passed !== (side === 'pass')) {
        out.push({
          file,
          itemId: it.id,
          field: `references.${side}[${i}]`,
          message: `scores ${c.score}% (pass mark ${c.passMark}%), so it ${c.passed ? 'passes but must not' : 'does not pass but must'}: "${shortAnswer(answer)}"`,
        });
      }
    });
  }
  return out;
}
