/**
 * The latest sync report of each house (protocol/status.ts): what only the edge knows — its
 * backlog per stream and the age of its oldest unsynced record, its dead letters, its clock offset
 * and config version — kept for the city's house view. A report replaces the house's previous one
 * unless that one was received later (two instances answering at once).
 */
import type { EdgeSyncReport } from '../protocol/status.js';
import type { Queryable } from './db/db.js';

const YEAR_10000 = Date.UTC(10000, 0, 1);

/**
 * What the database could not store of a report that passed `checkSyncReport`: a control
 * character in `version`, or an `at` outside 1970–9999. Undefined when storable.
 */
export function unstorableReport(report: EdgeSyncReport): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
  if (/[\u0000-\u001f]/.test(report.version)) return 'version holds control characters';
  const at = Date.parse(report.at);
  if (!(at >= 0 && at < YEAR_10000)) return 'at is not between 1970 and 9999';
  return undefined;
}

export async function storeSyncReport(
  db: Queryable,
  house: string,
  report: EdgeSyncReport,
  nowMs: number,
): Promise<void> {
  const ages = Object.values(report.streams)
    .map((s) => s.oldestUnsyncedAgeMs)
    .filter((a): a is number => a !== null);
  await db.query(
    `INSERT INTO house_reports AS r
            (house, received_at, edge_at, version, backlog, oldest_unsynced_age_ms, dead_letters,
             clock_offset_ms, config_version, disk_free_bytes, streams)
     VALUES ($1, $2::timestamptz, $3::timestamptz, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb)
     ON CONFLICT (house) DO UPDATE
        SET received_at = EXCLUDED.received_at, edge_at = EXCLUDED.edge_at, version = EXCLUDED.version,
            backlog = EXCLUDED.backlog, oldest_unsynced_age_ms = EXCLUDED.oldest_unsynced_age_ms,
            dead_letters = EXCLUDED.dead_letters, clock_offset_ms = EXCLUDED.clock_offset_ms,
            config_version = EXCLUDED.config_version, disk_free_bytes = EXCLUDED.disk_free_bytes,
            streams = EXCLUDED.streams
      WHERE r.received_at <= EXCLUDED.received_at`,
    [
      house,
      new Date(nowMs).toISOString(),
      new Date(Date.parse(report.at)).toISOString(),
      report.version,
      report.backlog,
      ages.length > 0 ? Math.max(...ages) : null,
      report.deadLetters,
      report.clockOffsetMs,
      report.configVersion,
      report.diskFreeBytes,
      JSON.stringify(
        Object.fromEntries(
          Object.entries(report.streams).map(([name, s]) => [
            name,
            { lastSeq: s.lastSeq, backlog: s.backlog, oldestUnsyncedAgeMs: s.oldestUnsyncedAgeMs },
          ]),
        ),
      ),
    ],
  );
}
