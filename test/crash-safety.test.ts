import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { RecordLog } from '../edge/store/record-log.js';
import { api, login, startEdge, tempDir } from './helpers/edge-process.js';
import { SseClient } from './helpers/sse-client.js';

// The daemon acknowledges a scan to the screens (SSE `qr.scanned` with its record id) only after
// the record is on disk. Kill it with SIGKILL mid-burst, restart it: every acknowledged record is
// there, the journal reads to its end, seqs have no gaps, and it keeps appending.
const dir = await tempDir();
const dataDir = join(dir, 'data');
const acked = new Set<string>();

for (let round = 0; round < 3; round++) {
  t.test(`round ${round + 1}: SIGKILL in the middle of a burst`, async (t) => {
    const edge = await startEdge({}, { dataDir });
    const token = await login(edge.httpUrl);
    const existing = await api(edge.httpUrl, token, 'GET', '/api/devices/burst');
    if (existing.status === 200) await api(edge.httpUrl, token, 'DELETE', '/api/devices/burst');
    const reg = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
      id: 'burst',
      type: 'qr-scanner',
      transport: 'mqtt',
    });
    const password = reg.body.password;
    const sse = await SseClient.connect(`${edge.httpUrl}/api/events`, { authorization: `Bearer ${token}` });
    const c = await mqtt.connectAsync(edge.mqttUrl, {
      username: 'burst',
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    c.on('error', () => undefined);
    const scans = () => sse.messages.filter((m) => m.event === 'qr.scanned').length;
    let sent = 0;
    let killed = false;
    const pump = (async () => {
      while (!killed) {
        const evt = { type: 'qr.scanned', ts: new Date().toISOString(), text: `r${round}-${sent++}` };
        c.publish('linli/v1/dev/burst/evt', JSON.stringify(evt), { qos: 0 });
        // Keep a bounded window in flight: a burst, not an unbounded client-side queue.
        while (!killed && sent - scans() > 2000) await new Promise((r) => setTimeout(r, 1));
      }
    })();
    // Kill at a moment that varies by round, well inside the burst.
    while (scans() < 200 + round * 150) {
      await new Promise((r) => setTimeout(r, 2));
    }
    edge.proc.kill('SIGKILL');
    killed = true;
    t.equal(await edge.exited, 'SIGKILL');
    await pump;
    c.end(true);
    sse.close();
    for (const m of sse.messages)
      if (m.event === 'qr.scanned') acked.add((m.data as { recordId: string }).recordId);
    t.ok(sent >= scans(), `killed with ${sent - scans()} of ${sent} scans sent not yet acknowledged`);
  });
}

t.test('after the kills: the daemon restarts; every acknowledged record is on disk', async (t) => {
  const edge = await startEdge({}, { dataDir });
  const token = await login(edge.httpUrl);
  const metrics = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  const torn = Number(/^linli_journal_torn_tail_bytes (\d+)/m.exec(metrics)?.[1] ?? 'NaN');
  t.ok(torn >= 0, `torn tail dropped at restart: ${torn} bytes`);
  const dev = await api(edge.httpUrl, token, 'GET', '/api/devices/burst');
  t.equal(dev.status, 200, 'the registry survived too');
  t.equal(await edge.stop(), 0);
  const log = await RecordLog.open({
    dir: join(dataDir, 'records'),
    house: 'demo-house',
    clock: () => 'unsynced',
  });
  const ids = new Set<string>();
  const seqs: number[] = [];
  for await (const { record } of log.read(1)) {
    if (record.stream !== 'service') continue;
    ids.add(record.id);
    seqs.push(record.seq);
  }
  await log.close();
  const missing = [...acked].filter((id) => !ids.has(id));
  t.same(
    missing,
    [],
    `all ${acked.size} acknowledged records present (${ids.size} on disk, torn tail ${torn} bytes)`,
  );
  t.same(
    seqs,
    seqs.map((_, i) => i + 1),
    'service seqs are 1..n without gaps',
  );
});
