import { defineSubcommand, type CommandContext, type CommandDef } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { roleAtLeast } from '../src/core/roles.ts';
import {
  answer,
  flagQuestion,
  leaderboard,
  listFlags,
  listPacks,
  nextQuestion,
  rate,
  resolveFlag,
  resumeTimer,
  reviewDue,
  score,
  startInterview,
  startQuiz,
  stopQuiz,
  type BoardWindow,
  type QuizDeps,
  QUIZ_TIMER_JOB,
} from '../src/quiz/service.ts';
import type { FollowUpTask } from '../src/core/reply.ts';
import { SELF_RATINGS, type SelfRating } from '../src/quiz/review.ts';

/** The quiz ports, or a clear error when study mode is not wired into this dockhand. */
function deps(ctx: CommandContext): QuizDeps {
  const { quiz, packs, clock } = ctx.ports;
  if (!quiz || !packs) throw new UserError('quiz-not-configured', 'study mode is not set up on this dockhand (no quiz store or packs)', 'An admin wires it in main.ts with loadPacks() and SqliteQuizStore.');
  return { store: quiz, packs, clock };
}

export { QUIZ_TIMER_JOB };

/** Continues a quiz timer whose replica stopped (a job taken over), or undefined when its arguments make none. */
export function resumeQuizTimer(args: Record<string, unknown>, ctx: CommandContext): FollowUpTask | undefined {
  return resumeTimer(deps(ctx), args);
}

function isOperator(ctx: CommandContext): boolean {
  return roleAtLeast(ctx.role, 'operator');
}

/** `/quiz`: team quiz sessions, solo practice, interview questions, scores, leaderboards and review. */
export const quiz = {
  name: 'quiz',
  description: 'Study together: quizzes on the chapter packs, interview practice, scores and review',
  fallback: 'start',
  subcommands: [
    defineSubcommand({
      name: 'start',
      description: 'Start a quiz in this channel (or just for you with --solo)',
      options: [
        { name: 'pack', type: 'string', description: 'The question pack, such as ecs', positional: true, kind: 'a pack name', example: 'ecs' },
        { name: 'questions', type: 'integer', description: 'How many questions (default 10)', min: 1, max: 50 },
        { name: 'timer', type: 'duration', description: 'Time per question (default 30s in a channel, none solo)', min: 5_000, max: 600_000 },
        { name: 'solo', type: 'boolean', description: 'A private session just for you' },
        { name: 'review', type: 'boolean', description: 'Only your questions due for review (solo)' },
      ] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz ecs --questions 5 --timer 20s',
      handler: (args, ctx) =>
        startQuiz(deps(ctx), ctx.caller, { pack: args.pack, questions: args.questions, timerMs: args.timer, solo: args.solo, review: args.review }),
    }),
    defineSubcommand({
      name: 'answer',
      description: 'Answer the open question with a letter, or your interview question in your own words',
      options: [{ name: 'answer', type: 'string', description: 'A letter such as B, or your free-text answer', positional: true, required: true, rest: true, kind: 'a letter or your own words', example: 'B' }] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz answer B',
      handler: (args, ctx) => answer(deps(ctx), ctx.caller, args.answer, ctx.receivedAt),
    }),
    defineSubcommand({
      name: 'next',
      description: 'Reveal the open question now and move on (the starter or an operator)',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz next',
      handler: (_args, ctx) => nextQuestion(deps(ctx), ctx.caller, isOperator(ctx)),
    }),
    defineSubcommand({
      name: 'stop',
      description: 'End the quiz early and show the standings (the starter or an operator)',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz stop',
      handler: (_args, ctx) => stopQuiz(deps(ctx), ctx.caller, isOperator(ctx)),
    }),
    defineSubcommand({
      name: 'interview',
      description: 'Practise an interview question or exercise: one due for review, else one not yet seen, else random',
      options: [
        { name: 'pack', type: 'string', description: 'The question pack, such as ecs', positional: true, kind: 'a pack name', example: 'ecs' },
        { name: 'item', type: 'string', description: 'A specific item id (see /quiz packs <pack>)', kind: 'an item id from /quiz packs <pack>' },
      ] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz interview ecs',
      handler: (args, ctx) => startInterview(deps(ctx), ctx.caller, args.pack, args.item),
    }),
    defineSubcommand({
      name: 'rate',
      description: 'Rate how well you knew your interview answer, to schedule its review',
      options: [{ name: 'rating', type: 'string', description: 'How well you knew it', positional: true, required: true, choices: SELF_RATINGS }] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz rate good',
      handler: (args, ctx) => rate(deps(ctx), ctx.caller, args.rating as SelfRating),
    }),
    defineSubcommand({
      name: 'score',
      description: 'Accuracy overall and per section, weakest sections and streak (yours or a teammate\'s)',
      options: [{ name: 'user', type: 'string', description: 'A user id or name (default: you)', positional: true, kind: 'a user id or name' }] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz score',
      handler: (args, ctx) => score(deps(ctx), ctx.caller, args.user),
    }),
    defineSubcommand({
      name: 'leaderboard',
      description: 'Points per person in this workspace, for a pack or all packs',
      options: [
        { name: 'pack', type: 'string', description: 'Only this pack', positional: true, kind: 'a pack name', example: 'ecs' },
        { name: 'week', type: 'boolean', description: 'The last 7 days' },
        { name: 'month', type: 'boolean', description: 'The last 30 days' },
        { name: 'all', type: 'boolean', description: 'All time (the default)' },
      ] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz leaderboard ecs --week',
      handler: (args, ctx) => {
        const picked = (['week', 'month', 'all'] as const).filter((w) => args[w]);
        if (picked.length > 1) throw new UserError('invalid-argument', `choose one of --week, --month or --all, not ${picked.map((p) => `--${p}`).join(' and ')}`);
        const window: BoardWindow = picked[0] ?? 'all';
        return leaderboard(deps(ctx), ctx.caller, args.pack, window);
      },
    }),
    defineSubcommand({
      name: 'review',
      description: 'The questions due for you, scheduled by spaced repetition from your answers',
      options: [] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz review',
      handler: (_args, ctx) => reviewDue(deps(ctx), ctx.caller),
    }),
    defineSubcommand({
      name: 'packs',
      description: 'The question packs and how many items each has, or one pack\'s item ids',
      options: [{ name: 'pack', type: 'string', description: 'List this pack\'s item ids', positional: true, kind: 'a pack name', example: 'ecs' }] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz packs ecs',
      handler: (args, ctx) => listPacks(deps(ctx), args.pack),
    }),
    defineSubcommand({
      name: 'flag',
      description: 'Report a problem with the question last shown to you here (or the item named)',
      options: [
        { name: 'reason', type: 'string', description: 'What is wrong with the question', positional: true, required: true, rest: true },
        { name: 'item', type: 'string', description: 'An item id (default: the question last shown to you here)' },
      ] as const,
      role: 'viewer',
      changes: false,
      example: '/quiz flag choice B is also right since 2024',
      handler: (args, ctx) => flagQuestion(deps(ctx), ctx.caller, args.reason, args.item),
    }),
    defineSubcommand({
      name: 'flags',
      description: 'The open flags of this workspace, grouped by question (operators)',
      options: [{ name: 'pack', type: 'string', description: 'Only this pack', positional: true }] as const,
      role: 'operator',
      changes: false,
      example: '/quiz flags ecs',
      handler: (args, ctx) => listFlags(deps(ctx), ctx.caller, args.pack),
    }),
    defineSubcommand({
      name: 'resolve',
      description: 'Close an open flag, with an optional note (operators)',
      options: [
        { name: 'flag', type: 'integer', description: 'The flag id, from /quiz flags', positional: true, required: true, min: 1 },
        { name: 'note', type: 'string', description: 'What was done about it', positional: true, rest: true },
      ] as const,
      role: 'operator',
      changes: false,
      example: '/quiz resolve 3 fixed the billing explanation',
      handler: (args, ctx) => resolveFlag(deps(ctx), ctx.caller, args.flag, args.note),
    }),
  ],
} satisfies CommandDef;
