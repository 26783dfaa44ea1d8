import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { mayPublish, maySubscribe, type Principal } from './access-policy.js';

/** What the broker needs to know to let a client in. The edge's registries implement it. */
export interface BrokerAuthenticator {
  /** True when `deviceId` is a registered MQTT device and `password` is its credential. */
  verifyDevice(deviceId: string, password: string): Promise<boolean>;
  /** True when `username` is an active user with this password (read-only watchers). */
  verifyUser(username: string, password: string): Promise<boolean>;
}

export interface BrokerEvents {
  /** A publish or subscription was refused; `deviceId` when a device did it. */
  refused(info: {
    principal: string;
    deviceId?: string;
    action: 'connect' | 'publish' | 'subscribe';
    reason: string;
  }): void;
  /** An MQTT device's connection closed (its will, if any, follows through the broker). */
  deviceDisconnected(deviceId: string): void;
}

export interface BrokerOptions {
  maxPayload: number;
  auth: BrokerAuthenticator;
  log: Logger;
  events: BrokerEvents;
}

/** MQTT username prefix for people watching the broker, so user names never shadow device ids. */
export const USER_PREFIX = 'user:';
/** Username of the edge's own MQTT client. `$` cannot start a device id. */
export const EDGE_USERNAME = '$edge';

/**
 * The embedded broker (aedes) with Linli's policy in its hooks: per-device credentials,
 * no anonymous clients, the topic ACL of DESIGN.md and a payload size limit. Listeners are
 * added separately (TCP, WebSocket) so the HTTP server can own the upgrade.
 */
export class EdgeBroker {
  readonly edgeSecret = randomBytes(24).toString('base64url');
  private aedes: Aedes | undefined;
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly servers: Server[] = [];
  private wss: WebSocketServer | undefined;
  private readonly opts: BrokerOptions;

  constructor(opts: BrokerOptions) {
    this.opts = opts;
  }

  get instance(): Aedes {
    if (!this.aedes) throw new Error('broker not started');
    return this.aedes;
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const { log, events } = this.opts;
    const aedes = await Aedes.createBroker({
      drainTimeout: 30_000,
      maxClientsIdLength: 64,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          (refusal) => {
            if (refusal === null) return done(null, true);
            const code = refusal === 'client-id-taken' ? 2 : refusal === 'anonymous' ? 5 : 4;
            const err = Object.assign(new Error(`connection refused: ${refusal}`), { returnCode: code });
            events.refused({ principal: username ?? '(anonymous)', action: 'connect', reason: refusal });
            done(err as never, false);
          },
          (err: unknown) => {
            log.error({ err }, 'mqtt authentication failed');
            done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }) as never, false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // the edge's own broker.publish()
        const p = this.principals.get(client);
        const verdict = p
          ? mayPublish(p, packet.topic, packet.payload.length, this.opts.maxPayload, packet.retain)
          : ({ ok: false, reason: 'topic' } as const);
        if (verdict.ok) return done(null);
        events.refused({
          principal: describe(p),
          ...(p?.kind === 'device' ? { deviceId: p.deviceId } : {}),
          action: 'publish',
          reason: verdict.reason,
        });
        // MQTT 3.1.1 has no negative PUBACK: the broker closes the connection (DESIGN.md).
        done(new Error(`publish refused: ${verdict.reason}`));
      },
      authorizeSubscribe: (client, sub: Subscription, done) => {
        const p = this.principals.get(client);
        if (p && maySubscribe(p, sub.topic)) return done(null, sub);
        events.refused({
          principal: describe(p),
          ...(p?.kind === 'device' ? { deviceId: p.deviceId } : {}),
          action: 'subscribe',
          reason: 'topic',
        });
        done(null, null); // SUBACK 0x80 for this filter
      },
    });
    aedes.on('clientDisconnect', (client) => {
      const p = this.principals.get(client);
      if (p?.kind === 'device') events.deviceDisconnected(p.deviceId);
    });
    aedes.on('clientError', (client, err) => {
      log.debug({ clientId: client.id, err: err.message }, 'mqtt client error');
    });
    aedes.on('connectionError', (_client, err) => {
      log.debug({ err: err.message }, 'mqtt connection error');
    });
    this.aedes = aedes;
  }

  /** Decides who a connecting client is; resolves with the refusal reason, or null when let in. */
  private async authenticate(client: Client, username?: string, password?: Buffer): Promise<string | null> {
    if (!username || !password) return 'anonymous';
    const pw = password.toString('utf8');
    let principal: Principal;
    if (username === EDGE_USERNAME) {
      const a = Buffer.from(pw);
      const b = Buffer.from(this.edgeSecret);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return 'credentials';
      principal = { kind: 'edge' };
    } else if (username.startsWith(USER_PREFIX)) {
      const name = username.slice(USER_PREFIX.length);
      if (!(await this.opts.auth.verifyUser(name, pw))) return 'credentials';
      principal = { kind: 'user', username: name };
    } else {
      if (!(await this.opts.auth.verifyDevice(username, pw))) return 'credentials';
      principal = { kind: 'device', deviceId: username };
    }
    // MQTT lets a new connection with the same client id take over the old one: never let one
    // principal knock another off the broker that way (the same one may reconnect).
    const holder = (this.aedes as unknown as { clients: Record<string, Client> } | undefined)?.clients[
      client.id
    ];
    const held = holder && holder !== client ? this.principals.get(holder) : undefined;
    if (held && describe(held) !== describe(principal)) return 'client-id-taken';
    this.principals.set(client, principal);
    return null;
  }

  /**
   * Listens for MQTT over TCP — or over TLS when `tls` holds a certificate and key — with Nagle
   * off on every socket; resolves with the bound port.
   */
  async listenTcp(port: number, host: string, tls?: { cert: Buffer; key: Buffer }): Promise<number> {
    const server = tls
      ? createTlsServer({ cert: tls.cert, key: tls.key, noDelay: true, minVersion: 'TLSv1.2' }, (socket) => {
          this.instance.handle(socket);
        })
      : createServer({ noDelay: true }, (socket: Socket) => {
          this.instance.handle(socket);
        });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  /** Handles HTTP upgrades to MQTT over WebSocket at `/mqtt`; returns false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/mqtt') return false;
    if (!this.wss) {
      this.wss = new WebSocketServer({
        noServer: true,
        maxPayload: this.opts.maxPayload + 1024,
        handleProtocols: (protocols) =>
          protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
      });
    }
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.instance.handle(createWebSocketStream(ws), req);
    });
    return true;
  }

  publish(
    topic: string,
    payload: string | Buffer,
    opts: { retain?: boolean; qos?: 0 | 1 } = {},
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.instance.publish(
        {
          cmd: 'publish',
          topic,
          payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
          qos: opts.qos ?? 0,
          retain: opts.retain ?? false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /** Delivers every message on `filter` to `handler` (the edge's own subscription, no ACL). */
  subscribe(filter: string, handler: (packet: AedesPublishPacket) => void): Promise<void> {
    return new Promise((resolve) => {
      this.instance.subscribe(
        filter,
        (packet, cb) => {
          handler(packet);
          cb();
        },
        resolve,
      );
    });
  }

  async stop(): Promise<void> {
    for (const s of this.servers) s.close();
    this.wss?.close();
    const aedes = this.aedes;
    if (aedes && !aedes.closed) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }
}

function describe(p: Principal | undefined): string {
  if (!p) return '(unknown)';
  if (p.kind === 'device') return p.deviceId;
  if (p.kind === 'user') return `${USER_PREFIX}${p.username}`;
  return EDGE_USERNAME;
}
