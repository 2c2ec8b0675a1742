import type { CommandDef } from '../src/core/command.ts';
import type { JobResumers } from '../src/core/job-runner.ts';
import { audit } from './audit.ts';
import { ecs } from './ecs.ts';
import { LOGS_FOLLOW_JOB, resumeLogsFollow } from './ecs-logs.ts';
import { resumeRollout, ROLLOUT_JOB } from './ecs-rollout.ts';
import { QUIZ_TIMER_JOB, quiz, resumeQuizTimer } from './quiz.ts';

/** Every command dockhand serves, in the order help lists them. Adding one means adding it here. */
export const commands: readonly CommandDef[] = [ecs, quiz, audit];

/** How a replica continues a follow-up another replica started and could not finish, by job kind. */
export const jobResumers: JobResumers = { [ROLLOUT_JOB]: resumeRollout, [LOGS_FOLLOW_JOB]: resumeLogsFollow, [QUIZ_TIMER_JOB]: resumeQuizTimer };
