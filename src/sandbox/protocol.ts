/**
 * The AWS JSON 1.1 wire protocol as the sandbox speaks it: typed errors, request field
 * readers that fail the way AWS validation fails, and opaque paging tokens.
 */

/** A JSON value as it arrives in a request body. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A parsed request body (always a JSON object for the operations the sandbox serves). */
export type JsonObject = { [key: string]: Json };

/** An error the sandbox answers as AWS does: HTTP status, `__type` and message. */
export class AwsError extends Error {
  /** The exception name sent in `__type` and `x-amzn-errortype`, e.g. `ClusterNotFoundException`. */
  readonly type: string;
  /** HTTP status; AWS JSON client errors are 400, server faults 500/503. */
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

/** Shorthand for the InvalidParameterException all three services use for bad input. */
export function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

/** Reads an optional string field; a value of another type is an InvalidParameterException. */
export function optString(body: JsonObject, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsError('SerializationException', `${key} must be a string`);
  return v;
}

/** Reads a required, non-empty string field. */
export function reqString(body: JsonObject, key: string, errorType = 'InvalidParameterException'): string {
  const v = optString(body, key);
  if (v === undefined || v === '') throw new AwsError(errorType, `${key} can not be blank.`);
  return v;
}

/** Reads an optional integer field. */
export function optInt(body: JsonObject, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new AwsError('SerializationException', `${key} must be an integer`);
  return v;
}

/** Reads an optional boolean field. */
export function optBool(body: JsonObject, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new AwsError('SerializationException', `${key} must be a boolean`);
  return v;
}

/** Reads an optional list of strings. */
export function optStringList(body: JsonObject, key: string): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw new AwsError('SerializationException', `${key} must be a list of strings`);
  }
  return v as string[];
}

/** Reads an optional nested object. */
export function optObject(body: JsonObject, key: string): JsonObject | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new AwsError('SerializationException', `${key} must be an object`);
  return v;
}

/**
 * Reads `maxResults`/`limit` with AWS's bounds: absent gives the default, a value outside
 * 1..max is an InvalidParameterException (ECS/ECR) or the service's equivalent.
 */
export function pageSize(body: JsonObject, key: string, def: number, max: number, errorType = 'InvalidParameterException'): number {
  const v = optInt(body, key);
  if (v === undefined) return def;
  if (v < 1 || v > max) {
    throw new AwsError(errorType, `${key} must be between 1 and ${max}, was ${v}.`);
  }
  return v;
}

/** Encodes a paging cursor as an opaque token, like AWS's base64 blobs. */
export function encodeToken(cursor: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/**
 * Decodes a token made by encodeToken; a token the sandbox did not issue is an
 * InvalidParameterException, as AWS answers for a mangled nextToken.
 */
export function decodeToken(token: string | undefined, errorType = 'InvalidParameterException'): Record<string, string | number> | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, string | number>;
    }
  } catch {
    // falls through to the error below
  }
  throw new AwsError(errorType, 'Invalid token');
}

/**
 * Pages an ordered list by a monotonic sequence number, so items added or dropped between
 * calls never shift the page boundary (an offset would skip or repeat items).
 */
export function pageBySeq<T extends { seq: number }>(
  items: Iterable<T>,
  token: string | undefined,
  limit: number,
): { page: T[]; nextToken: string | undefined } {
  const cursor = decodeToken(token);
  const after = cursor === undefined ? -1 : Number(cursor['s']);
  if (cursor !== undefined && !Number.isFinite(after)) throw invalidParameter('Invalid token');
  const page: T[] = [];
  let more = false;
  for (const item of items) {
    if (item.seq <= after) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(item);
  }
  const last = page[page.length - 1];
  return { page, nextToken: more && last !== undefined ? encodeToken({ s: last.seq }) : undefined };
}

/** Converts epoch milliseconds to the epoch-seconds numbers the AWS JSON protocol uses for timestamps. */
export function ts(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
