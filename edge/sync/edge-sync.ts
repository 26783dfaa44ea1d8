import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { FileSyncStateStore } from '../../cloud-sync/client/state-store.js';
import { SyncClient, type SyncStatus } from '../../cloud-sync/client/sync-client.js';
import { firstRecordMs } from '../../cloud-sync/client/sync-source.js';
import { STREAM_PRIORITY, type SyncRecord } from '../../cloud-sync/protocol/record.js';
import type { SyncView } from '../api/types.js';
import type { EdgeConfig } from '../config/config.js';
import type { RecordLog } from '../store/record-log.js';
import { DroppedRecords } from './dropped-records.js';
import type { EdgeClock } from './edge-clock.js';
import { JournalSyncSource } from './journal-source.js';
import { Retention, type RetentionResult, type SnapshotHolder } from './retention.js';
import type { SyncMetrics } from './sync-metrics.js';

export interface EdgeSyncOptions {
  config: Readonly<EdgeConfig>;
  records: RecordLog;
  clock: EdgeClock;
  /** Derived state kept in snapshots: retention waits until they cover a segment. */
  holders: readonly SnapshotHolder[];
  version: string;
  /** The edge's config bundle version, for the sync report. */
  configVersion?: () => number;
  metrics?: SyncMetrics;
  log: Logger;
}

/**
 * The edge's side of sync (issue 5): the sync client over the journal when `LINLI_CLOUD_URL` and
 * `LINLI_HOUSE_SECRET` are set, the clock it corrects, the journal's retention, and the view that
 * `GET /api/sync`, `/metrics` and the admin page show. Without a cloud the edge works alone: the
 * view shows every record as not yet synced and retention keeps them all (but for the disk-full
 * policy).
 */
export class EdgeSync {
  readonly client: SyncClient | undefined;
  readonly #o: EdgeSyncOptions;
  readonly #source: JournalSyncSource;
  readonly #dropped: DroppedRecords;
  readonly #retention: Retention;
  #timer: NodeJS.Timeout | undefined;
  #lastRetention: (RetentionResult & { at: string }) | undefined;
  #retentionError: string | undefined;

  private constructor(o: EdgeSyncOptions, dropped: DroppedRecords) {
    this.#o = o;
    this.#dropped = dropped;
    this.#source = new JournalSyncSource(o.records, dropped);
    const { config, clock, metrics, log } = o;
    if (config.cloudUrl && config.houseSecret) {
      this.client = new SyncClient({
        cloudUrl: config.cloudUrl,
        house: config.houseId,
        secret: config.houseSecret,
        source: this.#source,
        store: new FileSyncStateStore(join(config.dataDir, 'sync-state.json')),
        maxBatchRecords: config.syncBatch,
        backoffBaseMs: config.syncBackoffMs,
        backoffCapMs: config.syncBackoffMaxMs,
        idleMs: config.syncIdleMs,
        requestTimeoutMs: config.syncTimeoutMs,
        onClockOffset: (ms) => clock.learn(ms),
        onBatch: (stream, sent, stored, duplicates, rejected) =>
          metrics?.batch(stream, sent, stored, duplicates, rejected),
        onBackoff: (delayMs, failures) => {
          metrics?.failedRound();
          log.warn({ delayMs: Math.round(delayMs), failures }, 'sync round failed; backing off');
        },
        report: () => ({
          version: o.version,
          configVersion: o.configVersion?.() ?? 0,
          diskFreeBytes: this.#lastRetention?.freeBytes ?? null,
        }),
      });
    }
    this.#retention = new Retention({
      records: o.records,
      cursors: async () => (this.client ? await this.client.cursors() : undefined),
      holders: o.holders,
      dropped,
      retentionMs: config.retentionDays * 86_400_000,
      minFreeBytes: config.diskMinFreeMb * 1024 * 1024,
      diskFree: () => diskFree(config.dataDir),
      now: clock.now,
      log: log.child({ part: 'retention' }),
    });
  }

  static async open(o: EdgeSyncOptions): Promise<EdgeSync> {
    return new EdgeSync(o, await DroppedRecords.open(join(o.config.dataDir, 'records')));
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** Starts the sync loop and the retention timer. */
  start(): void {
    this.client?.start();
    const tick = () => {
      this.#o.clock.recheckSystem();
      this.runRetention().catch(() => undefined);
    };
    this.#timer = setInterval(tick, this.#o.config.retentionCheckMs);
    this.#timer.unref();
    setImmediate(tick);
  }

  /** A record is durable: wake the sync loop (alarms reach the cloud without waiting for a timer). */
  appended(_record: SyncRecord): void {
    this.client?.kick();
  }

  /** An operator asked to sync now (ends a backoff too). */
  syncNow(): void {
    this.client?.syncNow();
  }

  /** Re-sends dead letters (all, or the given ids) with the same id and seq. */
  async retry(ids?: readonly string[]): Promise<{ accepted: number; remaining: number }> {
    if (!this.client) return { accepted: 0, remaining: 0 };
    return await this.client.retryDeadLetters(ids);
  }

  /** One retention pass now (also run on a timer). */
  async runRetention(): Promise<RetentionResult> {
    try {
      const result = await this.#retention.run();
      this.#lastRetention = { ...result, at: new Date(this.#o.clock.now()).toISOString() };
      this.#retentionError = undefined;
      if (this.client) await this.#dropped.prune(await this.client.cursors());
      return result;
    } catch (err) {
      this.#retentionError = (err as Error).message;
      this.#o.log.error({ err }, 'retention pass failed');
      throw err;
    }
  }

  async view(): Promise<SyncView> {
    const status = this.client ? await this.client.status() : await this.#aloneStatus();
    const dead = this.client ? await this.client.deadLetters() : [];
    const j = this.#o.records.stats.journal;
    return {
      enabled: this.enabled,
      ...(this.#o.config.cloudUrl ? { cloudUrl: redactUrl(this.#o.config.cloudUrl) } : {}),
      clock: { state: this.#o.clock.state(), offsetMs: this.#o.clock.offsetMs },
      streams: status.streams,
      backlog: status.backlog,
      lastSuccessAt: status.lastSuccessAt,
      lastError: status.lastError,
      consecutiveFailures: status.consecutiveFailures,
      running: status.running,
      deadLetters: dead,
      journal: { firstLsn: j.firstLsn, lastLsn: j.lastLsn, segments: j.segments, bytes: j.bytes },
      retention: {
        days: this.#o.config.retentionDays,
        minFreeBytes: this.#o.config.diskMinFreeMb * 1024 * 1024,
        lastRun: this.#lastRetention ?? null,
        lastError: this.#retentionError ?? null,
        droppedPending: this.#dropped.count,
      },
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.client?.stop({ abort: true });
  }

  /** Without a cloud: every record is unsynced. */
  async #aloneStatus(): Promise<SyncStatus> {
    const streams: SyncStatus['streams'] = {};
    let backlog = 0;
    const now = this.#o.clock.now();
    for (const stream of STREAM_PRIORITY) {
      const lastSeq = this.#source.lastSeq(stream);
      const first = lastSeq > 0 ? await firstRecordMs(this.#source, stream, 0) : null;
      const oldest = first === null ? null : Math.max(0, now - first);
      streams[stream] = {
        lastSeq,
        cursor: 0,
        backlog: lastSeq,
        oldestUnsyncedAgeMs: lastSeq > 0 ? oldest : null,
      };
      backlog += lastSeq;
    }
    return {
      streams,
      backlog,
      lastSuccessAt: null,
      lastError: null,
      deadLetters: 0,
      clockOffsetMs: null,
      running: false,
      consecutiveFailures: 0,
    };
  }
}

async function diskFree(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** The cloud URL without credentials or query (it may be shown to staff). */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid)';
  }
}
