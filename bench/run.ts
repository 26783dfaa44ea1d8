/**
 * Runs every benchmark in turn (journal, scan-to-screen, broker, footprint, press-to-ack,
 * tap-to-greeting, points-ranking, city-views, pay-to-wire, sync-drain, sync-fan-in), each writing its JSON
 * to `<root>/bench/results/`, and prints a short table. `npm run bench` builds first and runs the
 * compiled file; `--quick` passes through. A bench that fails is reported and the others still run;
 * the exit code is then 1.
 *
 *   npm run bench [-- --quick]        node --import tsx bench/run.ts [--quick]
 */
import { performance } from 'node:perf_hooks';
import { isMain, machine, resultsDir } from './lib.js';

type Run = (opts: { quick: boolean; outDir: string }) => Promise<object>;

const BENCHES: { name: string; load: () => Promise<{ run: Run }> }[] = [
  // Written separately; a checkout or build without it still runs the others.
  { name: 'journal', load: () => import('./journal.js') },
  { name: 'scan-to-screen', load: () => import('./scan-to-screen.js') },
  { name: 'broker', load: () => import('./broker.js') },
  { name: 'footprint', load: () => import('./footprint.js') },
  { name: 'press-to-ack', load: () => import('./press-to-ack.js') },
  { name: 'tap-to-greeting', load: () => import('./tap-to-greeting.js') },
  { name: 'points-ranking', load: () => import('./points-ranking.js') },
  { name: 'city-views', load: () => import('./city-views.js') },
  { name: 'pay-to-wire', load: () => import('./pay-to-wire.js') },
  { name: 'sync-drain', load: () => import('./sync-drain.js') },
  { name: 'sync-fan-in', load: () => import('./sync-fan-in.js') },
];

interface Goal {
  target?: string;
  value?: number;
  worst?: number;
  pass?: boolean;
  [k: string]: unknown;
}

/** The goal's figure: `value`, else `worst`, else its first number. */
const figure = (g: Goal): unknown =>
  g.value ?? g.worst ?? Object.values(g).find((v) => typeof v === 'number');

const fmt = (v: unknown) => (typeof v === 'number' ? String(Math.round(v * 100) / 100) : String(v ?? '—'));

/** One line per figure worth a glance, per bench (the JSON holds the rest). */
function headline(name: string, r: Record<string, unknown>): string[] {
  const get = (path: string): unknown =>
    path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], r);
  switch (name) {
    case 'scan-to-screen':
      return [
        `end to end p50/p99/max ms: ${fmt(get('endToEnd.p50Ms'))} / ${fmt(get('endToEnd.p99Ms'))} / ${fmt(get('endToEnd.maxMs'))}`,
        `floor (pty only)   p50/p99/max ms: ${fmt(get('floor.p50Ms'))} / ${fmt(get('floor.p99Ms'))} / ${fmt(get('floor.maxMs'))}`,
      ];
    case 'broker':
      return [
        `msgs/s edge ${fmt(get('edge.medianMsgsPerSec'))}, mosquitto ${fmt(get('mosquitto.medianMsgsPerSec'))}, ratio ${fmt(get('ratioEdgeToMosquitto'))}`,
        `broker CPU µs/msg edge ${fmt(get('edge.medianBrokerCpuUsPerMsg'))}, mosquitto ${fmt(get('mosquitto.medianBrokerCpuUsPerMsg'))}`,
        `loaded p50/p99 ms edge ${fmt(get('edge.latencyMs.p50Ms'))}/${fmt(get('edge.latencyMs.p99Ms'))}, mosquitto ${fmt(get('mosquitto.latencyMs.p50Ms'))}/${fmt(get('mosquitto.latencyMs.p99Ms'))}`,
        `unloaded p50/p99 ms edge ${fmt(get('unloaded.edge.p50Ms'))}/${fmt(get('unloaded.edge.p99Ms'))}, mosquitto ${fmt(get('unloaded.mosquitto.p50Ms'))}/${fmt(get('unloaded.mosquitto.p99Ms'))}`,
      ];
    case 'footprint':
      return [
        `idle RSS MB (50 devices): ${fmt(get('memory.rssMB.afterRestart'))}, with ${fmt(get('memory.withSmallSemiSpace.nodeOptions'))}: ${fmt(get('memory.withSmallSemiSpace.rss'))}`,
        `ready ms with ${fmt(get('startup.records'))} records: ${((get('startup.withRecords') as { readyMs: number }[] | undefined) ?? []).map((s) => s.readyMs).join(', ')} (empty store ${fmt(get('startup.medianReadyMs.emptyStore'))}, bare node ${fmt(get('startup.medianReadyMs.bareNode'))})`,
      ];
    case 'press-to-ack':
      return ['alone', 'loaded'].flatMap((k) =>
        ['panel', 'button'].map(
          (d) =>
            `${k} ${d}: ack p50/p99 ${fmt(get(`${k}.${d}.ackMs.p50Ms`))}/${fmt(get(`${k}.${d}.ackMs.p99Ms`))} ms, console p99 ${fmt(get(`${k}.${d}.consoleMs.p99Ms`))}, webhook p99 ${fmt(get(`${k}.${d}.webhookMs.p99Ms`))}`,
        ),
      );
    case 'tap-to-greeting':
      return [
        `tap to greeting p50/p99/max ms: ${fmt(get('endToEnd.p50Ms'))} / ${fmt(get('endToEnd.p99Ms'))} / ${fmt(get('endToEnd.maxMs'))} (${fmt(get('fill.members'))} members, ${fmt(get('fill.records'))} records)`,
        `PC/SC insert to tap p50/p99 ms: ${fmt(get('pcsc.insertToTapMs.p50Ms'))} / ${fmt(get('pcsc.insertToTapMs.p99Ms'))}`,
      ];
    case 'points-ranking':
      return [
        `month ranking by branch p99 ${fmt(get('inProcess.monthByBranch.p99Ms'))} ms, assessment p99 ${fmt(get('inProcess.assessment.p99Ms'))} ms (${fmt(get('members'))} members, ${fmt(get('fill.pointsRecords'))} points records)`,
        `ledger heap ${fmt(get('derive.ledgerHeapMB'))} MB, replay ${fmt(get('derive.replayMs'))} ms; HTTP ranking p99 ${fmt(get('http.rankingMonthByBranch.p99Ms'))} ms`,
      ];
    case 'city-views': {
      const l = (get('latency') ?? {}) as Record<string, { p50Ms: number; p99Ms: number }>;
      return [
        `filled ${fmt(get('fill.records'))} records into ${fmt(get('fill.houses'))} houses at ${fmt(get('fill.recordsPerS'))} records/s (projections included)`,
        ...Object.entries(l).map(([k, v]) => `${k}: p50/p99 ${fmt(v.p50Ms)} / ${fmt(v.p99Ms)} ms`),
      ];
    }
    case 'pay-to-wire':
      return [
        `pay → sale frame p50/p99 ms: ${fmt(get('payToWire.p50Ms'))} / ${fmt(get('payToWire.p99Ms'))} (floor ${fmt(get('floor.saleFrame.p99Ms'))}, 9600 baud ${fmt(get('wire9600Ms.saleFrame.ms'))})`,
        `result → kiosk p50/p99 ms: ${fmt(get('resultToScreen.p50Ms'))} / ${fmt(get('resultToScreen.p99Ms'))} (floor ${fmt(get('floor.resultFrame.p99Ms'))}, 9600 baud ${fmt(get('wire9600Ms.resultFrame.ms'))})`,
      ];
    case 'sync-drain':
      return (['pglite', 'postgres'] as const).flatMap((t) => [
        `${t}: ${fmt(get(`${t}.drain.recordsPerS`))} records/s, ${fmt(get('records'))} drained in ${fmt(get(`${t}.drain.seconds`))} s; ${fmt(get(`${t}.drain.fractionOfFloor`))} of the raw INSERT floor (${fmt(get(`${t}.floor.recordsPerS`))}/s), ingest() alone ${fmt(get(`${t}.ingestPeer.recordsPerS`))}/s`,
        `${t}: edge RSS draining median/max ${fmt(get(`${t}.edgeRssMB.drainingMedian`))} / ${fmt(get(`${t}.edgeRssMB.drainingMax`))} MB${t === 'postgres' ? `, offline with the backlog ${fmt(get('postgres.offline.rssMB.median'))} / ${fmt(get('postgres.offline.rssMB.max'))} MB` : ''}`,
      ]);
    case 'sync-fan-in':
      return [
        `${fmt(get('houses'))} houses → one cloud on PostgreSQL: ${fmt(get('recordsPerS'))} records/s, batch (${fmt(get('recordsPerBatch'))} records) p50/p99 ${fmt(get('batchLatencyMs.p50Ms'))} / ${fmt(get('batchLatencyMs.p99Ms'))} ms`,
      ];
    default:
      return [];
  }
}

function goals(r: Record<string, unknown>): string[] {
  const g = (r.goals ?? {}) as Record<string, Goal>;
  return Object.entries(g)
    .filter(([, v]) => typeof v === 'object' && v !== null && 'pass' in v)
    .map(([k, v]) =>
      `goal ${k} ${v.target ?? ''}: ${fmt(figure(v))} ${v.pass ? 'met' : 'MISSED'}`.replace(/\s+/g, ' '),
    );
}

export async function runAll(quick: boolean): Promise<boolean> {
  const outDir = resultsDir();
  const m = machine();
  process.stdout.write(
    `linli benchmarks${quick ? ' (quick)' : ''}: ${m.cpus} × ${m.cpuModel}, ${m.memoryMB} MB, ` +
      `kernel ${m.kernel}, node ${m.node}; results in ${outDir}\n`,
  );
  let ok = true;
  const lines: string[] = [];
  for (const bench of BENCHES) {
    const t0 = performance.now();
    process.stdout.write(`\n▶ ${bench.name} …\n`);
    let mod: { run: Run };
    try {
      mod = await bench.load();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ERR_MODULE_NOT_FOUND'
          ? `bench/${bench.name}.ts is not there (yet): skipped`
          : `cannot load: ${(err as Error).message}`;
      process.stdout.write(`  ${why}\n`);
      lines.push(`${bench.name}: ${why}`);
      if (code !== 'ERR_MODULE_NOT_FOUND') ok = false;
      continue;
    }
    try {
      const report = (await mod.run({ quick, outDir })) as Record<string, unknown>;
      const s = Math.round((performance.now() - t0) / 100) / 10;
      lines.push(
        `${bench.name} (${s} s)`,
        ...[...headline(bench.name, report), ...goals(report)].map((l) => `  ${l}`),
      );
      process.stdout.write(`  done in ${s} s, ${outDir}/${bench.name}.json\n`);
    } catch (err) {
      ok = false;
      process.stdout.write(`  FAILED: ${(err as Error).stack ?? err}\n`);
      lines.push(`${bench.name}: FAILED: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return ok;
}

if (isMain(import.meta.url)) {
  const ok = await runAll(process.argv.includes('--quick'));
  process.exitCode = ok ? 0 : 1;
}
