import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a fixed local port in front of a service whose port may change (a restarted
 * cloud): `target` can be moved, and `cut()` takes the link down (listener closed, connections
 * dropped) until `restore()`, as a pulled cable or a dead uplink does.
 */
export class TcpProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(public target: number) {}

  async start(port = 0): Promise<number> {
    const server = createServer({ noDelay: true }, (inbound) => {
      const outbound = createConnection({ host: '127.0.0.1', port: this.target, noDelay: true });
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** The link goes down: nothing listens and open connections are dropped. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    // destroy(), not resetAndDestroy(): a reset socket with a shutdown still pending (a pipe that
    // ended one side) leaves Node's exit spinning forever in its handle cleanup (seen in CI: the
    // chaos test passed, then its process burned a core until tap's timeout killed it).
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** The link comes back on the same port. */
  async restore(): Promise<void> {
    if (!this.#server) await this.start(this.port);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
