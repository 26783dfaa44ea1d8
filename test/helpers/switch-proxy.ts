import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 (any free port) in front of a real server, to cut the link in tests:
 * - `up`: bytes pass both ways;
 * - `down`: new connections are closed at once and open ones are cut (a refused link);
 * - `mute`: requests reach the server but its answers are swallowed (the edge never learns the
 *   outcome of what the server did: a lost answer).
 */
export type ProxyMode = 'up' | 'down' | 'mute';

export class SwitchProxy {
  mode: ProxyMode;
  private readonly sockets = new Set<Socket>();
  /** Connections made through the proxy while up or mute. */
  connections = 0;

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
    mode: ProxyMode,
  ) {
    this.mode = mode;
  }

  static async start(targetPort: number, mode: ProxyMode = 'up'): Promise<SwitchProxy> {
    let proxy: SwitchProxy | undefined;
    const server = createServer({ noDelay: true }, (client) => proxy?.handle(client));
    proxy = new SwitchProxy(server, targetPort, mode);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  set(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'down') for (const s of this.sockets) s.destroy();
  }

  private handle(client: Socket): void {
    if (this.mode === 'down') {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = connect({ port: this.targetPort, host: '127.0.0.1', noDelay: true });
    const muted = this.mode === 'mute';
    this.sockets.add(client);
    this.sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (b) => upstream.write(b));
    upstream.on('data', (b) => {
      if (!muted && this.mode !== 'mute') client.write(b);
    });
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
