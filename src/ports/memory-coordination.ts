/**
 * Coordination kept in one process's memory: what adapters and the dispatcher use when no database
 * is wired (unit tests, embedding). It is correct for one process only; main.ts always wires the store.
 */
import { kindAllowed, type Claims, type Confirmations, type Coordination, type JobKinds, type JobRecord, type Jobs, type StoredConfirmation, type ThreadMap } from './coordination.ts';

/** Claims in a Map; at most `max` remembered. */
export class MemoryClaims implements Claims {
  private readonly until = new Map<string, number>();
  constructor(private readonly max = 10_000) {}

  /** Claims a key once while it lasts. */
  async claim(key: string, at: number, ttlMs: number): Promise<boolean> {
    if ((this.until.get(key) ?? 0) > at) return false;
    if (this.until.size >= this.max) await this.prune(at);
    this.until.set(key, at + ttlMs);
    return true;
  }

  /** Forgets ended claims. */
  async prune(at: number): Promise<number> {
    let n = 0;
    for (const [k, exp] of this.until) if (exp <= at && this.until.delete(k)) n++;
    return n;
  }
}

/** Confirmations in a Map; answered and expired ones are kept for a day and at most 1,000, so a long-running bot does not grow. */
export class MemoryConfirmations implements Confirmations {
  private readonly rows = new Map<string, StoredConfirmation>();
  constructor(
    private readonly keptMs = 86_400_000,
    private readonly keptMax = 1_000,
  ) {}

  /** Stores a pending confirmation. */
  async save(c: Omit<StoredConfirmation, 'state'>): Promise<void> {
    this.rows.set(c.token, { ...c, state: 'pending' });
  }

  /** A confirmation by token. */
  async get(token: string): Promise<StoredConfirmation | undefined> {
    const c = this.rows.get(token);
    return c ? { ...c } : undefined;
  }

  /** Answers a pending confirmation once. */
  async take(token: string, at: number): Promise<boolean> {
    const c = this.rows.get(token);
    if (!c || c.state !== 'pending' || c.expiresAt <= at) return false;
    c.state = 'answered';
    return true;
  }

  /** Expires what is due, and forgets what ended long ago. */
  async expireDue(at: number): Promise<StoredConfirmation[]> {
    const out = this.expire((c) => c.expiresAt <= at);
    await this.prune(at - this.keptMs);
    const ended = [...this.rows.values()].filter((c) => c.state !== 'pending');
    for (const c of ended.slice(0, Math.max(0, ended.length - this.keptMax))) this.rows.delete(c.token);
    return out;
  }

  /** Expires everything pending. */
  async expireAll(): Promise<StoredConfirmation[]> {
    return this.expire(() => true);
  }

  private expire(due: (c: StoredConfirmation) => boolean): StoredConfirmation[] {
    const out: StoredConfirmation[] = [];
    for (const c of this.rows.values()) {
      if (c.state === 'pending' && due(c)) {
        c.state = 'expired';
        out.push({ ...c });
      }
    }
    return out;
  }

  /** Forgets old answered and expired confirmations. */
  async prune(before: number): Promise<number> {
    let n = 0;
    for (const [k, c] of this.rows) if (c.state !== 'pending' && c.expiresAt < before && this.rows.delete(k)) n++;
    return n;
  }
}

/** Jobs in a Map. */
export class MemoryJobs implements Jobs {
  private readonly rows = new Map<string, JobRecord>();

  /** Records a running job. */
  async create(job: Omit<JobRecord, 'state' | 'stopRequested'>): Promise<void> {
    this.rows.set(job.id, { ...job, state: 'running', stopRequested: false });
  }

  /** A job by id. */
  async get(id: string): Promise<JobRecord | undefined> {
    const j = this.rows.get(id);
    return j ? { ...j } : undefined;
  }

  /** Renews the owner's running jobs. */
  async renew(owner: string, ids: readonly string[], until: number): Promise<Array<{ id: string; stopRequested: boolean }>> {
    const out: Array<{ id: string; stopRequested: boolean }> = [];
    for (const id of ids) {
      const j = this.rows.get(id);
      if (j && j.owner === owner && j.state === 'running') {
        j.leaseUntil = until;
        out.push({ id, stopRequested: j.stopRequested });
      }
    }
    return out;
  }

  /** Ends a job the owner holds. */
  async finish(id: string, owner: string, state: 'done' | 'stopped'): Promise<void> {
    const j = this.rows.get(id);
    if (j && j.owner === owner && j.state === 'running') j.state = state;
  }

  /** Takes over jobs whose lease ended. */
  async takeOver(owner: string, at: number, until: number, limit: number, kinds?: JobKinds): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const j of this.rows.values()) {
      if (out.length >= limit) break;
      if (j.state === 'running' && j.leaseUntil <= at && kindAllowed(j.kind, kinds)) {
        j.owner = owner;
        j.leaseUntil = until;
        out.push({ ...j });
      }
    }
    return out;
  }

  /** Asks a channel's running jobs to stop. */
  async requestStop(channelKey: string, service: string | null, kinds: readonly string[]): Promise<number> {
    let n = 0;
    for (const j of this.rows.values()) {
      if (j.channelKey === channelKey && j.state === 'running' && kinds.includes(j.kind) && (service === null || j.service === service)) {
        j.stopRequested = true;
        n++;
      }
    }
    return n;
  }

  /** A channel's running jobs of some kinds. */
  async running(channelKey: string, kinds: readonly string[]): Promise<JobRecord[]> {
    return [...this.rows.values()].filter((j) => j.channelKey === channelKey && j.state === 'running' && !j.stopRequested && kinds.includes(j.kind)).map((j) => ({ ...j }));
  }

  /** Forgets old finished jobs. */
  async prune(before: number): Promise<number> {
    let n = 0;
    for (const [k, j] of this.rows) if (j.state !== 'running' && j.createdAt < before && this.rows.delete(k)) n++;
    return n;
  }
}

/** Thread parents in a Map, the oldest forgotten past `max`. */
export class MemoryThreadMap implements ThreadMap {
  private readonly rows = new Map<string, { ts: string; at: number }>();
  constructor(private readonly max = 5_000) {}

  /** Remembers a thread parent. */
  async remember(channelId: string, key: string, ts: string, at: number): Promise<void> {
    const k = `${channelId}|${key}`;
    this.rows.delete(k);
    if (this.rows.size >= this.max) {
      const first = this.rows.keys().next().value;
      if (first !== undefined) this.rows.delete(first);
    }
    this.rows.set(k, { ts, at });
  }

  /** A thread parent. */
  async find(channelId: string, key: string): Promise<string | undefined> {
    return this.rows.get(`${channelId}|${key}`)?.ts;
  }

  /** Forgets old threads. */
  async prune(before: number): Promise<number> {
    let n = 0;
    for (const [k, v] of this.rows) if (v.at < before && this.rows.delete(k)) n++;
    return n;
  }
}

/** One process's coordination, leading for as long as it runs. */
export function memoryCoordination(): Coordination {
  let held = true;
  return {
    claims: new MemoryClaims(),
    confirmations: new MemoryConfirmations(),
    jobs: new MemoryJobs(),
    threads: new MemoryThreadMap(),
    leadership: {
      acquire: async () => held,
      release: async () => {
        held = false;
      },
    },
  };
}
