/**
 * The edge's sync report, protocol version 1 (an extension of DESIGN.md's sync API): after each
 * sync round the edge posts, signed like every sync request, what only it knows — how much it
 * still holds back per stream — so the city's views show each house's backlog and health.
 *
 * `POST /api/v1/sync/status` with a JSON {@link EdgeSyncReport} → 200 `{serverTime}`.
 */

export const SYNC_STATUS_PATH = '/api/v1/sync/status';

export interface EdgeStreamReport {
  /** Seq of the stream's last durable record on the edge. */
  lastSeq: number;
  /** Records the cloud does not yet hold. */
  backlog: number;
  /** Age of the oldest of them (ms, edge clock), null when none. */
  oldestUnsyncedAgeMs: number | null;
}

export interface EdgeSyncReport {
  /** The edge's software version. */
  version: string;
  /** The edge's clock at the report (ISO-8601). */
  at: string;
  streams: Record<string, EdgeStreamReport>;
  backlog: number;
  deadLetters: number;
  /** What the edge adds to its clock to get the cloud's; null before any answer. */
  clockOffsetMs: number | null;
  /** The edge's config bundle version (0 before any). */
  configVersion: number;
  /** Free disk space of the edge's data directory, bytes (null when unknown). */
  diskFreeBytes: number | null;
}

const MAX_REPORT_BYTES = 16 * 1024;

/** Why a report body is malformed, or undefined. Never quotes a value. */
export function checkSyncReport(
  raw: Buffer,
): { ok: true; report: EdgeSyncReport } | { ok: false; reason: string } {
  if (raw.length > MAX_REPORT_BYTES) return { ok: false, reason: `report is over ${MAX_REPORT_BYTES} bytes` };
  let x: Partial<EdgeSyncReport>;
  try {
    x = JSON.parse(raw.toString('utf8')) as Partial<EdgeSyncReport>;
  } catch {
    return { ok: false, reason: 'report is not JSON' };
  }
  if (x === null || typeof x !== 'object' || Array.isArray(x))
    return { ok: false, reason: 'report is not an object' };
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const intOrNull = (v: unknown) => v === null || int(v);
  if (typeof x.version !== 'string' || x.version.length > 64) return { ok: false, reason: 'version' };
  if (typeof x.at !== 'string' || Number.isNaN(Date.parse(x.at))) return { ok: false, reason: 'at' };
  if (!int(x.backlog) || !int(x.deadLetters) || !int(x.configVersion)) {
    return { ok: false, reason: 'backlog, deadLetters and configVersion are integers ≥ 0' };
  }
  if (!(x.clockOffsetMs === null || Number.isSafeInteger(x.clockOffsetMs)))
    return { ok: false, reason: 'clockOffsetMs' };
  if (!intOrNull(x.diskFreeBytes)) return { ok: false, reason: 'diskFreeBytes' };
  if (x.streams === null || typeof x.streams !== 'object' || Array.isArray(x.streams)) {
    return { ok: false, reason: 'streams is not an object' };
  }
  const entries = Object.entries(x.streams);
  if (entries.length > 32) return { ok: false, reason: 'too many streams' };
  for (const [name, s] of entries) {
    if (!/^[a-z]{1,32}$/.test(name)) return { ok: false, reason: 'a stream name is not [a-z]{1,32}' };
    if (!s || !int(s.lastSeq) || !int(s.backlog) || !intOrNull(s.oldestUnsyncedAgeMs)) {
      return { ok: false, reason: `streams.${name}: lastSeq, backlog, oldestUnsyncedAgeMs` };
    }
  }
  return { ok: true, report: x as EdgeSyncReport };
}
