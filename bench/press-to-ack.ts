/**
 * Press to ack (issue 3): from a help press until the device holds its ack — for a wired panel
 * on a real pty (`$AL` written → `$AK` read) and a wireless MQTT button (`help.pressed` published
 * → `help.ack` received) — and from the press until the alarm reaches the console's SSE client and
 * a local webhook receiver. Each alone, and while a device writes 500 records/s (QR scans, each a
 * fsynced record) through the same daemon. The daemon acks only after the alarm is on disk, so
 * every figure includes at least one fsync. Goals: ack p99 ≤ 50 ms; console and webhook p99 ≤ 200 ms.
 *
 *   node --import tsx bench/press-to-ack.ts [--quick]
 */
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { HelpButtonSimulator } from '../firmware-bridge/help-button/simulator.js';
import { HelpPanelSimulator } from '../firmware-bridge/help-panel/simulator.js';
import { hasSocat, ptyPair } from '../firmware-bridge/sim/pty-pair.js';
import {
  api,
  cli,
  isMain,
  login,
  machine,
  noDelay,
  requireBuiltDaemon,
  SseClient,
  startEdge,
  summarize,
  tempDir,
  writeResult,
} from './lib.js';

const GOALS = { ackP99Ms: 50, consoleP99Ms: 200, webhookP99Ms: 200 };
const LOAD_PER_S = 500;

interface Sample {
  ack: number;
  console?: number;
  webhook?: number;
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  requireBuiltDaemon();
  if (!(await hasSocat())) throw new Error('press-to-ack needs socat (apt-get install -y socat)');
  const presses = opts.quick ? 40 : 200;
  const dir = await tempDir('linli-bench-press-');
  const pty = await ptyPair(join(dir, 'tty'));
  // Escalation far away: the figures are about the first alarm, not its reminders.
  const edge = await startEdge(join(dir, 'data'), {
    LINLI_ALARM_ESCALATE_MS: '3600000',
    LINLI_SERIAL_BACKOFF_MS: '50',
  });
  const arrivals = new Map<string, { console?: number; webhook?: number }>();
  const stamp = (key: string, what: 'console' | 'webhook') => {
    const a = arrivals.get(key) ?? {};
    a[what] ??= performance.now();
    arrivals.set(key, a);
  };
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const m = JSON.parse(body) as { alarm: { deviceId: string; press: { seq: number } } };
      stamp(`${m.alarm.deviceId}/${m.alarm.press.seq}`, 'webhook');
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const token = await login(edge.httpUrl);
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    await api(edge.httpUrl, token, 'PUT', '/api/webhooks', [{ name: 'bench', url: hookUrl, format: 'json' }]);
    await api(edge.httpUrl, token, 'POST', '/api/devices', {
      id: 'panel-b',
      type: 'help-panel',
      transport: 'serial',
      path: pty.a,
      baudRate: 9600,
      assignedTo: 'bench hall',
    });
    const btn = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
      id: 'btn-b',
      type: 'help-button',
      transport: 'mqtt',
      assignedTo: 'bench room',
    });
    const loader = await api<{ password: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
      id: 'load-qr',
      type: 'qr-scanner',
      transport: 'mqtt',
    });
    const sse = await SseClient.connect(
      `${edge.httpUrl}/api/events`,
      { authorization: `Bearer ${token}` },
      (m) => {
        if (m.event !== 'alarm') return;
        const a = m.data as { deviceId: string; press: { seq: number } };
        const at = m.at;
        const key = `${a.deviceId}/${a.press.seq}`;
        const e = arrivals.get(key) ?? {};
        e.console ??= at;
        arrivals.set(key, e);
      },
    );
    cleanups.push(async () => sse.close());
    for (let i = 0; i < 100; i++) {
      const d = await api<{ online: boolean }>(edge.httpUrl, token, 'GET', '/api/devices/panel-b');
      if (d.body.online) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const panel = new HelpPanelSimulator({
      path: pty.b,
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      panelId: 'PB',
      hbMs: 0,
      repeatMs: 2000,
    });
    await panel.open();
    cleanups.push(() => panel.close());
    const button = new HelpButtonSimulator({
      url: edge.mqttUrl,
      deviceId: 'btn-b',
      password: btn.body.password,
      hbMs: 0,
      repeatMs: 2000,
    });
    await button.open();
    cleanups.push(() => button.close());

    const measure = async (device: 'panel' | 'button'): Promise<Sample[]> => {
      const out: Sample[] = [];
      for (let i = 0; i < presses; i++) {
        const t0 = performance.now();
        const r = device === 'panel' ? await panel.press('B1', 'sos') : await button.press('sos');
        const key = `${device === 'panel' ? 'panel-b' : 'btn-b'}/${r.seq}`;
        const until = performance.now() + 2000;
        while (performance.now() < until && !(arrivals.get(key)?.console && arrivals.get(key)?.webhook)) {
          await new Promise((res) => setTimeout(res, 1));
        }
        const a = arrivals.get(key);
        out.push({
          ack: r.ackMs,
          ...(a?.console ? { console: a.console - t0 } : {}),
          ...(a?.webhook ? { webhook: a.webhook - t0 } : {}),
        });
        await new Promise((res) => setTimeout(res, 5));
      }
      return out;
    };
    const report = (s: Sample[]) => ({
      ackMs: summarize(s.map((x) => x.ack)),
      consoleMs: summarize(s.flatMap((x) => (x.console === undefined ? [] : [x.console]))),
      webhookMs: summarize(s.flatMap((x) => (x.webhook === undefined ? [] : [x.webhook]))),
      missing: {
        console: s.filter((x) => x.console === undefined).length,
        webhook: s.filter((x) => x.webhook === undefined).length,
      },
    });
    const alone = { panel: report(await measure('panel')), button: report(await measure('button')) };

    // Background load: a scanner writing LOAD_PER_S records/s, each one fsynced before its SSE.
    const lc = await mqtt.connectAsync(edge.mqttUrl, {
      username: 'load-qr',
      password: loader.body.password,
      protocolVersion: 4,
    });
    noDelay(lc);
    let loadSent = 0;
    const loadTimer = setInterval(() => {
      for (let k = 0; k < LOAD_PER_S / 100; k++) {
        lc.publish(
          'linli/v1/dev/load-qr/evt',
          JSON.stringify({ type: 'qr.scanned', ts: new Date().toISOString(), text: `load-${loadSent++}` }),
        );
      }
    }, 10);
    cleanups.push(async () => {
      clearInterval(loadTimer);
      await lc.endAsync();
    });
    await new Promise((r) => setTimeout(r, 500));
    const loadStart = performance.now();
    const sentBefore = loadSent;
    const loaded = { panel: report(await measure('panel')), button: report(await measure('button')) };
    const loadRate = Math.round(((loadSent - sentBefore) * 1000) / (performance.now() - loadStart));
    clearInterval(loadTimer);

    const worst = (f: (r: ReturnType<typeof report>) => number) =>
      Math.max(f(alone.panel), f(alone.button), f(loaded.panel), f(loaded.button));
    const result = {
      bench: 'press-to-ack',
      at: new Date().toISOString(),
      quick: opts.quick,
      machine: machine(),
      presses,
      load: { targetPerSec: LOAD_PER_S, measuredPerSec: loadRate },
      alone,
      loaded,
      goals: {
        ackP99Ms: {
          target: `≤ ${GOALS.ackP99Ms}`,
          worst: worst((r) => r.ackMs.p99Ms),
          pass: worst((r) => r.ackMs.p99Ms) <= GOALS.ackP99Ms,
        },
        consoleP99Ms: {
          target: `≤ ${GOALS.consoleP99Ms}`,
          worst: worst((r) => r.consoleMs.p99Ms),
          pass: worst((r) => r.consoleMs.p99Ms) <= GOALS.consoleP99Ms,
        },
        webhookP99Ms: {
          target: `≤ ${GOALS.webhookP99Ms}`,
          worst: worst((r) => r.webhookMs.p99Ms),
          pass: worst((r) => r.webhookMs.p99Ms) <= GOALS.webhookP99Ms,
        },
      },
    };
    await writeResult(opts.outDir, 'press-to-ack', result);
    return result;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    hook.close();
    await edge.stop();
    await pty.kill();
  }
}

if (isMain(import.meta.url)) await cli(run);
