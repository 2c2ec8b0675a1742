/**
 * An error meant for the user: a stable id (for docs, tests and Discord/Slack
 * error mapping) and a message that says what was wrong and what would be right.
 * Anything else a handler throws is an internal error and is shown only as an error id.
 */
export class UserError extends Error {
  /** A stable identifier such as `invalid-argument` or `unknown-service`. */
  readonly id: string;
  /** An optional second line: usage, or what to try instead. */
  readonly hint: string | undefined;
  /** The message as it reads when the local sandbox answered instead of the cloud, when it differs. */
  sandboxMessage: string | undefined;

  constructor(id: string, message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.id = id;
    this.hint = hint;
  }
}

/** A user error's message for this setup: errors from the cloud name the sandbox when the sandbox answered. */
export function userMessage(e: UserError, sandbox: boolean): string {
  return sandbox && e.sandboxMessage !== undefined ? e.sandboxMessage : e.message;
}

/** True when the value is a UserError (also across module copies). */
export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'UserError');
}

/**
 * What a user typed, shortened for quoting back in a message: a 10,000-character argument
 * must not turn one error line into a message over a chat platform's limit.
 */
export function clipInput(text: string, max = 60): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}
