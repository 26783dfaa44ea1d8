/**
 * Monthly ranking and quarterly assessment for 10,000 party members with a year of swipes
 * (≥ 500,000 points records; bench/points-year.ts). In-process, on the ledger the edge derives
 * from the journal: how long the ranking (community-wide, and within each branch), the quarter's
 * ranking and an assessment take, and how much memory the derived state holds. Then the same
 * questions over HTTP to the daemon started on that data (names added, JSON out), and its RSS.
 * Writes `<outDir>/points-ranking.json`.
 *
 *   node --import tsx bench/points-ranking.ts [--quick]
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadScheme } from '../edge/points/catalogue.js';
import { partyMembers } from '../edge/points/members.js';
import { emptyLedger, PointsLedger, type PointsRecord } from '../edge/points/points-ledger.js';
import { EDGE_STATE_MIGRATIONS, type EdgeState, emptyEdgeState } from '../edge/state/edge-state.js';
import { RecordLog } from '../edge/store/record-log.js';
import { openStateStore } from '../edge/store/state-store.js';
import {
  cli,
  isMain,
  login,
  machine,
  packageRoot,
  requireBuiltDaemon,
  rssMB,
  startEdge,
  summarize,
  tempDir,
  writeResult,
} from './lib.js';
import { HOUSE, writeYear } from './points-year.js';

const GOAL_MS = 100;
const TZ = 'Asia/Shanghai';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Runs `fn` `reps` times after 3 warm-ups; latency summary of the timed runs. */
function time(reps: number, fn: () => unknown) {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

export async function run(opts: { quick: boolean; outDir: string }) {
  requireBuiltDaemon();
  const members = opts.quick ? 1_000 : 10_000;
  const total = opts.quick ? 60_000 : 1_000_000;
  const dir = await tempDir('linli-bench-points-');
  const dataDir = join(dir, 'data');
  try {
    const fill = await writeYear(dataDir, members, total);
    const state = await openStateStore<EdgeState>(join(dataDir, 'state.json'), emptyEdgeState(), {
      migrations: EDGE_STATE_MIGRATIONS,
    });
    const people = partyMembers(state.data);
    const scheme = loadScheme(join(packageRoot(), 'edge', 'points', 'catalogue.zh.json'));

    // Derive the ledger from the journal, as the edge does at start without a snapshot.
    const before = heapMB();
    const log = await RecordLog.open({
      dir: join(dataDir, 'records'),
      house: HOUSE,
      clock: () => 'unsynced',
    });
    const ledger = new PointsLedger(emptyLedger(), TZ, scheme.items);
    const r0 = performance.now();
    let applied = 0;
    for await (const { record } of log.read(1)) {
      if (record.stream !== 'points') continue;
      ledger.apply(record as unknown as PointsRecord);
      applied++;
    }
    const replayMs = performance.now() - r0;
    await log.close();
    const ledgerHeapMB = heapMB() - before;
    const snapshotBytes = Buffer.byteLength(JSON.stringify(ledger.state));

    const reps = opts.quick ? 10 : 30;
    const month = '2026-11';
    const quarter = '2026-Q3';
    const rules = scheme.assessment.rules;
    const inProcess = {
      monthCommunityWide: time(reps, () => ledger.ranking(month, people)),
      monthByBranch: time(reps, () => ledger.ranking(month, people, 'branch')),
      quarterByBranch: time(reps, () => ledger.ranking(quarter, people, 'branch')),
      assessment: time(reps, () => ledger.assess(quarter, people, 'branch', rules)),
      membersFromState: time(reps, () => partyMembers(state.data)),
    };

    // The same over HTTP, on the daemon started on this data.
    const edge = await startEdge(dataDir, {}, 120_000);
    try {
      const token = await login(edge.httpUrl);
      const get = async (path: string) => {
        const samples: number[] = [];
        let bytes = 0;
        for (let i = 0; i < reps + 3; i++) {
          const t0 = performance.now();
          const res = await fetch(`${edge.httpUrl}${path}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const text = await res.text();
          if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
          if (i >= 3) samples.push(performance.now() - t0);
          bytes = text.length;
        }
        return { ...summarize(samples), bytes };
      };
      const http = {
        rankingMonthByBranch: await get(`/api/points/ranking?period=${month}&by=branch`),
        rankingCsv: await get(`/api/points/ranking.csv?period=${month}&by=branch`),
        assessmentPreview: await get(`/api/points/assessments/preview?quarter=${quarter}`),
      };
      const daemon = {
        readyMs: Math.round(edge.readyMs),
        rssMB: await rssMB(edge.pid),
        hwmMB: await rssMB(edge.pid, 'VmHWM'),
      };
      // Once stopped, its snapshot holds the derived state: the next start reads it, not the year.
      await edge.stop();
      const snap = await stat(join(dataDir, 'snapshots'))
        .then(() => true)
        .catch(() => false);
      const again = await startEdge(dataDir, {}, 120_000);
      const restart = {
        readyMs: Math.round(again.readyMs),
        rssMB: await rssMB(again.pid),
        snapshotDir: snap,
      };
      await again.stop();

      const worst = Math.max(inProcess.monthByBranch.p99Ms, inProcess.assessment.p99Ms);
      const report = {
        bench: 'points-ranking',
        at: new Date().toISOString(),
        machine: machine(),
        quick: opts.quick,
        fill,
        derive: {
          pointsRecordsApplied: applied,
          replayMs: Math.round(replayMs),
          ledgerHeapMB: Math.round(ledgerHeapMB * 10) / 10,
          stateJsonMB: Math.round((snapshotBytes / 2 ** 20) * 10) / 10,
        },
        members: people.length,
        inProcess,
        http,
        daemon: { firstStart: daemon, restartFromSnapshot: restart },
        goals: {
          rankingAndAssessmentMs: {
            target: `≤ ${GOAL_MS} ms p99 (${members} members, ≥ 500,000 records)`,
            worst,
            pass: worst <= GOAL_MS && fill.pointsRecords >= (opts.quick ? 0 : 500_000),
          },
        },
      };
      await writeResult(opts.outDir, 'points-ranking', report);
      return report;
    } finally {
      await edge.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await cli(run);
