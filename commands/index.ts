import type { CommandDef } from '../src/core/command.ts';
import { audit } from './audit.ts';
import { ecs } from './ecs.ts';
import { quiz } from './quiz.ts';

/** Every command dockhand serves, in the order help lists them. Adding one means adding it here. */
export const commands: readonly CommandDef[] = [ecs, quiz, audit];
