/**
 * Makes records on a running edge through its real front doors, for sync tests: QR scans from an
 * MQTT scanner (stream `service`), help presses from an MQTT button until acknowledged (`alarm`),
 * goods restocked (`points`), residents added (`registry`), and device status changes (`device`)
 * as the devices connect and drop. The edge may be restarted meanwhile: every call reads its
 * current address, and MQTT clients reconnect.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { api } from './edge-process.js';

export interface EdgeAddress {
  httpUrl: string;
  mqttUrl: string;
}

export class EdgeLoad {
  #scanner: { id: string; password: string } | undefined;
  #button: { id: string; password: string } | undefined;
  #client: MqttClient | undefined;
  #clientUrl = '';
  #pressSeq = 0;
  /** Set by close(): every loop below gives up, so a failed test ends instead of retrying forever. */
  #closed = false;
  readonly boot = `b${Date.now().toString(36)}`;

  constructor(
    private readonly edge: () => EdgeAddress,
    private readonly token: string,
  ) {}

  /** Registers the MQTT scanner and help button (their `registry`-free device rows). */
  async setup(): Promise<void> {
    const { httpUrl } = this.edge();
    const scanner = await api<{ password: string }>(httpUrl, this.token, 'POST', '/api/devices', {
      id: 'load-qr',
      type: 'qr-scanner',
      transport: 'mqtt',
    });
    const button = await api<{ password: string }>(httpUrl, this.token, 'POST', '/api/devices', {
      id: 'load-btn',
      type: 'help-button',
      transport: 'mqtt',
      assignedTo: '一楼大厅',
    });
    if (scanner.status !== 201 || button.status !== 201) {
      throw new Error(`device registration failed: ${scanner.status} ${button.status}`);
    }
    this.#scanner = { id: 'load-qr', password: scanner.body.password };
    this.#button = { id: 'load-btn', password: button.body.password };
  }

  async #scannerClient(): Promise<MqttClient> {
    const url = this.edge().mqttUrl;
    if (this.#client?.connected && this.#clientUrl === url) return this.#client;
    this.#client?.end(true);
    const s = this.#scanner as { id: string; password: string };
    const c = await connectOnce(url, { username: s.id, password: s.password, clientId: s.id });
    c.on('error', () => undefined);
    (c.stream as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
    this.#client = c;
    this.#clientUrl = url;
    return c;
  }

  /**
   * Publishes `n` scans at QoS 1, `inFlight` at a time. Scans lost to an edge that is down are
   * retried until `n` were acknowledged by the broker; returns how many publishes failed.
   */
  async scans(n: number, inFlight = 50, text = (i: number) => `LOAD-${i}`): Promise<number> {
    let sent = 0;
    let failures = 0;
    while (sent < n) {
      this.#open();
      try {
        const c = await this.#scannerClient();
        const chunk = Math.min(inFlight, n - sent);
        // A connection cut under in-flight QoS 1 publishes may never settle them: give up on the
        // chunk after a while and send it again on a new connection.
        await withTimeout(
          Promise.all(
            Array.from({ length: chunk }, (_, k) =>
              c.publishAsync(
                `linli/v1/dev/${this.#scanner?.id}/evt`,
                JSON.stringify({ type: 'qr.scanned', ts: new Date().toISOString(), text: text(sent + k) }),
                { qos: 1 },
              ),
            ),
          ),
          5000,
        );
        sent += chunk;
      } catch {
        failures++;
        this.#client?.end(true);
        this.#client = undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return failures;
  }

  /** A press of the help button, re-sent every 200 ms until acknowledged (or `timeoutMs`). */
  async press(timeoutMs = 30_000): Promise<boolean> {
    const b = this.#button as { id: string; password: string };
    const seq = ++this.#pressSeq;
    const deadline = Date.now() + timeoutMs;
    let client: MqttClient | undefined;
    let acked = false;
    while (!acked && Date.now() < deadline && !this.#closed) {
      try {
        if (!client?.connected) {
          client?.end(true);
          client = await connectOnce(this.edge().mqttUrl, {
            username: b.id,
            password: b.password,
            clientId: b.id,
          });
          client.on('error', () => undefined);
          client.on('message', (_t, payload) => {
            const m = JSON.parse(payload.toString()) as { type: string; seq: number; boot?: string };
            if (m.type === 'help.ack' && m.seq === seq && m.boot === this.boot) acked = true;
          });
          await withTimeout(client.subscribeAsync(`linli/v1/dev/${b.id}/cmd`, { qos: 1 }), 3000);
        }
        client.publish(
          `linli/v1/dev/${b.id}/evt`,
          JSON.stringify({
            type: 'help.pressed',
            ts: new Date().toISOString(),
            seq,
            key: 'sos',
            boot: this.boot,
          }),
          { qos: 1 },
        );
      } catch {
        // the edge is down: keep pressing, as a real button does
      }
      const until = Date.now() + 200;
      while (!acked && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    }
    client?.end(true);
    return acked;
  }

  /** Goods received at the points supermarket: one `goods.restocked` record each. */
  async restock(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.#retry('POST', '/api/points/goods/soap/stock', { qty: 1 }, 200);
  }

  /** New residents: one `resident.created` record each. */
  async residents(n: number, prefix = 'load'): Promise<void> {
    for (let i = 0; i < n; i++) {
      await this.#retry(
        'POST',
        '/api/residents',
        { name: `住户${i}`, roles: ['resident'], id: `${prefix}-${i}` },
        201,
      );
    }
  }

  /** A call retried while the edge restarts (a second answer 409/exists counts as done). */
  async #retry(method: string, path: string, body: unknown, ok: number): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      this.#open();
      try {
        // Bounded: a request caught by a SIGKILL must fail and be retried, never hang the load.
        const res = await withTimeout(api(this.edge().httpUrl, this.token, method, path, body), 10_000);
        if (res.status === ok || res.status === 409) return;
        throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      } catch (err) {
        if (err instanceof Error && /: \d{3} /.test(err.message)) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`${method} ${path}: the edge did not come back`);
  }

  #open(): void {
    if (this.#closed) throw new Error('the load was closed');
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#client?.end(true);
    this.#client = undefined;
  }
}

/**
 * One connection attempt that always ends: `connectAsync` with retries allowed never settles when
 * the socket closes without an error (a connect timeout against an edge that is still starting),
 * and with `reconnectPeriod: 0` nothing would ever settle it — the chaos test's load stalled there.
 */
async function connectOnce(
  url: string,
  auth: { username: string; password: string; clientId: string },
): Promise<MqttClient> {
  const opts = { ...auth, protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 2000 };
  const pending = mqtt.connectAsync(url, opts, false);
  try {
    return await withTimeout(pending, 5000);
  } catch (err) {
    void pending.then((c) => c.end(true)).catch(() => undefined);
    throw err;
  }
}

/** `p`, or a rejection after `ms`. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
