/**
 * Container logs (CloudWatch Logs) in platform-neutral shapes. Times are milliseconds since the epoch.
 */

/** One log line. */
export interface LogLine {
  /** When the program wrote it. */
  timestamp: number;
  /** The text, without its trailing newline. */
  message: string;
  /** The stream it came from (`prefix/container-name/task-id` for awslogs). */
  stream: string;
  /** The event id, unique within the group; followers use it to skip lines already shown. */
  eventId?: string;
  /** When CloudWatch Logs received it. */
  ingestionTime?: number;
}

/** Which events to read from a log group. */
export interface LogFilter {
  /** The region of the log group. */
  region: string;
  /** The log group name. */
  group: string;
  /** Only these streams (the API takes at most 100; the implementation splits longer lists). */
  streamNames?: readonly string[];
  /** Only streams whose names start with this (ignored when `streamNames` is given). */
  streamNamePrefix?: string;
  /** Events at or after this time. */
  startTime?: number;
  /** Events at or before this time. */
  endTime?: number;
  /** A CloudWatch Logs filter pattern; plain words match lines that contain them. */
  filterPattern?: string;
}

/** How many events to collect and which ones to keep. */
export interface LogReadOptions {
  /** The most events to return. */
  limit: number;
  /**
   * `first` keeps the oldest `limit` events and stops reading once it has them;
   * `last` reads every page and keeps the newest `limit` (what `/ecs logs --lines` wants).
   */
  keep: 'first' | 'last';
  /** Stop reading after this many matching events were seen (default 200,000), so a huge group cannot stall a reply. */
  maxScanned?: number;
  /** Aborts the reading. */
  signal?: AbortSignal;
}

/** Events read across pages. */
export interface LogReadResult {
  /** The events kept, oldest first. */
  events: LogLine[];
  /** How many matching events were seen in all (kept or not). */
  matched: number;
  /** True when reading stopped before the last page (limit reached with `first`, or `maxScanned`). */
  incomplete: boolean;
}

/** Where container logs are read. */
export interface LogSource {
  /**
   * Matching events across the group's streams, oldest first, through every page.
   * Pages may be empty while a next token continues; reading goes on until the token ends.
   * Throws `log-group-not-found`.
   */
  filterEvents(filter: LogFilter, options: LogReadOptions): Promise<LogReadResult>;
  /**
   * The newest `limit` events of one stream, oldest first. The crash watcher reads the
   * last 20 lines of a crashed container's stream with it. Returns [] when the stream does not exist.
   */
  streamTail(region: string, group: string, stream: string, limit: number): Promise<LogLine[]>;
}
