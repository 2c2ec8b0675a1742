/**
 * CloudWatch Logs operations (target prefix Logs_20140328): log groups, streams,
 * GetLogEvents with forward/backward tokens and FilterLogEvents with 10,000-event / 1 MB pages.
 * Logs timestamps are epoch milliseconds on the wire, unlike ECS and ECR.
 */
import type { SandboxState } from './state.ts';
import type { LogEventRecord, LogGroupRecord, LogStreamRecord } from './model.ts';
import { AwsError, decodeToken, encodeToken, invalidParameter, optBool, optInt, optString, optStringList, pageSize, reqString } from './protocol.ts';
import type { JsonObject } from './protocol.ts';
import { compileFilterPattern } from './logs-filter.ts';
import type { Operation } from './ecs.ts';

/** The most a GetLogEvents or FilterLogEvents page carries. */
export const MAX_PAGE_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;

function group(state: SandboxState, body: JsonObject): LogGroupRecord {
  const name = optString(body, 'logGroupName');
  const id = optString(body, 'logGroupIdentifier');
  if (name !== undefined && id !== undefined) throw invalidParameter('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  const ref = name ?? id;
  if (ref === undefined || ref === '') throw invalidParameter('Should provide either name or ARN of the log group.');
  return state.logGroup(ref);
}

function groupShape(g: LogGroupRecord): JsonObject {
  let bytes = 0;
  for (const s of g.streams.values()) bytes += s.storedBytes;
  const out: JsonObject = {
    logGroupName: g.name,
    creationTime: g.createdAt,
    metricFilterCount: 0,
    arn: `${g.arn}:*`,
    storedBytes: bytes,
    logGroupClass: 'STANDARD',
    logGroupArn: g.arn,
  };
  if (g.retentionInDays !== undefined) out['retentionInDays'] = g.retentionInDays;
  return out;
}

function streamShape(g: LogGroupRecord, s: LogStreamRecord): JsonObject {
  const out: JsonObject = {
    logStreamName: s.name,
    creationTime: s.createdAt,
    arn: `${g.arn}:log-stream:${s.name}`,
    storedBytes: 0,
  };
  if (s.firstEventTimestamp !== undefined) out['firstEventTimestamp'] = s.firstEventTimestamp;
  if (s.lastEventTimestamp !== undefined) out['lastEventTimestamp'] = s.lastEventTimestamp;
  if (s.lastIngestionTime !== undefined) {
    out['lastIngestionTime'] = s.lastIngestionTime;
    out['uploadSequenceToken'] = String(49_000_000_000_000 + s.seq) + '0'.repeat(42);
  }
  return out;
}

function offsetPage<T>(items: T[], token: string | undefined, limit: number): { page: T[]; nextToken: string | undefined } {
  const cursor = decodeToken(token);
  const start = cursor === undefined ? 0 : Number(cursor['o']);
  if (!Number.isInteger(start) || start < 0) throw invalidParameter('The specified nextToken is invalid.');
  return { page: items.slice(start, start + limit), nextToken: start + limit < items.length ? encodeToken({ o: start + limit }) : undefined };
}

function describeLogGroups(state: SandboxState, body: JsonObject): JsonObject {
  const limit = pageSize(body, 'limit', 50, 50);
  const prefix = optString(body, 'logGroupNamePrefix');
  const pattern = optString(body, 'logGroupNamePattern');
  if (prefix !== undefined && pattern !== undefined) {
    throw invalidParameter('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
  }
  const groups = [...state.logGroups.values()]
    .filter((g) => (prefix === undefined || g.name.startsWith(prefix)) && (pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase())))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { page, nextToken } = offsetPage(groups, optString(body, 'nextToken'), limit);
  const out: JsonObject = { logGroups: page.map(groupShape) };
  if (nextToken) out['nextToken'] = nextToken;
  return out;
}

function describeLogStreams(state: SandboxState, body: JsonObject): JsonObject {
  const g = group(state, body);
  const limit = pageSize(body, 'limit', 50, 50);
  const prefix = optString(body, 'logStreamNamePrefix');
  const orderBy = optString(body, 'orderBy') ?? 'LogStreamName';
  const descending = optBool(body, 'descending') ?? false;
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') throw invalidParameter(`Invalid orderBy: ${orderBy}`);
  if (orderBy === 'LastEventTime' && prefix !== undefined) {
    throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
  }
  const streams = [...g.streams.values()].filter((s) => prefix === undefined || s.name.startsWith(prefix));
  if (orderBy === 'LogStreamName') streams.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  else streams.sort((a, b) => (a.lastEventTimestamp ?? a.createdAt) - (b.lastEventTimestamp ?? b.createdAt) || a.seq - b.seq);
  if (descending) streams.reverse();
  const { page, nextToken } = offsetPage(streams, optString(body, 'nextToken'), limit);
  const out: JsonObject = { logStreams: page.map((s) => streamShape(g, s)) };
  if (nextToken) out['nextToken'] = nextToken;
  return out;
}

type Key = [number, number];

function keyOf(e: LogEventRecord): Key {
  return [e.timestamp, e.id];
}

function cmp(a: Key, b: Key): number {
  return a[0] - b[0] || a[1] - b[1];
}

function eventToken(dir: 'f' | 'b', key: Key): string {
  return `${dir}/${String(key[0] + 1).padStart(16, '0')}${String(key[1]).padStart(20, '0')}`;
}

function parseEventToken(token: string): { dir: 'f' | 'b'; key: Key } {
  const m = /^([fb])\/(\d{16})(\d{20})$/.exec(token);
  if (!m || m[2] === undefined || m[3] === undefined) throw invalidParameter('The specified nextToken is invalid.');
  return { dir: m[1] === 'f' ? 'f' : 'b', key: [Number(m[2]) - 1, Number(m[3])] };
}

function eventBytes(e: LogEventRecord): number {
  return Buffer.byteLength(e.message) + EVENT_OVERHEAD;
}

function getLogEvents(state: SandboxState, body: JsonObject): JsonObject {
  const g = group(state, body);
  const streamName = reqString(body, 'logStreamName');
  const stream = g.streams.get(streamName);
  if (!stream) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
  const limit = pageSize(body, 'limit', 10_000, 10_000);
  const start = optInt(body, 'startTime');
  const end = optInt(body, 'endTime');
  const token = optString(body, 'nextToken');
  const window = stream.events.filter((e) => (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp < end));
  const parsed = token !== undefined ? parseEventToken(token) : undefined;
  const forward = parsed ? parsed.dir === 'f' : (optBool(body, 'startFromHead') ?? false);
  let page: LogEventRecord[] = [];
  if (forward) {
    const from = parsed ? window.filter((e) => cmp(keyOf(e), parsed.key) > 0) : window;
    let bytes = 0;
    for (const e of from) {
      if (page.length === limit || bytes + eventBytes(e) > MAX_PAGE_BYTES) break;
      bytes += eventBytes(e);
      page.push(e);
    }
  } else {
    const upto = parsed ? window.filter((e) => cmp(keyOf(e), parsed.key) < 0) : window;
    let bytes = 0;
    for (let i = upto.length - 1; i >= 0; i--) {
      const e = upto[i];
      if (!e || page.length === limit || bytes + eventBytes(e) > MAX_PAGE_BYTES) break;
      bytes += eventBytes(e);
      page.push(e);
    }
    page = page.reverse();
  }
  const first = page[0];
  const last = page[page.length - 1];
  const endKey: Key = [window[window.length - 1]?.timestamp ?? 0, window[window.length - 1]?.id ?? 0];
  const startKey: Key = [window[0]?.timestamp ?? 0, (window[0]?.id ?? 1) - 1];
  const nextForwardToken = last ? eventToken('f', keyOf(last)) : parsed?.dir === 'f' && token ? token : eventToken('f', forward ? startKey : endKey);
  const nextBackwardToken = first ? eventToken('b', keyOf(first)) : parsed?.dir === 'b' && token ? token : eventToken('b', forward ? startKey : endKey);
  return {
    events: page.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
    nextForwardToken,
    nextBackwardToken,
  };
}

/** CloudWatch Logs refuses filter patterns longer than this. */
const MAX_FILTER_PATTERN = 1024;

function filterLogEvents(state: SandboxState, body: JsonObject): JsonObject {
  const g = group(state, body);
  const names = optStringList(body, 'logStreamNames');
  const prefix = optString(body, 'logStreamNamePrefix');
  if (names !== undefined && prefix !== undefined) {
    throw invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
  }
  if (names !== undefined && (names.length < 1 || names.length > 100)) throw invalidParameter('logStreamNames must have between 1 and 100 items.');
  const limit = pageSize(body, 'limit', 10_000, 10_000);
  const start = optInt(body, 'startTime');
  const end = optInt(body, 'endTime');
  const pattern = optString(body, 'filterPattern');
  if (pattern !== undefined && pattern.length > MAX_FILTER_PATTERN) {
    throw invalidParameter(`1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_FILTER_PATTERN}`);
  }
  const match = compileFilterPattern(pattern);
  optBool(body, 'interleaved'); // accepted for compatibility; results are always interleaved, as on AWS today
  const cursor = decodeToken(optString(body, 'nextToken'));
  const after: Key | undefined = cursor === undefined ? undefined : [Number(cursor['t']), Number(cursor['i'])];
  if (after && (!Number.isFinite(after[0]) || !Number.isFinite(after[1]))) throw invalidParameter('The specified nextToken is invalid.');

  const streams = [...g.streams.values()].filter((s) => (names === undefined || names.includes(s.name)) && (prefix === undefined || s.name.startsWith(prefix)));
  const hits: { stream: string; e: LogEventRecord }[] = [];
  for (const s of streams) {
    const from = lowerBound(s.events, start ?? Number.NEGATIVE_INFINITY);
    for (let i = from; i < s.events.length; i++) {
      const e = s.events[i];
      if (!e) break;
      if (end !== undefined && e.timestamp >= end) break;
      if (after && cmp(keyOf(e), after) <= 0) continue;
      if (match(e.message)) hits.push({ stream: s.name, e });
    }
  }
  hits.sort((a, b) => cmp(keyOf(a.e), keyOf(b.e)));
  const page: JsonObject[] = [];
  let bytes = 0;
  let lastKey: Key | undefined;
  for (const { stream, e } of hits) {
    if (page.length === limit || bytes + eventBytes(e) > MAX_PAGE_BYTES) break;
    bytes += eventBytes(e);
    lastKey = keyOf(e);
    page.push({ logStreamName: stream, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: String(e.id).padStart(56, '0') });
  }
  const out: JsonObject = {
    events: page,
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
  };
  if (page.length < hits.length && lastKey) out['nextToken'] = encodeToken({ t: lastKey[0], i: lastKey[1] });
  return out;
}

/** The first index whose event is at or after `t` (events are sorted by timestamp). */
function lowerBound(events: LogEventRecord[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const e = events[mid];
    if (e && e.timestamp < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The CloudWatch Logs operations the sandbox serves, by name. */
export const logsOperations: Record<string, Operation> = {
  DescribeLogGroups: describeLogGroups,
  DescribeLogStreams: describeLogStreams,
  GetLogEvents: getLogEvents,
  FilterLogEvents: filterLogEvents,
};
