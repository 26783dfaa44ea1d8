/**
 * Broker fan-in: 50 registered MQTT devices publish heartbeats at QoS 1 to their own
 * `linli/v1/dev/{id}/evt`, each keeping a window of publishes in flight (a new one as soon as a
 * PUBACK frees a slot), and one subscriber (`user:admin`, QoS 1) takes `linli/v1/dev/+/evt`.
 * Measured: delivered messages per second and publish → receive latency, through the edge daemon
 * (a real process; its embedded aedes broker also hands every event to the edge, which validates
 * it against its schema, marks the device seen and counts it — heartbeats are not written to
 * disk) and, in the same run with the same load generator, through a Mosquitto of our own on its
 * own port (TCP_NODELAY on, anonymous, no persistence). Rounds alternate edge / Mosquitto. Also the
 * unloaded latency: one publisher, one message in flight. Writes `<outDir>/broker.json`.
 *
 *   node --import tsx bench/broker.ts [--quick]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import {
  ADMIN_PASSWORD,
  cli,
  cpuMs,
  type EdgeProcess,
  freePort,
  isMain,
  type Latency,
  login,
  machine,
  machineCpuMs,
  median,
  noDelay,
  registerMqttDevices,
  requireBuiltDaemon,
  rssMB,
  sleep,
  startEdge,
  summarize,
  tempDir,
  writeResult,
} from './lib.js';

const CLIENTS = 50;
const WINDOW = 10;
const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';
const ROUND_TIMEOUT_MS = 120_000;

/** Where to connect and as whom. */
interface Target {
  name: 'edge' | 'mosquitto';
  url: string;
  pid: number;
  device(id: string): { username?: string; password?: string };
  watcher: { username?: string; password?: string };
}

interface Round {
  target: Target['name'];
  messages: number;
  msgsPerSec: number;
  /** Publish side: all PUBACKs back. */
  publishedPerSec: number;
  latencyMs: Latency;
  duplicates: number;
  missing: number;
  /** CPU the broker process used during the round, as a share of one core. */
  brokerCpu: number;
  /** CPU of this (load generator + subscriber) process, as a share of one core. */
  benchCpu: number;
  /** CPU the rest of the machine used during the round (other processes, interrupts), in cores. */
  otherCpu: number;
  /** CPU stolen by the hypervisor during the round, in cores. */
  stealCpu: number;
  /** Broker CPU time per delivered message, in µs: its cost, whatever the load generator managed. */
  brokerCpuUsPerMsg: number;
}

async function connectClient(url: string, clientId: string, creds: { username?: string; password?: string }) {
  const client = await mqtt.connectAsync(url, {
    clientId,
    ...creds,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  noDelay(client);
  return client;
}

const heartbeat = (seq: number) => JSON.stringify({ type: 'heartbeat', ts: new Date().toISOString(), seq });

/** One round: every device publishes `perClient` messages with `window` in flight. */
async function fanIn(
  target: Target,
  ids: string[],
  perClient: number,
  window: number,
  tag: string,
): Promise<Round & { samples: number[] }> {
  const total = ids.length * perClient;
  const index = new Map(ids.map((id, i) => [`linli/v1/dev/${id}/evt`, i]));
  const sent = ids.map(() => new Float64Array(perClient));
  const got = ids.map(() => new Uint8Array(perClient));
  const latencies: number[] = [];
  let received = 0;
  let duplicates = 0;
  let lastAt = 0;
  let allIn: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    allIn = resolve;
  });

  const watcher = await connectClient(target.url, `bench-watch-${tag}`, target.watcher);
  const publishers: MqttClient[] = [];
  try {
    watcher.on('message', (topic, payload) => {
      const at = performance.now();
      const d = index.get(topic);
      if (d === undefined) return;
      const seq = (JSON.parse(payload.toString('utf8')) as { seq: number }).seq;
      const seen = got[d] as Uint8Array;
      if (seen[seq]) {
        duplicates++;
        return;
      }
      seen[seq] = 1;
      latencies.push(at - ((sent[d] as Float64Array)[seq] as number));
      lastAt = at;
      if (++received === total) allIn?.();
    });
    await watcher.subscribeAsync('linli/v1/dev/+/evt', { qos: 1 });
    for (const id of ids) publishers.push(await connectClient(target.url, id, target.device(id)));

    const cpu0 = await cpuMs(target.pid);
    const all0 = await machineCpuMs();
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    let ackedAt = 0;
    const publishing = Promise.all(
      publishers.map(async (client, d) => {
        const topic = `linli/v1/dev/${ids[d]}/evt`;
        const times = sent[d] as Float64Array;
        let next = 0;
        await Promise.all(
          Array.from({ length: window }, async () => {
            while (next < perClient) {
              const seq = next++;
              times[seq] = performance.now();
              await client.publishAsync(topic, heartbeat(seq), { qos: 1 });
            }
          }),
        );
        ackedAt = Math.max(ackedAt, performance.now());
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${target.name}: ${received}/${total} received in ${ROUND_TIMEOUT_MS} ms`)),
        ROUND_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([Promise.all([publishing, done]), timeout]);
    } finally {
      clearTimeout(timer);
    }
    const wall = performance.now() - t0;
    const cpu1 = await cpuMs(target.pid);
    const all1 = await machineCpuMs();
    const self = process.cpuUsage(self0);
    const selfMs = (self.user + self.system) / 1000;
    const cores = (ms: number) => Math.round((ms / wall) * 100) / 100;
    await sleep(200); // late duplicates
    return {
      target: target.name,
      messages: total,
      msgsPerSec: Math.round(total / ((lastAt - t0) / 1000)),
      publishedPerSec: Math.round(total / ((ackedAt - t0) / 1000)),
      latencyMs: summarize(latencies),
      samples: latencies,
      duplicates,
      missing: total - received,
      brokerCpu: cores(cpu1 - cpu0),
      benchCpu: cores(selfMs),
      otherCpu: cores(Math.max(0, all1.busy - all0.busy - (cpu1 - cpu0) - selfMs)),
      stealCpu: cores(all1.steal - all0.steal),
      brokerCpuUsPerMsg: Math.round(((cpu1 - cpu0) * 1000) / total),
    };
  } finally {
    await Promise.all(publishers.map((c) => c.endAsync().catch(() => undefined)));
    await watcher.endAsync().catch(() => undefined);
  }
}

/** Unloaded: one device, one message in flight at a time. */
async function oneByOne(target: Target, id: string, count: number, tag: string): Promise<Latency> {
  const topic = `linli/v1/dev/${id}/evt`;
  const watcher = await connectClient(target.url, `bench-watch-${tag}`, target.watcher);
  const pub = await connectClient(target.url, id, target.device(id));
  try {
    let want = -1;
    let arrived: ((at: number) => void) | undefined;
    watcher.on('message', (t, payload) => {
      const at = performance.now();
      if (t !== topic) return;
      if ((JSON.parse(payload.toString('utf8')) as { seq: number }).seq === want) arrived?.(at);
    });
    await watcher.subscribeAsync('linli/v1/dev/+/evt', { qos: 1 });
    const samples: number[] = [];
    for (let seq = 0; seq < count + 20; seq++) {
      want = seq;
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${target.name}: message ${seq} not received`)),
          5000,
        );
        arrived = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });
      const t0 = performance.now();
      await pub.publishAsync(topic, heartbeat(seq), { qos: 1 });
      const at = await seen;
      if (seq >= 20) samples.push(at - t0);
    }
    return summarize(samples);
  } finally {
    await pub.endAsync().catch(() => undefined);
    await watcher.endAsync().catch(() => undefined);
  }
}

interface Mosquitto {
  proc: ChildProcess;
  port: number;
  version: string;
  stop(): Promise<void>;
}

/** Our own Mosquitto on a free port of 127.0.0.1; fails clearly when it is not installed. */
async function startMosquitto(dir: string): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(
      `the broker comparison needs Mosquitto at ${MOSQUITTO} (set MOSQUITTO to override): ` +
        'apt-get install -y --no-install-recommends mosquitto',
    );
  }
  const version = /mosquitto version (\S+)/.exec(
    (() => {
      try {
        return execFileSync(MOSQUITTO, ['-h'], { encoding: 'utf8' });
      } catch (err) {
        return String((err as { stdout?: string }).stdout ?? '');
      }
    })(),
  )?.[1];
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // Same ground as the edge's broker: Nagle off, no persistence, no per-client in-flight or queue
  // cap (aedes has none; Mosquitto's default queue of 1000 would drop QoS 1 messages under this load).
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'set_tcp_nodelay true',
      'persistence false',
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${stderr.trim()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`mosquitto did not listen on ${port} within 5 s: ${stderr.trim()}`);
    }
    await sleep(20);
  }
  return {
    proc,
    port,
    version: version ?? '?',
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function heartbeatsCounted(edge: EdgeProcess): Promise<number> {
  const text = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  return Number(/^linli_device_events_total\{type="heartbeat"\} (\S+)$/m.exec(text)?.[1] ?? 0);
}

/** Median rate and CPU cost over rounds; latency percentiles over all rounds' samples together. */
function pick(rounds: (Round & { samples: number[] })[]) {
  return {
    medianMsgsPerSec: median(rounds.map((r) => r.msgsPerSec)),
    medianBrokerCpuUsPerMsg: median(rounds.map((r) => r.brokerCpuUsPerMsg)),
    latencyMs: summarize(rounds.flatMap((r) => r.samples)),
    rounds: rounds.map(({ latencyMs, samples: _, target: __, ...r }) => ({
      ...r,
      p50Ms: latencyMs.p50Ms,
      p99Ms: latencyMs.p99Ms,
    })),
  };
}

export async function run(opts: { quick: boolean; outDir: string }): Promise<object> {
  requireBuiltDaemon();
  const perClient = opts.quick ? 200 : 1000;
  const roundsEach = opts.quick ? 2 : 5;
  const unloaded = opts.quick ? 200 : 1000;
  const dir = await tempDir('linli-bench-broker-');
  const mosq = await startMosquitto(dir);
  let edge: EdgeProcess | undefined;
  try {
    edge = await startEdge(join(dir, 'data'));
    const token = await login(edge.httpUrl);
    const passwords = await registerMqttDevices(edge.httpUrl, token, 'bench-btn', CLIENTS);
    const ids = [...passwords.keys()];
    const edgeTarget: Target = {
      name: 'edge',
      url: edge.mqttUrl,
      pid: edge.pid,
      device: (id) => ({ username: id, password: passwords.get(id) ?? '' }),
      watcher: { username: 'user:admin', password: ADMIN_PASSWORD },
    };
    const mosqTarget: Target = {
      name: 'mosquitto',
      url: `mqtt://127.0.0.1:${mosq.port}`,
      pid: mosq.proc.pid ?? 0,
      device: () => ({}),
      watcher: {},
    };
    const first = ids[0] as string;

    // Warm both up (JIT of this process and of the daemon, heaps grown) with a full round each,
    // not counted: without it the first round ran at half the rate of later ones.
    await fanIn(edgeTarget, ids, perClient, WINDOW, 'warm');
    await fanIn(mosqTarget, ids, perClient, WINDOW, 'warm');
    const counted0 = await heartbeatsCounted(edge);

    const edgeRounds: (Round & { samples: number[] })[] = [];
    const mosqRounds: (Round & { samples: number[] })[] = [];
    for (let r = 0; r < roundsEach; r++) {
      edgeRounds.push(await fanIn(edgeTarget, ids, perClient, WINDOW, `e${r}`));
      mosqRounds.push(await fanIn(mosqTarget, ids, perClient, WINDOW, `m${r}`));
    }
    const counted = (await heartbeatsCounted(edge)) - counted0;
    const edgeUnloaded = await oneByOne(edgeTarget, first, unloaded, 'u');
    const mosqUnloaded = await oneByOne(mosqTarget, first, unloaded, 'u');

    const e = pick(edgeRounds);
    const m = pick(mosqRounds);
    const heartbeatsSent = perClient * CLIENTS * roundsEach;
    const report = {
      bench: 'broker',
      at: new Date().toISOString(),
      quick: opts.quick,
      machine: machine(),
      mosquittoVersion: mosq.version,
      note:
        `${CLIENTS} MQTT 3.1.1 clients (mqtt.js, TCP_NODELAY) each publish ${perClient} heartbeats at QoS 1 ` +
        `to their own evt topic with ${WINDOW} in flight; one QoS 1 subscriber on linli/v1/dev/+/evt; all in ` +
        'this one Node process. msgs/s = messages / (last receive − first publish). The edge run includes ' +
        'what the edge does with each event (ACL check, schema validation, device health, metrics, ' +
        'SSE fan-out to no clients; heartbeats are not written to disk); Mosquitto only routes. ' +
        'Mosquitto: own instance, set_tcp_nodelay, no persistence, no in-flight/queue caps. ' +
        'brokerCpu/benchCpu: CPU used during the round as a share of one core.',
      clients: CLIENTS,
      window: WINDOW,
      perClient,
      edge: { ...e, heartbeatsCountedByEdge: counted, heartbeatsSent },
      mosquitto: m,
      ratioEdgeToMosquitto: Math.round((e.medianMsgsPerSec / m.medianMsgsPerSec) * 100) / 100,
      cpuPerMsgEdgeToMosquitto:
        Math.round((e.medianBrokerCpuUsPerMsg / m.medianBrokerCpuUsPerMsg) * 100) / 100,
      unloaded: { messages: unloaded, edge: edgeUnloaded, mosquitto: mosqUnloaded },
      memoryMB: {
        edge: { rss: await rssMB(edge.pid), peak: await rssMB(edge.pid, 'VmHWM') },
        mosquitto: { rss: await rssMB(mosqTarget.pid), peak: await rssMB(mosqTarget.pid, 'VmHWM') },
      },
    };
    await writeResult(opts.outDir, 'broker', report);
    return report;
  } finally {
    const code = await edge?.stop();
    if (code !== undefined && code !== 0) process.stderr.write(`broker: daemon exited ${code}\n`);
    await mosq.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await cli(run);
