import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  paginateFilterLogEvents,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LogFilter, LogLine, LogReadOptions, LogReadResult, LogSource } from '../ports/log-source.ts';
import { chunks } from './batch.ts';
import { clientConfig, RegionalClients, type AwsClientOptions } from './clients.ts';
import { awsErrorName, call, toCloudError } from './errors.ts';

/** FilterLogEvents returns at most 10,000 events a page. */
const EVENTS_PER_PAGE = 10_000;
/** FilterLogEvents accepts at most 100 stream names a call. */
const STREAMS_PER_CALL = 100;

function toLine(e: FilteredLogEvent): LogLine {
  return {
    timestamp: e.timestamp ?? 0,
    message: (e.message ?? '').replace(/\r?\n$/, ''),
    stream: e.logStreamName ?? '',
    ...(e.eventId ? { eventId: e.eventId } : {}),
    ...(e.ingestionTime !== undefined ? { ingestionTime: e.ingestionTime } : {}),
  };
}

function byTime(a: LogLine, b: LogLine): number {
  return a.timestamp - b.timestamp || (a.eventId ?? '').localeCompare(b.eventId ?? '');
}

/** LogSource on Amazon CloudWatch Logs through the AWS SDK v3 (or anything that speaks its protocol). */
export class SdkLogSource implements LogSource {
  private readonly clients: RegionalClients<CloudWatchLogsClient>;

  /** Builds one CloudWatch Logs client per region on first use, with the given endpoint and credentials. */
  constructor(options: AwsClientOptions = {}) {
    this.clients = new RegionalClients((region) => new CloudWatchLogsClient(clientConfig(region, options)), options);
  }

  /** Matching events across streams, oldest first, through every page (empty pages included). */
  async filterEvents(filter: LogFilter, options: LogReadOptions): Promise<LogReadResult> {
    const maxScanned = options.maxScanned ?? 200_000;
    const whole = await this.scan(filter, options, maxScanned);
    if (options.keep === 'last' && whole.incomplete && whole.matched >= maxScanned) {
      // FilterLogEvents reads oldest first, so a window with more events than the budget would
      // yield its oldest lines as "the newest"; read windows backward from now instead.
      return this.newestByWindows(filter, options, maxScanned);
    }
    return whole;
  }

  /**
   * The newest `limit` events of a window too busy to read whole: windows back from now
   * (1 minute, then four times wider each step) until enough lines are found or the window's start is reached.
   */
  private async newestByWindows(filter: LogFilter, options: LogReadOptions, maxScanned: number): Promise<LogReadResult> {
    const floor = filter.startTime ?? 0;
    const anchor = filter.endTime ?? Date.now();
    let upper: number | undefined = filter.endTime;
    let width = 60_000;
    let kept: LogLine[] = [];
    let matched = 0;
    for (;;) {
      const start = Math.max(floor, (upper ?? anchor) - width);
      // The newest window stays open-ended, so lines stamped after this machine's "now" still count.
      const part = await this.scan({ ...filter, startTime: start, ...(upper !== undefined ? { endTime: upper - 1 } : {}) }, options, maxScanned);
      matched += part.matched;
      kept = part.events.concat(kept);
      if (kept.length >= options.limit || start <= floor) break;
      upper = start;
      width *= 4;
    }
    kept.sort(byTime);
    return { events: kept.slice(Math.max(0, kept.length - options.limit)), matched, incomplete: true };
  }

  /** One pass over the filter's window, oldest first, stopping after `maxScanned` matching events. */
  private async scan(filter: LogFilter, options: LogReadOptions, maxScanned: number): Promise<LogReadResult> {
    const streamSets: Array<readonly string[] | undefined> =
      filter.streamNames && filter.streamNames.length > 0 ? chunks(filter.streamNames, STREAMS_PER_CALL) : [undefined];
    let matched = 0;
    let incomplete = false;
    let kept: LogLine[] = [];
    for (const streams of streamSets) {
      const part = await this.readOne(filter, streams, options, maxScanned - matched);
      matched += part.matched;
      incomplete ||= part.incomplete;
      kept = kept.concat(part.events);
      if (matched >= maxScanned) {
        incomplete = true;
        break;
      }
    }
    kept.sort(byTime);
    const events = options.keep === 'first' ? kept.slice(0, options.limit) : kept.slice(Math.max(0, kept.length - options.limit));
    return { events, matched, incomplete };
  }

  private async readOne(
    filter: LogFilter,
    streams: readonly string[] | undefined,
    options: LogReadOptions,
    budget: number,
  ): Promise<LogReadResult> {
    const site = { action: 'logs:FilterLogEvents', region: filter.region, resource: `log group ${filter.group}`, name: filter.group };
    return call(site, async () => {
      const pageSize = options.keep === 'first' ? Math.max(1, Math.min(EVENTS_PER_PAGE, options.limit)) : EVENTS_PER_PAGE;
      const pages = paginateFilterLogEvents(
        { client: this.clients.get(filter.region), pageSize },
        {
          logGroupName: filter.group,
          ...(streams ? { logStreamNames: [...streams] } : filter.streamNamePrefix ? { logStreamNamePrefix: filter.streamNamePrefix } : {}),
          ...(filter.startTime !== undefined ? { startTime: filter.startTime } : {}),
          ...(filter.endTime !== undefined ? { endTime: filter.endTime } : {}),
          ...(filter.filterPattern ? { filterPattern: filter.filterPattern } : {}),
        },
      );
      let events: LogLine[] = [];
      let matched = 0;
      for await (const page of pages) {
        options.signal?.throwIfAborted();
        for (const e of page.events ?? []) {
          matched++;
          events.push(toLine(e));
        }
        if (options.keep === 'first' && events.length >= options.limit) {
          return { events: events.sort(byTime).slice(0, options.limit), matched, incomplete: page.nextToken !== undefined || events.length > options.limit };
        }
        // Not every implementation interleaves streams by time within a page, so keep the newest by timestamp.
        if (options.keep === 'last' && events.length > options.limit * 2) events = events.sort(byTime).slice(events.length - options.limit);
        if (matched >= budget) return { events: events.sort(byTime), matched, incomplete: page.nextToken !== undefined };
      }
      return { events: events.sort(byTime), matched, incomplete: false };
    }, 'log-group-not-found');
  }

  /** The newest `limit` events of one stream, oldest first; [] when the stream does not exist. */
  async streamTail(region: string, group: string, stream: string, limit: number): Promise<LogLine[]> {
    const site = { action: 'logs:GetLogEvents', region, resource: `log stream ${stream} in ${group}`, name: group };
    try {
      const out = await this.clients
        .get(region)
        .send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit, startFromHead: false }));
      return (out.events ?? []).slice(-limit).map((e) => ({
        timestamp: e.timestamp ?? 0,
        message: (e.message ?? '').replace(/\r?\n$/, ''),
        stream,
        ...(e.ingestionTime !== undefined ? { ingestionTime: e.ingestionTime } : {}),
      }));
    } catch (e) {
      if (awsErrorName(e) === 'ResourceNotFoundException') return [];
      throw toCloudError(e, site, 'log-group-not-found');
    }
  }

  /** Closes the clients' sockets. */
  destroy(): void {
    this.clients.destroy();
  }
}
