/**
 * The one shape main.ts sees of every platform: it starts and stops it, hands its delivery target
 * to the alert outbox and asks it where resumed quiz timers post. Adding a platform is one adapter
 * folder and one line in main.ts.
 */
import type { Platform } from '../core/platform.ts';
import type { PostFollowUp } from '../core/reply.ts';
import type { DeliveryTarget } from '../ports/outbox.ts';
import type { ConversationHandle } from '../ports/coordination.ts';

/** Where a quiz session whose timer was running when dockhand stopped lives. */
export interface QuizTimerPlace {
  /** The platform of its channel. */
  platform: Platform;
  /** Workspace, guild, or `local`. */
  workspaceId: string;
  /** The channel its reveals go to. */
  channelId: string;
  /** Team sessions reveal to the channel; solo ones were meant for one person. */
  mode: 'solo' | 'team';
}

/** A platform adapter as main.ts wires it. */
export interface Adapter {
  /** The platform its callers and channels belong to. */
  readonly platform: Platform;
  /** How it is named in start-up errors, such as `Slack`. */
  readonly name: string;
  /** How the banner shows it, such as `slack (Socket Mode)`; read after start. */
  readonly label: string;
  /** Connects or starts listening; rejects with a message a user can act on (token refused, unreachable). */
  start(): Promise<void>;
  /** Disconnects and waits for answers still being sent. */
  stop(): Promise<void>;
  /** Where the alert outbox delivers this platform's channels. */
  readonly alertTarget: DeliveryTarget;
  /** Where a resumed quiz timer posts its reveals, or undefined when this adapter cannot post there. */
  quizTimerPost(place: QuizTimerPlace): PostFollowUp | undefined;
  /**
   * Where the follow-ups of a command another replica answered go (its job's conversation handle), or
   * undefined when this adapter cannot post there; absent on adapters whose follow-ups are never jobs.
   */
  resumePost?(handle: ConversationHandle): PostFollowUp | undefined;
  /** true while connected to its platform, otherwise why not (for /readyz); absent means ready once started. */
  readiness?(): true | string;
  /** Set after start by an adapter whose session ends by itself (the terminal at end of input). */
  readonly ended?: Promise<void>;
}
