/**
 * A wireless help button on MQTT 3.1.1 (DESIGN.md, "MQTT"): logs in as its device id, holds a
 * retained birth status with a last will, heartbeats on its `evt` topic, and on a key press sends
 * `help.pressed` (QoS 1) again and again until a `help.ack` with the same `seq` (and `boot`, when
 * the ack carries one) arrives on its `cmd` topic. `boot` is new for every simulator instance, as a
 * button that cannot keep `seq` across power cycles makes up a new one at each power-up.
 */

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { isoNow } from '../device-events.js';

/** Which key was pressed: the red key is `sos`, the green key `service`. */
export type ButtonKey = 'sos' | 'service';

/** The topics of device `deviceId` (DESIGN.md, "MQTT"). */
export function buttonTopics(deviceId: string): { status: string; evt: string; cmd: string } {
  const base = `linli/v1/dev/${deviceId}`;
  return { status: `${base}/status`, evt: `${base}/evt`, cmd: `${base}/cmd` };
}

/** Options of {@link HelpButtonSimulator}. */
export interface HelpButtonSimulatorOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` (or `mqtts://…`). */
  url: string;
  /** The device id: the MQTT username and the topics' `{deviceId}`. */
  deviceId: string;
  /** The device's MQTT password, as shown once at registration. */
  password: string;
  /** Heartbeat interval in ms (60 000 when absent; 0 for none); announced as `hb` (s) in the birth. */
  hbMs?: number;
  /** Pause between sends of an unacknowledged press, in ms; 2000 when absent. */
  repeatMs?: number;
  /** This power-up's `boot`; a random string when absent. */
  boot?: string;
  /** The first press's `seq`; 0 when absent. */
  seq?: number;
  /** Firmware version for the birth message; `linli-sim` when absent. */
  fw?: string;
  /** Battery level (0–100) for the birth message; 100 when absent. */
  battery?: number;
  /** MQTT client id; the device id when absent (a new power-up takes over the old session). */
  clientId?: string;
  /** Give up `open()` after this long, in ms; 10 000 when absent. */
  connectTimeoutMs?: number;
  /** Clock for `ts`, in ms since the epoch. */
  now?: () => number;
}

/** How a press ended: acknowledged after `sends` sends, `ackMs` after the first. */
export interface ButtonPressResult {
  seq: number;
  sends: number;
  ackMs: number;
}

/** Options of one {@link HelpButtonSimulator.press}. */
export interface ButtonPressOptions {
  /** Stop re-sending (and reject) when it aborts. */
  signal?: AbortSignal;
  /** Give up (and reject with {@link ButtonNoAckError}) one repeat interval after this many sends. */
  maxSends?: number;
}

/** A press that ended without its `help.ack`. */
export class ButtonNoAckError extends Error {
  override name = 'ButtonNoAckError';
  constructor(
    readonly seq: number,
    readonly sends: number,
    why: string,
  ) {
    super(`help.pressed seq ${seq} not acknowledged after ${sends} send${sends === 1 ? '' : 's'}: ${why}`);
  }
}

interface Pending {
  ackedAt: number | undefined;
  wake: (() => void) | undefined;
}

/**
 * A wireless help button. The constructor has no side effects; `open()` connects (rejecting with a
 * plain reason when the broker is unreachable or refuses the login), `close()` says goodbye with a
 * retained `{"online":false}`, `cutPower()` drops the connection so the broker sends the last will.
 * Once connected, mqtt.js reconnects by itself, and every connection republishes the birth.
 */
export class HelpButtonSimulator {
  /** This power-up's boot value, sent in every `help.pressed`. */
  readonly boot: string;
  readonly #options: HelpButtonSimulatorOptions;
  readonly #topics: ReturnType<typeof buttonTopics>;
  readonly #pending = new Map<number, Pending>();
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #seq: number;
  #hbSeq = 0;
  #closed = false;
  #acks = 0;
  #ignored = 0;

  constructor(options: HelpButtonSimulatorOptions) {
    this.#options = { ...options };
    this.boot = options.boot ?? randomBytes(6).toString('hex');
    this.#seq = options.seq ?? 0;
    this.#topics = buttonTopics(options.deviceId);
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** The seq the next press will carry. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** `help.ack` commands that ended a press, and those ignored (unknown seq, other boot, bad JSON). */
  get counters(): { acks: number; ignored: number } {
    return { acks: this.#acks, ignored: this.#ignored };
  }

  /** Connects, subscribes to its `cmd` topic, publishes the birth, starts the heartbeats. */
  async open(): Promise<void> {
    if (this.#client !== undefined) return;
    const { url, deviceId, password, connectTimeoutMs = 10_000 } = this.#options;
    const offline = JSON.stringify({ online: false });
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: this.#options.clientId ?? deviceId,
      username: deviceId,
      password,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: connectTimeoutMs,
      will: { topic: this.#topics.status, payload: Buffer.from(offline), qos: 1, retain: true },
    });
    client.on('connect', () => {
      (client.stream as Partial<Socket>).setNoDelay?.(true); // Nagle costs ~40 ms a QoS 1 round trip
      if (this.#client === client) this.#publishBirth(client);
    });
    client.on('message', (_topic, payload) => this.#onCommand(payload));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no answer within ${connectTimeoutMs} ms`)),
          connectTimeoutMs,
        );
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        client.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      const [grant] = await client.subscribeAsync(this.#topics.cmd, { qos: 1 });
      if (grant === undefined || grant.qos === 128)
        throw new Error(`subscription to ${this.#topics.cmd} refused`);
    } catch (error) {
      client.end(true);
      throw new Error(`cannot connect to ${url} as ${deviceId}: ${(error as Error).message}`);
    }
    client.on('error', () => {}); // deliberately empty: mqtt.js reconnects by itself; presses keep re-sending
    this.#closed = false;
    this.#client = client;
    await client.publishAsync(this.#topics.status, this.#birth(), { qos: 1, retain: true });
    const hbMs = this.#options.hbMs ?? 60_000;
    if (hbMs > 0) this.#timer = setInterval(() => this.#heartbeat(client), hbMs);
  }

  /**
   * Presses `key`: publishes `help.pressed` with the next seq and this boot at QoS 1, and re-sends it
   * every `repeatMs` until a matching `help.ack` arrives. Resolves with the seq, the number of sends
   * and the time from the first send to the ack. Rejects with {@link ButtonNoAckError} on `maxSends`,
   * an aborted `signal`, `close()` or `cutPower()`, or when not open.
   */
  async press(key: ButtonKey, options: ButtonPressOptions = {}): Promise<ButtonPressResult> {
    const client = this.#client;
    const seq = this.#seq;
    if (client === undefined) throw new ButtonNoAckError(seq, 0, 'not open');
    this.#seq = seq >= 2 ** 31 - 1 ? 0 : seq + 1;
    const { signal, maxSends = Number.POSITIVE_INFINITY } = options;
    const repeatMs = this.#options.repeatMs ?? 2000;
    const message = JSON.stringify({
      type: 'help.pressed',
      ts: isoNow(this.#options.now),
      seq,
      key,
      boot: this.boot,
    });
    const pending: Pending = { ackedAt: undefined, wake: undefined };
    this.#pending.set(seq, pending);
    const started = performance.now();
    let sends = 0;
    try {
      for (;;) {
        if (pending.ackedAt !== undefined) return { seq, sends, ackMs: pending.ackedAt - started };
        if (this.#closed || this.#client !== client) throw new ButtonNoAckError(seq, sends, 'closed');
        if (signal?.aborted) throw new ButtonNoAckError(seq, sends, 'aborted');
        if (sends >= maxSends) throw new ButtonNoAckError(seq, sends, 'no more sends allowed');
        // Not awaited: PUBACK proves nothing (DESIGN.md); mqtt.js queues it while reconnecting.
        client.publishAsync(this.#topics.evt, message, { qos: 1 }).catch(() => {});
        sends++;
        await this.#wait(pending, repeatMs, signal);
      }
    } finally {
      this.#pending.delete(seq);
    }
  }

  /** Stops the heartbeats, ends pending presses, publishes a retained `{"online":false}`, disconnects. */
  async close(): Promise<void> {
    const client = this.#stop();
    if (client === undefined) return;
    await client
      .publishAsync(this.#topics.status, JSON.stringify({ online: false }), { qos: 1, retain: true })
      .catch(() => {}); // a broker that is gone cannot be told; its last will says it anyway
    await client.endAsync();
  }

  /** Fault injection: drops the TCP connection without DISCONNECT, so the broker publishes the last will. */
  async cutPower(): Promise<void> {
    const client = this.#stop();
    if (client === undefined) return;
    await client.endAsync(true);
  }

  #stop(): MqttClient | undefined {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const pending of this.#pending.values()) pending.wake?.();
    const client = this.#client;
    this.#client = undefined;
    return client;
  }

  #birth(): string {
    const { fw = 'linli-sim', battery = 100, hbMs = 60_000 } = this.#options;
    const hb = hbMs > 0 ? { hb: Math.max(1, Math.round(hbMs / 1000)) } : {};
    return JSON.stringify({ online: true, ts: isoNow(this.#options.now), fw, battery, ...hb });
  }

  #publishBirth(client: MqttClient): void {
    // On a reconnection: if it fails the connection is gone again, and the next one republishes.
    client.publishAsync(this.#topics.status, this.#birth(), { qos: 1, retain: true }).catch(() => {});
  }

  #heartbeat(client: MqttClient): void {
    const message = JSON.stringify({ type: 'heartbeat', ts: isoNow(this.#options.now), seq: this.#hbSeq++ });
    // QoS 0, as telemetry: a heartbeat lost while offline is lost on a real button too.
    client.publishAsync(this.#topics.evt, message, { qos: 0 }).catch(() => {});
  }

  #onCommand(payload: Buffer): void {
    let command: { type?: unknown; seq?: unknown; boot?: unknown };
    try {
      command = JSON.parse(payload.toString('utf8')) as typeof command;
    } catch {
      this.#ignored++;
      return;
    }
    if (command === null || typeof command !== 'object' || command.type !== 'help.ack') return;
    const pending = typeof command.seq === 'number' ? this.#pending.get(command.seq) : undefined;
    const bootMatches = command.boot === undefined || command.boot === this.boot;
    if (pending === undefined || !bootMatches || pending.ackedAt !== undefined) {
      this.#ignored++;
      return;
    }
    this.#acks++;
    pending.ackedAt = performance.now();
    pending.wake?.();
  }

  /** Waits `ms`, or less if an ack, the signal or `close()` wakes it. */
  async #wait(pending: Pending, ms: number, signal: AbortSignal | undefined): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        pending.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      pending.wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
