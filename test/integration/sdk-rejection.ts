/** What an SDK call that should fail failed with: the error name, message and HTTP status. */
export interface Rejection {
  /** The AWS error type, such as `ClusterNotFoundException`. */
  name: string;
  /** The message AWS (or the sandbox) gave. */
  message: string;
  /** The HTTP status of the answer. */
  status: number | undefined;
}

/** Awaits a call that must fail and returns how it failed; throws when it succeeds. */
export async function rejection(p: Promise<unknown>): Promise<Rejection> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}
