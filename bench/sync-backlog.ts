/**
 * A sync backlog for the sync benches: records written straight into an edge's record log
 * (`RecordLog.append`, the daemon's own journal API, group-committed with many appends in flight),
 * spread over the streams the cloud knows types for, with bodies shaped like the edge's own
 * (card swipes, QR scans, device status and hourly counters, alarm delivery attempts, resident
 * edits): each record's JSON is ~200–300 bytes. `payment` has no record types yet (the cloud would
 * reject them as `unknown-type`), so it gets none.
 *
 * The types are ones the edge's start-up reducers pass over or keep small (no open alarm is
 * raised, no points are credited), so a daemon started on the backlog does not escalate or rank
 * a million made-up events; the cloud's projections still see device and alarm records.
 */
import { performance } from 'node:perf_hooks';
import type { Stream } from '../cloud-sync/protocol/record.js';
import { RecordLog } from '../edge/store/record-log.js';

const IN_FLIGHT = 1000;

/** Share of the backlog per stream (sums to 1): a box mostly scans, swipes and reports devices. */
const MIX: readonly [Stream, number][] = [
  ['alarm', 0.02],
  ['points', 0.35],
  ['registry', 0.03],
  ['device', 0.2],
  ['service', 0.4],
];

/** The stream of the n-th record: a fixed, interleaved pattern following MIX. */
export function streamOf(n: number): Stream {
  let x = ((n * 0.6180339887) % 1) as number;
  for (const [stream, share] of MIX) {
    if (x < share) return stream;
    x -= share;
  }
  return 'service';
}

const hex = (n: number, width: number) =>
  (n >>> 0).toString(16).toUpperCase().padStart(width, '0').slice(-width);

/** Type and body of the n-th record of `stream`, shaped like what the edge appends. */
export function recordOf(stream: Stream, n: number): { type: string; body: Record<string, unknown> } {
  const at = new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString();
  switch (stream) {
    case 'alarm':
      return {
        type: 'alarm.delivery',
        body: {
          id: `al-${hex(n, 8).toLowerCase()}`,
          channel: n % 3 === 0 ? 'sms' : 'webhook',
          level: n % 3,
          ok: n % 17 !== 0,
          attempts: 1 + (n % 3),
          ...(n % 17 === 0 ? { error: 'gateway answered 503 Service Unavailable' } : {}),
        },
      };
    case 'points':
      return {
        type: 'card.swipe',
        body: {
          deviceId: `reader-${n % 4}`,
          result: n % 9 === 0 ? 'no-session' : 'ok',
          residentId: `r-${(n * 7919) % 10_000}`,
          kind: 'resident',
          sessionId: `s-${Math.floor(n / 400)}`,
          tappedAt: at,
        },
      };
    case 'registry':
      return {
        type: 'resident.updated',
        body: {
          id: `r-${(n * 7919) % 10_000}`,
          fields: n % 2 ? ['phone', 'building'] : ['roles', 'branch', 'notes'],
          by: n % 5 ? 'admin' : 'staff-01',
          edit: `0190${hex(n, 8)}`.toLowerCase(),
          base: n % 40,
        },
      };
    case 'device':
      return n % 4 === 0
        ? {
            type: 'device.counters',
            body: {
              deviceId: `help-btn-${n % 50}`,
              from: at,
              to: new Date(Date.parse(at) + 3_600_000).toISOString(),
              events: 60 + (n % 7),
              errors: n % 11 === 0 ? 1 : 0,
              reconnects: n % 13 === 0 ? 1 : 0,
            },
          }
        : {
            type: 'device.status',
            body: {
              deviceId: `help-btn-${n % 50}`,
              online: n % 2 === 0,
              ...(n % 2 ? { reason: 'no heartbeat for 180 s' } : {}),
            },
          };
    default:
      return {
        type: 'qr.scanned',
        body: {
          deviceId: `scanner-${n % 3}`,
          text: `https://linli.example.cn/p/badge/${hex(n * 2654435761, 8)}`,
        },
      };
  }
}

/**
 * Appends `count` records to the record log in `dir` (the daemon's `<dataDir>/records`). Resolves
 * with how long it took and what the journal holds (records the daemon made itself included).
 */
export async function writeBacklog(dir: string, house: string, count: number) {
  const log = await RecordLog.open({ dir, house, clock: () => 'synced' });
  const t0 = performance.now();
  let bytes = 0;
  try {
    const start = log.lastLsn;
    while (log.lastLsn - start < count) {
      const base = log.lastLsn;
      const n = Math.min(IN_FLIGHT, count - (base - start));
      const done = await Promise.all(
        Array.from({ length: n }, (_, i) => {
          const stream = streamOf(base + i);
          const { type, body } = recordOf(stream, base + i);
          return log.append(stream, type, body);
        }),
      );
      for (const r of done) bytes += Buffer.byteLength(JSON.stringify(r));
    }
  } finally {
    await log.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const perStream: Partial<Record<Stream, number>> = {};
  for (const [s] of MIX) perStream[s] = log.streamSeq(s);
  return {
    records: log.lastLsn,
    perStream,
    meanRecordBytes: Math.round(bytes / count),
    journalMB: Math.round((log.stats.journal.bytes / 2 ** 20) * 10) / 10,
    seconds: Math.round(seconds * 10) / 10,
    recordsPerS: Math.round(count / seconds),
  };
}
