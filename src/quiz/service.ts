/**
 * Study mode's use cases: the glue between the pure engine, the packs and the quiz store.
 * Commands call these; every state change is a compare-and-set on the stored session, so a
 * timer, a button press and another replica can race without double reveals. Nothing here relies
 * on running to completion between two store calls: where a read would decide a write, the store
 * method makes the write decide (see QuizStore).
 */
import { randomBytes } from 'node:crypto';
import type { Caller } from '../core/command.ts';
import { clipInput, UserError } from '../core/errors.ts';
import { resumable } from '../core/job-runner.ts';
import { closest, formatDuration } from '../core/parser.ts';
import type { Block, FollowUpTask, HandlerResult, Reply } from '../core/reply.ts';
import { reply } from '../core/reply.ts';
import type { Clock } from '../ports/clock.ts';
import type { AnswerRecord, QuizFlag, QuizStore, QuizUserKey, ShownAt, StoredSession } from '../ports/quiz-store.ts';
import { coverage, DEFAULT_PASS_MARK } from './coverage.ts';
import {
  canStop,
  createSession,
  currentItemId,
  everyoneAnswered,
  isExpired,
  judge,
  pickQuestions,
  reveal,
  standings,
  stop,
  type LoggedAnswer,
  type RevealResult,
  type SessionState,
} from './engine.ts';
import { CHOICE_LETTERS, findItem, mcqItems, openItems, type McqItem, type OpenItem, type Pack, type PackCatalog } from './pack.ts';
import { coverageBlocks, flagsBlocks, letter, openQuestionBlocks, questionBlocks, revealBlocks, sectionTitle, standingsBlocks } from './render.ts';
import { ratingForAnswer, scheduleReview, type SelfRating } from './review.ts';
import { percent, summarize } from './scoring.ts';
import { span } from '../core/time.ts';

/** A short random id: sessions and attempts key every answer row, so shorter keys mean smaller indexes. */
function newId(): string {
  return randomBytes(9).toString('base64url');
}

/** A session with no timer that nobody touched for this long ends by itself when next looked at. */
export const IDLE_LIMIT_MS = 60 * 60_000;

/** The default number of questions of a session. */
export const DEFAULT_QUESTIONS = 10;

/** The default timer of a team session. */
export const DEFAULT_TEAM_TIMER_MS = 30_000;

/** What the use cases need besides the caller. */
export interface QuizDeps {
  /** Storage. */
  store: QuizStore;
  /** The packs. */
  packs: PackCatalog;
  /** Time. */
  clock: Clock;
}

/** Timer loops running in this process, per store (so tests with separate stores stay apart). */
const runningLoops = new WeakMap<QuizStore, Set<string>>();

function loopsOf(store: QuizStore): Set<string> {
  let s = runningLoops.get(store);
  if (!s) runningLoops.set(store, (s = new Set()));
  return s;
}

/** The slot of a channel's team session. */
export function teamScope(c: Caller): string {
  return `team:${c.platform}:${c.workspaceId}:${c.channelId}`;
}

/** The slot of a user's solo session in a channel. */
export function soloScope(c: Caller): string {
  return `solo:${c.platform}:${c.workspaceId}:${c.channelId}:${c.userId}`;
}

/** Where a session's questions are shown: the channel for a team session, the starter for a solo one. */
function shownAtOf(st: Pick<StoredSession, 'platform' | 'workspaceId' | 'channelId'>, s: SessionState): ShownAt {
  return { platform: st.platform, workspaceId: st.workspaceId, channelId: st.channelId, userId: s.mode === 'solo' ? s.starterId : '' };
}

function openFlagsOf(deps: QuizDeps, where: Pick<ShownAt, 'platform' | 'workspaceId'>, pack: string, itemId: string): Promise<number> {
  return deps.store.openFlagCount(where.platform, where.workspaceId, pack, itemId);
}

function userKey(c: Caller): QuizUserKey {
  return { platform: c.platform, workspaceId: c.workspaceId, userId: c.userId };
}

function packList(packs: PackCatalog): string {
  return [...packs.packs.keys()].join(', ') || '(none loaded)';
}

/** Finds a pack by id; with no id and exactly one pack, that one. Unknown ids list the packs there are. */
export function resolvePack(packs: PackCatalog, id: string | undefined): Pack {
  if (!id) {
    if (packs.packs.size === 1) return [...packs.packs.values()][0] as Pack;
    throw new UserError('pack-required', `which pack? The packs are: ${packList(packs)}`, 'For example: /quiz ecs');
  }
  const p = packs.packs.get(id.toLowerCase());
  if (!p) {
    const near = closest(id, [...packs.packs.keys()]);
    throw new UserError('unknown-pack', `there is no quiz pack '${clipInput(id)}'${near ? ` — did you mean '${near}'? The` : '. The'} packs are: ${packList(packs)}`, 'See them with item counts: /quiz packs');
  }
  return p;
}

function noSession(packs: PackCatalog, what = 'for you to answer'): UserError {
  const first = [...packs.packs.keys()][0] ?? 'ecs';
  return new UserError('no-quiz-running', `no quiz is running here ${what}`, `Start one with /quiz ${first} (team, in this channel) or /quiz ${first} --solo (just you), or practise with /quiz interview ${first}.`);
}

function visibilityOf(s: SessionState): Reply['visibility'] {
  return s.mode === 'solo' ? 'ephemeral' : 'channel';
}

function toLogged(a: AnswerRecord): LoggedAnswer {
  return {
    userId: a.userId,
    userName: a.userName,
    choice: a.choice ? CHOICE_LETTERS.indexOf(a.choice as (typeof CHOICE_LETTERS)[number]) : -1,
    correct: a.correct,
    points: a.points,
    responseMs: a.responseMs,
  };
}

function mcqOf(pack: Pack, id: string | null): McqItem | undefined {
  const it = id ? findItem(pack, id) : undefined;
  return it && it.type === 'mcq' ? it : undefined;
}

/** The outcome of closing a question: the session after it (null when it ended) and what to show. */
interface Step {
  session: StoredSession | null;
  blocks: Block[];
  result?: RevealResult;
}

/**
 * Closes the open question and opens the next (or ends the session). Null when another
 * command or process changed the session first; the caller then just re-reads it.
 */
async function revealNow(deps: QuizDeps, st: StoredSession, reason: RevealResult['reason']): Promise<Step | null> {
  const pack = deps.packs.packs.get(st.state.pack);
  const item = pack ? mcqOf(pack, currentItemId(st.state)) : undefined;
  const now = deps.clock.now();
  if (!pack || !item) {
    // The pack was removed or edited under a running session: end it rather than guess.
    const saved = await deps.store.saveSession(st.id, st.version, stop(st.state, 'dockhand', now));
    if (!saved) return null;
    return { session: null, blocks: [{ kind: 'text', text: `This quiz ended: its pack '${st.state.pack}' or the question it was on is no longer loaded.` }] };
  }
  // The answers are read in the same transaction that saves the reveal, so one recorded a moment
  // before cannot be left out of the scores.
  let revealed: { state: SessionState; result: RevealResult } | undefined;
  const saved = await deps.store.revealQuestion(st.id, st.version, item.id, (answers) => {
    revealed = reveal(st.state, item, answers.map(toLogged), reason, now);
    return revealed.state;
  });
  if (!saved || !revealed) return null;
  const { state, result } = revealed;
  const blocks = revealBlocks(item, result, st.state.mode === 'solo', await openFlagsOf(deps, st, pack.id, item.id));
  if (result.finished) {
    blocks.push(...standingsBlocks(pack, state, standings(state), false));
    return { session: null, blocks, result };
  }
  const next = mcqOf(pack, currentItemId(state));
  if (next) {
    blocks.push(...questionBlocks(pack, state, next));
    await deps.store.noteShown(shownAtOf(st, state), { pack: pack.id, itemId: next.id, at: now });
  }
  return { session: saved, blocks, result };
}

/**
 * Brings a stored session up to date: reveals a question whose timer ran out (for example
 * while the bot was down) and ends sessions left idle. Returns the running session, if any.
 */
async function settle(deps: QuizDeps, st: StoredSession): Promise<Step> {
  const blocks: Block[] = [];
  let cur: StoredSession | null = st;
  for (let guard = 0; cur && guard < 5; guard++) {
    const now = deps.clock.now();
    if (cur.state.finishedAt !== null) return { session: null, blocks };
    if (cur.state.deadline === null && now - cur.state.questionStartedAt > IDLE_LIMIT_MS) {
      const saved = await deps.store.saveSession(cur.id, cur.version, stop(cur.state, 'dockhand', now));
      if (saved) {
        const pack = deps.packs.packs.get(cur.state.pack);
        blocks.push({ kind: 'context', text: `The earlier ${cur.state.pack} quiz had been idle for over ${formatDuration(IDLE_LIMIT_MS)} and was ended.` });
        if (pack) blocks.push(...standingsBlocks(pack, saved.state, standings(saved.state), true));
        return { session: null, blocks };
      }
    } else if (isExpired(cur.state, now)) {
      const step = await revealNow(deps, cur, 'timer');
      if (step) {
        blocks.push({ kind: 'context', text: '⏱ Time is up.' }, ...step.blocks);
        return { session: step.session, blocks };
      }
    } else {
      return { session: cur, blocks };
    }
    cur = await deps.store.activeSession(st.scope);
  }
  return { session: cur, blocks };
}

/** The job kind of a quiz timer: another replica continues it when the one running it dies. */
export const QUIZ_TIMER_JOB = 'quiz-timer';

/**
 * The follow-up that posts each timed reveal (and the next question) when the clock says time is up.
 * It is a job with a lease that only the leader runs (a follower hands it over, see JobRunner): when the
 * leader dies mid-question, the next leader takes it over (the reveal itself is version-checked, so it
 * is posted once whoever gets there).
 */
export function timerTask(deps: QuizDeps, scope: string, sessionId: string): FollowUpTask {
  return resumable(timerLoop(deps, scope, sessionId), { kind: QUIZ_TIMER_JOB, args: { scope, sessionId } });
}

/** Continues a quiz timer another replica started (its job's arguments), or undefined when they are not one. */
export function resumeTimer(deps: QuizDeps, args: Record<string, unknown>): FollowUpTask | undefined {
  const { scope, sessionId } = args;
  if (typeof scope !== 'string' || typeof sessionId !== 'string') return undefined;
  return timerTask(deps, scope, sessionId);
}

function timerLoop(deps: QuizDeps, scope: string, sessionId: string): FollowUpTask {
  return async (post, signal) => {
    const loops = loopsOf(deps.store);
    if (loops.has(sessionId)) return;
    loops.add(sessionId);
    try {
      for (;;) {
        const st = await deps.store.activeSession(scope);
        if (!st || st.id !== sessionId || st.state.deadline === null) return;
        const wait = st.state.deadline - deps.clock.now();
        if (wait > 0) {
          await deps.clock.sleep(wait, signal);
          continue;
        }
        const step = await revealNow(deps, st, 'timer');
        // The key names this reveal in any process, so a retried post is dropped by platforms that deduplicate.
        if (step) await post(reply([{ kind: 'context', text: '⏱ Time is up.' }, ...step.blocks], { visibility: visibilityOf(st.state), summary: 'Quiz: time is up', idempotencyKey: `quiz:${sessionId}:${st.state.index}:timer` }));
      }
    } finally {
      loops.delete(sessionId);
    }
  };
}

/** Adds the timer follow-up when the session is timed and no loop runs for it in this process. */
function withTimer(deps: QuizDeps, r: Reply, st: StoredSession | null): HandlerResult {
  if (!st || st.state.deadline === null || loopsOf(deps.store).has(st.id)) return r;
  return { reply: r, followUp: timerTask(deps, st.scope, st.id) };
}

/** The running session a caller's command applies to: their solo session here first, then the channel's. */
async function findSession(deps: QuizDeps, caller: Caller): Promise<Step> {
  const pre: Block[] = [];
  for (const scope of [soloScope(caller), teamScope(caller)]) {
    const st = await deps.store.activeSession(scope);
    if (!st) continue;
    const step = await settle(deps, st);
    pre.push(...step.blocks);
    if (step.session) return { session: step.session, blocks: pre };
  }
  return { session: null, blocks: pre };
}

/** Options of `/quiz start`. */
export interface StartOptions {
  /** Pack id (optional when only one pack is loaded). */
  pack?: string;
  /** How many questions. */
  questions?: number;
  /** Timer per question, ms. */
  timerMs?: number;
  /** A private session for the caller. */
  solo?: boolean;
  /** Only the caller's multiple-choice questions due for review. */
  review?: boolean;
}

/** `/quiz start`: opens a session and asks the first question. */
export async function startQuiz(deps: QuizDeps, caller: Caller, o: StartOptions): Promise<HandlerResult> {
  const pack = resolvePack(deps.packs, o.pack);
  const solo = Boolean(o.solo || o.review);
  const scope = solo ? soloScope(caller) : teamScope(caller);
  const pre: Block[] = [];
  const existing = await deps.store.activeSession(scope);
  if (existing) {
    const step = await settle(deps, existing);
    pre.push(...step.blocks);
    if (step.session) {
      const s = step.session.state;
      throw new UserError(
        'quiz-running',
        `a ${s.mode === 'solo' ? 'solo quiz of yours' : 'quiz'} is already running here (${s.pack}, question ${s.index + 1} of ${s.itemIds.length}, started by ${s.starterName})`,
        'Answer it with /quiz answer <letter>, or end it with /quiz stop (its starter or an operator).',
      );
    }
  }
  const now = deps.clock.now();
  let ids = mcqItems(pack).map((i) => i.id);
  if (o.review) {
    const due = new Set((await deps.store.dueCards(userKey(caller), now, 500)).filter((d) => d.pack === pack.id).map((d) => d.itemId));
    ids = ids.filter((id) => due.has(id));
    if (ids.length === 0) {
      const next = await nextDueText(deps, caller, (p, it) => p.id === pack.id && it.type === 'mcq');
      return reply(
        [...pre, { kind: 'text', text: `Nothing from ${pack.id} is due for review right now. 🎉${next ? ` ${next}` : ''}` }, { kind: 'context', text: `Practise anyway with /quiz ${pack.id} --solo.` }],
        { visibility: 'ephemeral' },
      );
    }
  }
  if (ids.length === 0) throw new UserError('no-questions', `the pack '${pack.id}' has no multiple-choice questions`, `Try /quiz interview ${pack.id}.`);
  const id = newId();
  const timerMs = o.timerMs ?? (solo ? null : DEFAULT_TEAM_TIMER_MS);
  const state = createSession({
    id,
    pack: pack.id,
    mode: solo ? 'solo' : 'team',
    starterId: caller.userId,
    starterName: caller.displayName,
    itemIds: pickQuestions(ids, o.questions ?? DEFAULT_QUESTIONS, id),
    timerMs,
    now,
  });
  const created = await deps.store.createSession({ id, scope, platform: caller.platform, workspaceId: caller.workspaceId, channelId: caller.channelId, state });
  if (!created) throw new UserError('quiz-running', 'a quiz was just started here by someone else', 'Join it with /quiz answer <letter>.');
  const first = mcqOf(pack, currentItemId(state)) as McqItem;
  await deps.store.noteShown(shownAtOf({ platform: caller.platform, workspaceId: caller.workspaceId, channelId: caller.channelId }, state), { pack: pack.id, itemId: first.id, at: now });
  const intro: Block = {
    kind: 'context',
    text: solo
      ? `${o.review ? 'Review' : 'Solo'} quiz for ${caller.displayName}: ${state.itemIds.length} question${state.itemIds.length === 1 ? '' : 's'}${timerMs ? `, ${formatDuration(timerMs)} each` : ', no timer'}.`
      : `${caller.displayName} started a quiz: ${state.itemIds.length} questions, ${formatDuration(timerMs ?? 0)} each. 100 points for a right answer, up to 50 more for speed.`,
  };
  const r = reply([...pre, intro, ...questionBlocks(pack, state, first)], { visibility: solo ? 'ephemeral' : 'channel', summary: `Quiz: ${first.prompt.slice(0, 80)}` });
  const stored = await deps.store.activeSession(scope);
  return withTimer(deps, r, stored);
}

/** `/quiz answer <letter|text>`: answers the open question, or the user's interview question. */
export async function answer(deps: QuizDeps, caller: Caller, raw: string, arrivedAt = deps.clock.now()): Promise<HandlerResult> {
  // `arrivedAt`: when the answer reached dockhand, before any read; a question shown after it cannot be the one it answers.
  const text = raw.trim();
  const m = /^([a-e])[).:]?$/i.exec(text);
  const interview = await deps.store.openInterview(userKey(caller));
  if (m) {
    const found = await findSession(deps, caller);
    if (found.session) return answerMcq(deps, caller, found.session, CHOICE_LETTERS.indexOf((m[1] as string).toUpperCase() as (typeof CHOICE_LETTERS)[number]), found.blocks, arrivedAt);
    if (interview?.phase !== 'answering') {
      if (found.blocks.length > 0) return reply(found.blocks);
      throw noSession(deps.packs);
    }
  }
  if (interview?.phase === 'answering') return answerOpen(deps, caller, interview.id, interview.pack, interview.itemId, interview.startedAt, text);
  if (interview?.phase === 'rating') {
    throw new UserError('already-answered', 'you have already answered your interview question', 'Rate yourself with /quiz rate again|hard|good|easy, or get another with /quiz interview.');
  }
  const found = await findSession(deps, caller);
  if (found.session) {
    const pack = deps.packs.packs.get(found.session.state.pack);
    const item = pack ? mcqOf(pack, currentItemId(found.session.state)) : undefined;
    const n = item?.choices.length ?? 4;
    throw new UserError('invalid-choice', `answer with one letter, A to ${letter(n - 1)}`, `For example: /quiz answer ${letter(0)}`);
  }
  throw noSession(deps.packs);
}

async function answerMcq(deps: QuizDeps, caller: Caller, st: StoredSession, choice: number, pre: Block[], arrivedAt: number): Promise<HandlerResult> {
  const pack = deps.packs.packs.get(st.state.pack);
  const item = pack ? mcqOf(pack, currentItemId(st.state)) : undefined;
  if (pre.length > 0) {
    // Time ran out before this answer arrived: show what happened instead of applying it to the next question.
    return withTimer(deps, reply([{ kind: 'context', text: `${caller.displayName}, your answer came after the question closed.` }, ...pre], { visibility: visibilityOf(st.state) }), st);
  }
  if (!pack || !item) throw noSession(deps.packs);
  // Another replica revealed the question (and showed the next) while this answer was on its way: it
  // was meant for the question that closed, never for one its sender had not seen yet.
  if (st.state.questionStartedAt > arrivedAt) {
    return reply([{ kind: 'text', text: 'That question closed just before your answer arrived.' }], { visibility: 'ephemeral' });
  }
  if (choice < 0 || choice >= item.choices.length) {
    throw new UserError('invalid-choice', `this question has choices A to ${letter(item.choices.length - 1)}; '${letter(choice)}' is not one of them`, `For example: /quiz answer ${letter(0)}`);
  }
  const now = deps.clock.now();
  const j = judge(st.state, item, choice, now);
  // The unique key (session, item, user) decides a member's one answer, the session's version that the
  // question is still open, and the review card moves on in the same transaction only for the winner.
  const outcome = await deps.store.recordAnswer(
    {
      sessionId: st.id,
      platform: caller.platform,
      workspaceId: caller.workspaceId,
      channelId: caller.channelId,
      userId: caller.userId,
      userName: caller.displayName,
      pack: pack.id,
      itemId: item.id,
      section: item.section,
      kind: 'mcq',
      choice: letter(choice),
      text: null,
      correct: j.correct,
      points: j.points,
      coverage: null,
      responseMs: j.responseMs,
      at: now,
    },
    { sessionId: st.id, version: st.version },
    (old) => scheduleReview(old, ratingForAnswer(j.correct), now),
  );
  if (outcome === 'duplicate') {
    const mine = (await deps.store.sessionAnswers(st.id, item.id)).find((a) => a.userId === caller.userId);
    return reply([{ kind: 'text', text: `You already answered this question${mine?.choice ? ` (${mine.choice})` : ''}; one answer per question.` }], { visibility: 'ephemeral', summary: 'Already answered' });
  }
  if (outcome === 'closed') {
    return reply([{ kind: 'text', text: 'That question closed just before your answer arrived.' }], { visibility: 'ephemeral' });
  }
  const answered = (await deps.store.sessionAnswers(st.id, item.id)).map((a) => a.userId);
  if (everyoneAnswered(st.state, answered)) {
    const step = await revealNow(deps, st, 'all-answered');
    if (step) {
      const lead: Block =
        st.state.mode === 'solo'
          ? { kind: 'text', text: j.correct ? `✅ Right! +${j.points} points` : `❌ Not quite: you chose ${letter(choice)}.` }
          : { kind: 'context', text: 'Everyone who joined has answered.' };
      return withTimer(deps, reply([lead, ...step.blocks], { visibility: visibilityOf(st.state), summary: 'Quiz: answer revealed' }), step.session);
    }
  }
  return withTimer(
    deps,
    reply(
      [
        { kind: 'text', text: `Got it, ${caller.displayName}: ${letter(choice)}.` },
        { kind: 'context', text: 'The answer comes when the timer ends, when everyone who joined has answered, or on /quiz next.' },
      ],
      { visibility: 'ephemeral', summary: 'Answer received' },
    ),
    st,
  );
}

async function answerOpen(deps: QuizDeps, caller: Caller, attemptId: string, packId: string, itemId: string, startedAt: number, text: string): Promise<Reply> {
  const pack = deps.packs.packs.get(packId);
  const it = pack ? findItem(pack, itemId) : undefined;
  if (!pack || !it || it.type === 'mcq') {
    await deps.store.updateInterview(attemptId, 'done');
    throw new UserError('item-gone', `the question you were practising (${packId}/${itemId}) is no longer in the packs`, `Get another with /quiz interview.`);
  }
  if (text.length < 3) throw new UserError('answer-too-short', 'write your answer in a sentence or more', 'For example: /quiz answer A container shares the host kernel...');
  const now = deps.clock.now();
  const c = coverage(text, it);
  // The attempt's move from answering to rating decides: of two answers sent at once, one counts.
  const outcome = await deps.store.answerInterview({
    sessionId: attemptId,
    platform: caller.platform,
    workspaceId: caller.workspaceId,
    channelId: caller.channelId,
    userId: caller.userId,
    userName: caller.displayName,
    pack: pack.id,
    itemId: it.id,
    section: it.section,
    kind: it.type,
    choice: null,
    text: text.slice(0, 4000),
    correct: c.passed,
    points: 0,
    coverage: c.score,
    responseMs: now - startedAt,
    at: now,
  }, attemptId);
  if (outcome !== 'recorded') throw new UserError('already-answered', 'you have already answered this question', 'Rate yourself with /quiz rate good (or again, hard, easy).');
  return reply(coverageBlocks(it, c, await deps.store.openFlagCount(caller.platform, caller.workspaceId, pack.id, it.id)), { visibility: 'ephemeral', summary: `Score ${c.score}%, ${c.passed ? 'passed' : 'not passed'}` });
}

/** `/quiz next`: reveals the open question now (its starter or an operator). */
export async function nextQuestion(deps: QuizDeps, caller: Caller, isOperator: boolean): Promise<HandlerResult> {
  const found = await findSession(deps, caller);
  if (!found.session) {
    if (found.blocks.length > 0) return reply(found.blocks);
    throw noSession(deps.packs, 'to move on');
  }
  const st = found.session;
  if (found.blocks.length > 0) return withTimer(deps, reply(found.blocks, { visibility: visibilityOf(st.state) }), st);
  if (!canStop(st.state, caller.userId, isOperator)) {
    throw new UserError('not-quiz-starter', `only ${st.state.starterName}, who started this quiz, or an operator can move it on`, 'Answer with /quiz answer <letter>; the timer will move it on.');
  }
  const step = await revealNow(deps, st, 'next');
  if (!step) return reply([{ kind: 'text', text: 'That question was just revealed.' }], { visibility: 'ephemeral' });
  return withTimer(deps, reply(step.blocks, { visibility: visibilityOf(st.state), summary: 'Quiz: answer revealed' }), step.session);
}

/** `/quiz stop`: ends the session early and shows the standings (its starter or an operator). */
export async function stopQuiz(deps: QuizDeps, caller: Caller, isOperator: boolean): Promise<Reply> {
  const found = await findSession(deps, caller);
  if (!found.session) {
    if (found.blocks.length > 0) return reply(found.blocks);
    throw new UserError('no-quiz-running', 'no quiz is running here', 'Start one with /quiz <pack>.');
  }
  const st = found.session;
  if (!canStop(st.state, caller.userId, isOperator)) {
    throw new UserError('not-quiz-starter', `only ${st.state.starterName}, who started this quiz, or an operator can stop it`);
  }
  const stopped = stop(st.state, caller.userId, deps.clock.now());
  if (!(await deps.store.saveSession(st.id, st.version, stopped))) return reply([{ kind: 'text', text: 'The quiz changed at the same moment; try /quiz stop again.' }], { visibility: 'ephemeral' });
  const pack = deps.packs.packs.get(st.state.pack);
  const blocks: Block[] = [...found.blocks];
  if (pack) blocks.push(...standingsBlocks(pack, stopped, standings(stopped), true));
  blocks.push({ kind: 'context', text: `Stopped by ${caller.displayName}.` });
  return reply(blocks, { visibility: visibilityOf(st.state), summary: 'Quiz stopped' });
}

/** `/quiz interview [pack]`: asks an interview question or exercise, due ones first, then unseen ones. */
export async function startInterview(deps: QuizDeps, caller: Caller, packId: string | undefined, itemId: string | undefined): Promise<Reply> {
  const pack = resolvePack(deps.packs, packId);
  const items = openItems(pack);
  if (items.length === 0) throw new UserError('no-questions', `the pack '${pack.id}' has no interview questions or exercises`);
  const user = userKey(caller);
  const now = deps.clock.now();
  let item: OpenItem | undefined;
  let why: string;
  if (itemId) {
    item = items.find((i) => i.id === itemId);
    if (!item) throw new UserError('unknown-item', `'${itemId}' is not an interview question or exercise of ${pack.id}`, `See them with /quiz packs ${pack.id}, or let dockhand pick: /quiz interview ${pack.id}.`);
    why = 'The item you asked for.';
  } else {
    // Due for review first, then one never practised (in pack order), then one at random.
    const dueIds = (await deps.store.dueCards(user, now, 500)).filter((d) => d.pack === pack.id).map((d) => d.itemId);
    const due = items.filter((i) => dueIds.includes(i.id));
    const cards = await Promise.all(items.map((i) => deps.store.getCard(user, pack.id, i.id)));
    const unseen = items.filter((_, n) => !cards[n]);
    if (due[0]) {
      item = due[0];
      why = `Due for review${due.length > 1 ? ` (${due.length} are due)` : ''}.`;
    } else if (unseen[0]) {
      item = unseen[0];
      why = `Nothing is due, so one you have not practised yet (${unseen.length} left).`;
    } else {
      const id = pickQuestions(items.map((i) => i.id), 1, `${caller.userId}:${now}`)[0];
      item = items.find((i) => i.id === id);
      why = 'Nothing is due and you have practised them all, so one at random.';
    }
  }
  const chosen = item as OpenItem;
  await deps.store.startInterview({ id: newId(), user, channelId: caller.channelId, pack: pack.id, itemId: chosen.id, phase: 'answering', startedAt: now, coverage: null });
  await deps.store.noteShown({ platform: caller.platform, workspaceId: caller.workspaceId, channelId: caller.channelId, userId: caller.userId }, { pack: pack.id, itemId: chosen.id, at: now });
  return reply([...openQuestionBlocks(pack, chosen), { kind: 'context', text: `Why this one: ${why} Pick one yourself with /quiz interview ${pack.id} --item <id> (ids: /quiz packs ${pack.id}).` }], {
    visibility: 'ephemeral',
    summary: chosen.prompt.slice(0, 80),
  });
}

/** `/quiz rate <again|hard|good|easy>`: schedules the next review of the interview item just answered. */
export async function rate(deps: QuizDeps, caller: Caller, rating: SelfRating): Promise<Reply> {
  const user = userKey(caller);
  const open = await deps.store.openInterview(user);
  if (!open || open.phase !== 'rating') {
    throw new UserError('nothing-to-rate', 'there is no answer of yours waiting for a rating', 'Practise with /quiz interview, answer with /quiz answer <text>, then rate yourself.');
  }
  const now = deps.clock.now();
  // The pass mark counts here too: an answer that did not pass comes back soon, like a wrong MCQ answer.
  const pack = deps.packs.packs.get(open.pack);
  const it = pack ? findItem(pack, open.itemId) : undefined;
  const passMark = it && it.type !== 'mcq' ? it.passMark : DEFAULT_PASS_MARK;
  const passed = open.coverage !== null && open.coverage >= passMark;
  const effective: SelfRating = passed ? rating : 'again';
  // Ending the attempt decides: of two ratings sent at once only one moves the card on.
  const card = await deps.store.rateInterview(open.id, (old) => scheduleReview(old, effective, now));
  if (!card) {
    throw new UserError('nothing-to-rate', 'your answer was rated a moment ago', 'Practise another with /quiz interview.');
  }
  const back = formatDuration(Math.max(60_000, card.due - now));
  return reply(
    [
      {
        kind: 'text',
        text: passed
          ? `Rated ${rating}. This question comes back for review in ${back}.`
          : `Rated ${rating}, but your answer did not pass (${open.coverage ?? 0}%, pass mark ${passMark}%), so like a wrong answer it comes back for review in ${back}.`,
      },
      { kind: 'actions', buttons: [{ label: 'Another question', action: `run:/quiz interview ${open.pack}` }] },
    ],
    { visibility: 'ephemeral', summary: `Rated ${rating}` },
  );
}

function sectionLabel(deps: QuizDeps, key: string, multiPack: boolean): string {
  const [packId, section] = key.split('\u0000') as [string, string];
  const pack = deps.packs.packs.get(packId);
  const title = pack ? sectionTitle(pack, section) : section;
  return multiPack ? `${packId}: ${title}` : title;
}

/** `/quiz score [user]`: accuracy overall and per section, weakest sections, current streak. */
export async function score(deps: QuizDeps, caller: Caller, who: string | undefined): Promise<Reply> {
  let target = { userId: caller.userId, userName: caller.displayName };
  if (who) {
    // Slack sends a mention as <@U123> or, with escaping on, <@U123|name>; Discord as <@123> or <@!123>.
    const q = who.replace(/^<@!?([^|>]+)(\|[^>]*)?>$/, '$1').replace(/^@/, '');
    const found = await deps.store.findUser(caller.platform, caller.workspaceId, q);
    if (!found) throw new UserError('unknown-user', `nobody called '${who}' has answered a quiz here yet`, 'Use their user id or the name shown on the leaderboard.');
    target = found;
  }
  const all = await deps.store.userAnswers({ platform: caller.platform, workspaceId: caller.workspaceId, userId: target.userId });
  // Every answer counts, as on the leaderboard: a free-text answer is right when it passed.
  const open = all.filter((a) => a.kind !== 'mcq');
  const name = target.userId === caller.userId ? caller.displayName : target.userName;
  if (all.length === 0) {
    return reply([{ kind: 'text', text: `${name} has not answered any quiz questions here yet.` }, { kind: 'context', text: 'Start with /quiz ecs --solo.' }], { visibility: 'ephemeral' });
  }
  const order: string[] = [];
  for (const p of deps.packs.packs.values()) for (const k of Object.keys(p.sections)) order.push(`${p.id}\u0000${k}`);
  const s = summarize(
    all.map((a) => ({ section: `${a.pack}\u0000${a.section}`, correct: a.correct, at: a.at })),
    order,
  );
  const multiPack = new Set(all.map((a) => a.pack)).size > 1;
  const blocks: Block[] = [
    { kind: 'heading', text: `Quiz score — ${name}` },
    {
      kind: 'fields',
      fields: [
        { label: 'Answered', value: String(s.total) },
        { label: 'Right', value: String(s.correct) },
        { label: 'Accuracy', value: s.total ? percent(s.accuracy) : '—' },
        { label: 'Current streak', value: String(s.streak) },
      ],
    },
  ];
  if (s.bySection.length > 0) {
    blocks.push({
      kind: 'table',
      columns: ['Section', 'Answered', 'Right', 'Accuracy'],
      align: ['left', 'right', 'right', 'right'],
      rows: s.bySection.map((x) => [sectionLabel(deps, x.section, multiPack), String(x.total), String(x.correct), percent(x.accuracy)]),
    });
  }
  if (s.weakest.length > 0) {
    blocks.push({ kind: 'text', text: `Weakest: ${s.weakest.map((x) => `${sectionLabel(deps, x.section, multiPack)} (${percent(x.accuracy)})`).join('; ')}` });
  }
  if (open.length > 0) {
    const avg = open.reduce((a, b) => a + (b.coverage ?? 0), 0) / open.length;
    const passed = open.filter((a) => a.correct).length;
    blocks.push({
      kind: 'context',
      text: `Of these, interview practice: ${open.length} answer${open.length === 1 ? '' : 's'}, ${passed} passed, average score ${Math.round(avg)}%.`,
    });
  }
  return reply(blocks, { visibility: 'channel', summary: `${name}: ${s.correct}/${s.total} right` });
}

/** The time windows of the leaderboard. */
export type BoardWindow = 'week' | 'month' | 'all';

/** `/quiz leaderboard [pack] [--week|--month|--all]`: points per user in this workspace or guild. */
export async function leaderboard(deps: QuizDeps, caller: Caller, packId: string | undefined, window: BoardWindow): Promise<Reply> {
  const pack = packId ? resolvePack(deps.packs, packId) : undefined;
  const now = deps.clock.now();
  const since = window === 'week' ? now - 7 * 86_400_000 : window === 'month' ? now - 30 * 86_400_000 : undefined;
  const rows = await deps.store.leaderboard({ platform: caller.platform, workspaceId: caller.workspaceId, pack: pack?.id, since, limit: 10 });
  const label = window === 'all' ? 'all time' : window === 'week' ? 'last 7 days' : 'last 30 days';
  const head: Block = { kind: 'heading', text: `🏆 Leaderboard — ${pack ? pack.title : 'all packs'}, ${label}` };
  if (rows.length === 0) return reply([head, { kind: 'text', text: 'No answers yet in this window. Start a quiz with /quiz ecs.' }]);
  return reply(
    [
      head,
      {
        kind: 'table',
        columns: ['#', 'Player', 'Points', 'Right', 'Accuracy'],
        align: ['right', 'left', 'right', 'right', 'right'],
        rows: rows.map((r, i) => [String(i + 1), r.userName, String(r.points), `${r.correct}/${r.answered}`, percent(r.answered ? r.correct / r.answered : 0)]),
      },
    ],
    { summary: `Leaderboard: ${rows[0]?.userName} leads with ${rows[0]?.points}` },
  );
}

/**
 * When the user's next questions come due ("3 come back in 9m"), counting those due within a minute
 * of the first; only served items of the given packs and kinds count.
 */
async function nextDueText(deps: QuizDeps, caller: Caller, keep: (pack: Pack, item: McqItem | OpenItem) => boolean): Promise<string | null> {
  const now = deps.clock.now();
  const upcoming = (await deps.store.upcomingCards(userKey(caller), now, 500)).filter((d) => {
    const pack = deps.packs.packs.get(d.pack);
    const it = pack ? findItem(pack, d.itemId) : undefined;
    return pack !== undefined && it !== undefined && !it.retired && keep(pack, it);
  });
  const first = upcoming[0];
  if (!first) return null;
  const n = upcoming.filter((d) => d.card.due - first.card.due < 60_000).length;
  const wait = Math.max(60_000, Math.ceil((first.card.due - now) / 60_000) * 60_000);
  return `${n} ${n === 1 ? 'question comes' : 'questions come'} back in ${formatDuration(wait)}${upcoming.length > n ? ` (${upcoming.length} scheduled in all)` : ''}.`;
}

/** `/quiz review`: the items due for this user, with buttons to practise them. */
export async function reviewDue(deps: QuizDeps, caller: Caller): Promise<Reply> {
  const now = deps.clock.now();
  // Retired items keep their cards (history) but are no longer asked.
  const due = (await deps.store.dueCards(userKey(caller), now, 50)).filter((d) => {
    const pack = deps.packs.packs.get(d.pack);
    const it = pack ? findItem(pack, d.itemId) : undefined;
    return it !== undefined && !it.retired;
  });
  if (due.length === 0) {
    const next = await nextDueText(deps, caller, () => true);
    return reply(
      [
        { kind: 'text', text: `Nothing is due for review. 🎉${next ? ` ${next}` : ''}` },
        { kind: 'context', text: next ? 'Wrong answers come back soon, right ones later.' : 'Questions you answer come back here: wrong ones soon, right ones later.' },
      ],
      { visibility: 'ephemeral' },
    );
  }
  const rows = due.map((d) => {
    const pack = deps.packs.packs.get(d.pack) as Pack;
    const it = findItem(pack, d.itemId) as McqItem | OpenItem;
    const late = now - d.card.due;
    return [d.pack, it.type, sectionTitle(pack, it.section), clipInput(it.prompt, 60), late < 60_000 ? 'just now' : `${span(late)} ago`];
  });
  const buttons = [];
  for (const packId of new Set(due.map((d) => d.pack))) {
    const pack = deps.packs.packs.get(packId) as Pack;
    if (due.some((d) => d.pack === packId && findItem(pack, d.itemId)?.type === 'mcq')) buttons.push({ label: `Review ${packId} questions`, action: `run:/quiz start ${packId} --review` });
    const open = due.find((d) => d.pack === packId && findItem(pack, d.itemId)?.type !== 'mcq');
    if (open) buttons.push({ label: `Practise ${packId} interview`, action: `run:/quiz interview ${packId} --item ${open.itemId}` });
  }
  return reply(
    [
      { kind: 'heading', text: `Due for review — ${due.length} item${due.length === 1 ? '' : 's'}` },
      { kind: 'table', columns: ['Pack', 'Type', 'Section', 'Question', 'Due'], rows },
      { kind: 'actions', buttons: buttons.slice(0, 5) },
    ],
    { visibility: 'ephemeral', summary: `${due.length} due for review` },
  );
}

/** `/quiz packs <pack>`: the ids of a pack's items, each with its type and the start of its prompt. */
function listItems(pack: Pack): Reply {
  const served = pack.items.filter((i) => !i.retired);
  return reply(
    [
      { kind: 'heading', text: `${pack.title} — ${served.length} items` },
      { kind: 'table', columns: ['Id', 'Type', 'Question'], rows: served.map((i) => [i.id, i.type, promptStart(i.prompt, 60)]) },
      { kind: 'context', text: `Practise one with /quiz interview ${pack.id} --item <id> (interview and exercise items); flag one with /quiz flag --item <id> <reason>.` },
    ],
    { visibility: 'ephemeral', summary: `${served.length} items in ${pack.id}` },
  );
}

/** `/quiz packs [pack]`: the packs with their item counts and packs left out for errors, or one pack's item ids. */
export function listPacks(deps: QuizDeps, packId?: string): Reply {
  if (packId) return listItems(resolvePack(deps.packs, packId));
  const rows = [...deps.packs.packs.values()].map((p) => {
    const n = (t: string): string => String(p.items.filter((i) => i.type === t && !i.retired).length);
    return [p.id, p.title, n('mcq'), n('interview'), n('exercise')];
  });
  const blocks: Block[] = [
    { kind: 'heading', text: 'Quiz packs' },
    rows.length > 0
      ? { kind: 'table', columns: ['Pack', 'Title', 'MCQs', 'Interview', 'Exercises'], align: ['left', 'left', 'right', 'right', 'right'], rows }
      : { kind: 'text', text: 'No packs are loaded.' },
  ];
  if (deps.packs.errors.length > 0) {
    const files = [...new Set(deps.packs.errors.map((e) => e.file))];
    blocks.push({ kind: 'context', text: `Left out for errors: ${files.join(', ')} (run npm run quiz:lint for details).` });
  }
  blocks.push({ kind: 'context', text: 'Start with /quiz <pack>, /quiz <pack> --solo or /quiz interview <pack>; see a pack\'s item ids with /quiz packs <pack>.' });
  return reply(blocks, { visibility: 'ephemeral', summary: `${rows.length} quiz packs` });
}

/** A timed session's timer loop to restart after a restart, with the channel its reveals belong in. */
export interface ResumableTimer {
  /** Where the session runs. */
  platform: Caller['platform'];
  /** Workspace or guild. */
  workspaceId: string;
  /** Channel to post reveals to. */
  channelId: string;
  /** Team or solo (solo reveals are meant for one person). */
  mode: SessionState['mode'];
  /** The session the timer is of. */
  sessionId: string;
  /** The loop; run it with the channel's post function. */
  task: FollowUpTask;
}

/**
 * The timer loops of running timed sessions, for main.ts to restart at boot (and, with `overdueByMs`,
 * for the leader to pick up questions left unrevealed). Without this the first command in such a
 * channel reveals an overdue question and restarts the loop itself.
 */
export async function resumableTimers(deps: QuizDeps, opts: { overdueByMs?: number } = {}): Promise<ResumableTimer[]> {
  // With overdueByMs, only questions nobody revealed that long after their time: no live timer holds them.
  const dueBy = opts.overdueByMs === undefined ? Infinity : deps.clock.now() - opts.overdueByMs;
  return (await deps.store.activeSessions())
    .filter((s) => s.state.deadline !== null && s.state.deadline <= dueBy && !loopsOf(deps.store).has(s.id))
    .map((s) => ({ platform: s.platform, workspaceId: s.workspaceId, channelId: s.channelId, mode: s.state.mode, sessionId: s.id, task: timerTask(deps, s.scope, s.id) }));
}

/** The longest flag reason or resolution note kept; a flag is a pointer for a reviewer, not an essay. */
export const MAX_FLAG_TEXT = 500;

function findAnyItem(deps: QuizDeps, itemId: string): { pack: Pack; item: McqItem | OpenItem } | null {
  for (const pack of deps.packs.packs.values()) {
    const item = findItem(pack, itemId);
    if (item) return { pack, item };
  }
  return null;
}

function promptStart(prompt: string, n = 70): string {
  const one = prompt.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/**
 * `/quiz flag [--item <id>] <reason>`: reports a problem with the question last shown to this user
 * in this channel (a team or solo question, or an interview item), or with the item named.
 */
export async function flagQuestion(deps: QuizDeps, caller: Caller, reason: string, itemId: string | undefined): Promise<Reply> {
  const text = reason.trim();
  if (!text) {
    throw new UserError('flag-reason-required', 'say what is wrong with the question', 'For example: /quiz flag choice B is also right since 2024');
  }
  if (text.length > MAX_FLAG_TEXT) throw new UserError('flag-too-long', `a flag reason may be at most ${MAX_FLAG_TEXT} characters (this one has ${text.length})`, 'Say in a sentence or two what is wrong.');
  let target: { pack: Pack; item: McqItem | OpenItem } | null;
  if (itemId) {
    target = findAnyItem(deps, itemId.trim());
    if (!target) throw new UserError('unknown-item', `there is no question '${itemId}' in the packs`, 'See the ids with /quiz packs <pack>, or flag the question just shown with /quiz flag <reason>.');
  } else {
    const shown = await deps.store.lastShown({ platform: caller.platform, workspaceId: caller.workspaceId, channelId: caller.channelId, userId: caller.userId });
    const pack = shown ? deps.packs.packs.get(shown.pack) : undefined;
    const item = pack && shown ? findItem(pack, shown.itemId) : undefined;
    if (!shown) {
      throw new UserError('nothing-to-flag', 'no quiz question has been shown to you in this channel yet', 'Flag one after it is asked with /quiz flag <what is wrong>, or name it: /quiz flag --item <id> <what is wrong>.');
    }
    if (!pack || !item) throw new UserError('item-gone', `the last question shown here (${shown.pack}/${shown.itemId}) is no longer in the packs`);
    target = { pack, item };
  }
  const flag = await deps.store.addFlag({
    platform: caller.platform,
    workspaceId: caller.workspaceId,
    channelId: caller.channelId,
    userId: caller.userId,
    userName: caller.displayName,
    pack: target.pack.id,
    itemId: target.item.id,
    reason: text,
    createdAt: deps.clock.now(),
  });
  return reply(
    [
      { kind: 'text', text: `⚑ Flag #${flag.id} noted on ${target.item.id} ("${promptStart(target.item.prompt)}"): ${text}` },
      { kind: 'context', text: 'Thank you. An operator reviews open flags with /quiz flags and closes them with /quiz resolve.' },
    ],
    { visibility: 'ephemeral', summary: `Flag #${flag.id} on ${target.item.id}` },
  );
}

/** `/quiz flags [pack]` (operator): the open flags of this workspace, grouped by item, with counts and prompts. */
export async function listFlags(deps: QuizDeps, caller: Caller, packId: string | undefined): Promise<Reply> {
  const pack = packId ? resolvePack(deps.packs, packId) : undefined;
  const flags = await deps.store.openFlags(caller.platform, caller.workspaceId, pack?.id);
  const byItem = new Map<string, QuizFlag[]>();
  for (const f of flags) {
    const key = `${f.pack}/${f.itemId}`;
    byItem.set(key, [...(byItem.get(key) ?? []), f]);
  }
  const items = [...byItem.values()].map((fs) => {
    const first = fs[0] as QuizFlag;
    const p = deps.packs.packs.get(first.pack);
    const it = p ? findItem(p, first.itemId) : undefined;
    return { pack: first.pack, itemId: first.itemId, prompt: it ? promptStart(it.prompt, 90) : '(no longer in the packs)', flags: fs };
  });
  return reply(flagsBlocks(pack?.title ?? null, items, deps.clock.now()), { visibility: 'ephemeral', summary: `${flags.length} open quiz flag${flags.length === 1 ? '' : 's'}` });
}

/** `/quiz resolve <flag-id> [note]` (operator): closes one open flag. */
export async function resolveFlag(deps: QuizDeps, caller: Caller, id: number, note: string | undefined): Promise<Reply> {
  const text = note?.trim() || null;
  if (text && text.length > MAX_FLAG_TEXT) throw new UserError('flag-too-long', `a note may be at most ${MAX_FLAG_TEXT} characters (this one has ${text.length})`);
  const flag = await deps.store.getFlag(caller.platform, caller.workspaceId, id);
  if (!flag) throw new UserError('unknown-flag', `there is no flag #${id} here`, 'See the open ones with /quiz flags.');
  if (flag.resolvedAt !== null || !(await deps.store.resolveFlag(caller.platform, caller.workspaceId, id, caller.displayName, text, deps.clock.now()))) {
    const again = await deps.store.getFlag(caller.platform, caller.workspaceId, id);
    throw new UserError('flag-resolved', `flag #${id} was already resolved${again?.resolvedBy ? ` by ${again.resolvedBy}` : ''}`, 'See the open ones with /quiz flags.');
  }
  const left = await deps.store.openFlagCount(caller.platform, caller.workspaceId, flag.pack, flag.itemId);
  return reply(
    [
      { kind: 'text', text: `✅ Flag #${id} on ${flag.itemId} resolved${text ? `: ${text}` : '.'}` },
      { kind: 'context', text: left === 0 ? `No open flags left on ${flag.itemId}.` : `${left} open flag${left === 1 ? '' : 's'} left on ${flag.itemId}.` },
    ],
    { visibility: 'ephemeral', summary: `Flag #${id} resolved` },
  );
}
