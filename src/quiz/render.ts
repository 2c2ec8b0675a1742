/** Turns quiz state into platform-neutral reply blocks. */
import type { Block } from '../core/reply.ts';
import { ASK_PREFIX } from '../core/reply.ts';
import { formatDuration } from '../core/parser.ts';
import type { PlayerTally, RevealResult, SessionState } from './engine.ts';
import type { CoverageResult } from './coverage.ts';
import { CHOICE_LETTERS, type McqItem, type OpenItem, type Pack } from './pack.ts';
import { span } from '../core/time.ts';

/** The letter of a choice index. */
export function letter(i: number): string {
  return CHOICE_LETTERS[i] ?? '?';
}

/** The title of an item's section. */
export function sectionTitle(pack: Pack, key: string): string {
  return pack.sections[key] ?? key;
}

/** The blocks that ask a question: prompt, lettered choices, answer buttons. */
export function questionBlocks(pack: Pack, s: SessionState, item: McqItem): Block[] {
  const timer = s.timerMs ? ` · ⏱ ${formatDuration(s.timerMs)}` : '';
  const how = s.mode === 'solo' ? 'solo' : 'everyone may answer once';
  return [
    { kind: 'heading', text: `${pack.title} — question ${s.index + 1} of ${s.itemIds.length}` },
    { kind: 'text', text: item.prompt },
    { kind: 'text', text: item.choices.map((c, i) => `${letter(i)}) ${c.text}`).join('\n') },
    {
      kind: 'context',
      text: `${sectionTitle(pack, item.section)} · ${item.difficulty}${timer} · ${how} · press a letter or type /quiz answer ${letter(0)}`,
    },
    {
      kind: 'actions',
      buttons: item.choices.map((_, i) => ({ label: letter(i), action: `run:/quiz answer ${letter(i)}` })),
    },
  ];
}

/** The prompt of the form a Flag button opens. */
export const FLAG_PROMPT = 'What is wrong with this question?';

/** The Flag button of a reveal: a form for the reason where the platform has one, what to type elsewhere. */
export function flagButton(itemId: string): Block {
  return { kind: 'actions', buttons: [{ label: 'Flag', action: `${ASK_PREFIX}/quiz flag --item ${itemId}`, prompt: FLAG_PROMPT }] };
}

/** The note at the reveal of an item teammates have flagged. */
export function openFlagsNote(n: number): Block[] {
  if (n <= 0) return [];
  return [{ kind: 'context', text: `⚑ This question has ${n} open flag${n === 1 ? '' : 's'} from learners; an operator is reviewing ${n === 1 ? 'it' : 'them'} (/quiz flags).` }];
}

/** The blocks of a reveal: the right answer, why, why not the others, and (in a channel) how people answered and who got it. */
export function revealBlocks(item: McqItem, r: RevealResult, solo = false, openFlags = 0): Block[] {
  const right = item.choices[item.answer];
  const blocks: Block[] = [
    { kind: 'heading', text: `✅ Answer: ${letter(item.answer)}) ${right?.text ?? ''}` },
    { kind: 'text', text: item.explanation },
    {
      kind: 'text',
      text: ['Why not the others:', ...item.choices.flatMap((c, i) => (i === item.answer ? [] : [`• ${letter(i)}) ${c.why ?? ''}`]))].join('\n'),
    },
    ...openFlagsNote(openFlags),
  ];
  // A solo player already knows how they answered; the tally is for channels.
  if (solo) {
    blocks.push(flagButton(item.id));
    return blocks;
  }
  const total = r.counts.reduce((a, b) => a + b, 0);
  blocks.push({
    kind: 'context',
    text: total === 0 ? 'Nobody answered.' : `How it was answered: ${r.counts.map((n, i) => `${letter(i)} ${n}`).join(' · ')}`,
  });
  if (r.right.length > 0) {
    const who = r.right.map((x) => `${x.name} +${x.points}${x.streak >= 2 ? ` 🔥${x.streak} in a row` : ''}`);
    blocks.push({ kind: 'text', text: `Right: ${who.join(', ')}` });
  } else if (total > 0) {
    blocks.push({ kind: 'text', text: 'Nobody got it right this time.' });
  }
  if (r.wrong.length > 0) {
    blocks.push({ kind: 'context', text: `Missed: ${r.wrong.map((w) => `${w.name} (${letter(w.choice)})`).join(', ')}` });
  }
  blocks.push(flagButton(item.id));
  return blocks;
}

/** The final standings of a session. */
export function standingsBlocks(pack: Pack, s: SessionState, rows: Array<PlayerTally & { userId: string }>, stopped: boolean): Block[] {
  const asked = stopped ? s.index : s.itemIds.length;
  const head: Block = {
    kind: 'heading',
    text: `🏁 ${stopped ? 'Quiz stopped' : 'Quiz over'} — ${pack.title} (${asked} of ${s.itemIds.length} question${s.itemIds.length === 1 ? '' : 's'})`,
  };
  if (rows.length === 0) return [head, { kind: 'text', text: 'Nobody answered, so there are no standings.' }];
  return [
    head,
    {
      kind: 'table',
      columns: ['#', 'Player', 'Points', 'Right', 'Best streak'],
      align: ['right', 'left', 'right', 'right', 'right'],
      rows: rows.map((p, i) => [String(i + 1), p.name, String(p.points), `${p.correct}/${p.answered}`, String(p.bestStreak)]),
    },
    { kind: 'context', text: 'See everyone\'s totals with /quiz leaderboard, your own with /quiz score.' },
  ];
}

/** The blocks that ask an interview question or exercise. */
export function openQuestionBlocks(pack: Pack, item: OpenItem): Block[] {
  return [
    { kind: 'heading', text: `${item.type === 'interview' ? '🎤 Interview question' : '✍️ Exercise'} — ${pack.title}` },
    { kind: 'text', text: item.prompt },
    {
      kind: 'context',
      text: `${sectionTitle(pack, item.section)} · ${item.difficulty} · answer in your own words with /quiz answer <your answer>`,
    },
    // Where the platform has a form, the button opens it; elsewhere pressing it says what to type.
    { kind: 'actions', buttons: [{ label: 'Answer', action: `${ASK_PREFIX}/quiz answer`, style: 'primary', prompt: item.prompt }] },
  ];
}

/** The feedback on a free-text answer: score and verdict first, each key point with its weight, misconceptions, the model answer, rating buttons. */
export function coverageBlocks(item: OpenItem, c: CoverageResult, openFlags = 0): Block[] {
  const verdict = c.passed ? '✅ passed' : '❌ not passed';
  const blocks: Block[] = [
    { kind: 'heading', text: `Score ${c.score}% — ${verdict} (pass mark ${c.passMark}%)` },
    {
      kind: 'text',
      text: [
        `Key points (weight; ${c.got} of ${c.total} credited):`,
        ...c.points.map((p) => {
          if (p.credited) return `✅ (${p.point.weight}) ${p.point.point} — "${p.matched}"`;
          if (p.contradictedBy) return `⚠️ (${p.point.weight}) ${p.point.point} — no credit: the answer says ${p.contradictedBy.claim.replace(/\.$/, '')}`;
          return `❌ (${p.point.weight}) ${p.point.point}`;
        }),
      ].join('\n'),
    },
  ];
  if (c.misconceptions.length > 0) {
    blocks.push({
      kind: 'text',
      text: ['Misconception:', ...c.misconceptions.map((m) => `⚠️ ${m.misconception.claim} ("${m.matched}") — ${m.misconception.correction}`)].join('\n'),
    });
  }
  blocks.push(
    { kind: 'text', text: `Model answer:\n${item.modelAnswer}` },
    ...openFlagsNote(openFlags),
    { kind: 'context', text: 'How well did you know it? Rate yourself so review brings it back at the right time: /quiz rate again|hard|good|easy' },
    {
      kind: 'actions',
      buttons: (['again', 'hard', 'good', 'easy'] as const).map((r) => ({ label: r[0]!.toUpperCase() + r.slice(1), action: `run:/quiz rate ${r}` })),
    },
    flagButton(item.id),
  );
  return blocks;
}

/** One flagged item in the review queue. */
export interface FlaggedItem {
  /** Pack id. */
  pack: string;
  /** Item id. */
  itemId: string;
  /** The start of its prompt. */
  prompt: string;
  /** Its open flags, oldest first. */
  flags: Array<{ id: number; userName: string; reason: string; createdAt: number }>;
}

/** The most flagged items listed at once; the rest are counted. */
const MAX_FLAGGED_ITEMS = 15;

/** The review queue: open flags grouped by item, most flagged first. */
export function flagsBlocks(packTitle: string | null, items: readonly FlaggedItem[], now: number): Block[] {
  const total = items.reduce((n, i) => n + i.flags.length, 0);
  const head: Block = { kind: 'heading', text: `⚑ Open quiz flags — ${packTitle ?? 'all packs'}: ${total} on ${items.length} question${items.length === 1 ? '' : 's'}` };
  if (items.length === 0) return [head, { kind: 'text', text: 'No open flags. Learners flag a question with /quiz flag <reason> or the Flag button at a reveal.' }];
  const sorted = [...items].sort((a, b) => b.flags.length - a.flags.length || (a.flags[0]?.id ?? 0) - (b.flags[0]?.id ?? 0));
  const blocks: Block[] = [head];
  for (const it of sorted.slice(0, MAX_FLAGGED_ITEMS)) {
    const lines = it.flags.slice(0, 5).map((f) => {
      const age = now - f.createdAt;
      const reason = f.reason.replace(/\s+/g, ' ');
      return `• #${f.id} ${f.userName}, ${age < 60_000 ? 'just now' : `${span(age)} ago`}: ${reason.length > 200 ? `${reason.slice(0, 199)}…` : reason}`;
    });
    if (it.flags.length > 5) lines.push(`• … and ${it.flags.length - 5} more`);
    blocks.push({ kind: 'text', text: [`${it.pack}/${it.itemId} — ${it.flags.length} flag${it.flags.length === 1 ? '' : 's'} — ${it.prompt}`, ...lines].join('\n') });
  }
  if (sorted.length > MAX_FLAGGED_ITEMS) blocks.push({ kind: 'context', text: `… and ${sorted.length - MAX_FLAGGED_ITEMS} more flagged questions; narrow it with /quiz flags <pack>.` });
  blocks.push({ kind: 'context', text: 'Close one with /quiz resolve <flag-id> [note]; fix the item in quizzes/ (npm run quiz:lint).' });
  return blocks;
}
