import { Counter, Gauge, type Registry } from 'prom-client';
import type { SyncView } from '../api/types.js';

/**
 * Sync figures on the edge's `/metrics` (issue 5): backlog and oldest unsynced age per stream,
 * last success, dead letters, the clock offset, and counters of what the cloud took. Gauges read
 * the sync view when scraped (`view` is cached for a second so one scrape reads it once).
 */
export class SyncMetrics {
  readonly #records: Counter<'stream' | 'outcome'>;
  readonly #failed: Counter;

  constructor(registry: Registry, view: () => Promise<SyncView>) {
    let cached: { at: number; view: Promise<SyncView> } | undefined;
    const read = () => {
      const now = Date.now();
      if (!cached || now - cached.at > 1000) cached = { at: now, view: view() };
      return cached.view;
    };
    const perStream = (name: string, help: string, pick: (s: SyncView['streams'][string]) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['stream'],
        registers: [registry],
        async collect() {
          const v = await read();
          this.reset();
          for (const [stream, s] of Object.entries(v.streams)) {
            const x = pick(s);
            if (x !== null) this.set({ stream }, x);
          }
        },
      });
    const single = (name: string, help: string, pick: (v: SyncView) => number | null) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          const x = pick(await read());
          if (x === null) this.reset();
          else this.set(x);
        },
      });
    perStream('linli_sync_backlog_records', 'Records the cloud does not hold yet', (s) => s.backlog);
    perStream('linli_sync_last_seq', 'Seq of the stream’s last durable record', (s) => s.lastSeq);
    perStream('linli_sync_oldest_unsynced_seconds', 'Age of the oldest record not yet synced', (s) =>
      s.oldestUnsyncedAgeMs === null ? 0 : s.oldestUnsyncedAgeMs / 1000,
    );
    single('linli_sync_enabled', '1 when the edge syncs to a cloud', (v) => (v.enabled ? 1 : 0));
    single('linli_sync_last_success_timestamp_seconds', 'When the last sync round succeeded', (v) =>
      v.lastSuccessAt ? Date.parse(v.lastSuccessAt) / 1000 : null,
    );
    single(
      'linli_sync_consecutive_failures',
      'Failed sync rounds since the last good one',
      (v) => v.consecutiveFailures,
    );
    single(
      'linli_sync_dead_letters',
      'Records the cloud rejected, waiting for a fix',
      (v) => v.deadLetters.length,
    );
    single(
      'linli_sync_clock_offset_seconds',
      'Cloud time minus the edge’s wall clock, as followed',
      (v) => v.clock.offsetMs / 1000,
    );
    single('linli_sync_clock_synced', '1 once records carry clock "synced"', (v) =>
      v.clock.state === 'synced' ? 1 : 0,
    );
    single(
      'linli_retention_dropped_pending',
      'Records dropped by the disk-full policy not yet reported',
      (v) => v.retention.droppedPending,
    );
    this.#records = new Counter({
      name: 'linli_sync_records_total',
      help: 'Records sent to the cloud, by what the cloud did with them',
      labelNames: ['stream', 'outcome'],
      registers: [registry],
    });
    this.#failed = new Counter({
      name: 'linli_sync_failed_rounds_total',
      help: 'Sync rounds that failed (each followed by a backoff)',
      registers: [registry],
    });
  }

  batch(stream: string, sent: number, stored: number, duplicates: number, rejected: number): void {
    this.#records.inc({ stream, outcome: 'sent' }, sent);
    if (stored) this.#records.inc({ stream, outcome: 'stored' }, stored);
    if (duplicates) this.#records.inc({ stream, outcome: 'duplicate' }, duplicates);
    if (rejected) this.#records.inc({ stream, outcome: 'rejected' }, rejected);
  }

  failedRound(): void {
    this.#failed.inc();
  }
}
