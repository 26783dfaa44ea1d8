import http from 'node:http';

export interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
  /** performance.now() when the chunk holding it was read from the socket. */
  at: number;
}

/** A minimal server-sent events client for tests: collects messages, waits for one that matches. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  private waiters: { pred: (m: SseMessage) => boolean; resolve: (m: SseMessage) => void }[] = [];
  private listener: ((m: SseMessage) => void) | undefined;
  private req: http.ClientRequest | undefined;
  status = 0;

  /** Connects; `onMessage`, when given, sees every message as it arrives (benchmarks keep none). */
  static async connect(
    url: string,
    headers: Record<string, string> = {},
    onMessage?: (m: SseMessage) => void,
  ): Promise<SseClient> {
    const c = new SseClient();
    c.listener = onMessage;
    await c.open(url, headers);
    return c;
  }

  private open(url: string, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        this.status = res.statusCode ?? 0;
        res.socket.setNoDelay(true);
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buf += chunk;
          let i = buf.indexOf('\n\n');
          while (i >= 0) {
            this.parse(buf.slice(0, i), at);
            buf = buf.slice(i + 2);
            i = buf.indexOf('\n\n');
          }
        });
        res.on('error', () => undefined);
        resolve();
      });
      this.req.on('error', reject);
    });
  }

  private parse(block: string, at: number): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const [k, ...rest] = line.split(':');
      const v = rest.join(':').replace(/^ /, '');
      if (k === 'event') event = v;
      else if (k === 'id') id = v;
      else if (k === 'data') data.push(v);
    }
    if (data.length === 0) return;
    const msg: SseMessage = { event, data: JSON.parse(data.join('\n')), at, ...(id ? { id } : {}) };
    if (this.listener) {
      this.listener(msg);
      return;
    }
    this.messages.push(msg);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(msg)) return true;
      w.resolve(msg);
      return false;
    });
  }

  /** The first message (already received or to come) matching `pred`. */
  next(pred: (m: SseMessage) => boolean, timeoutMs = 10_000): Promise<SseMessage> {
    const have = this.messages.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching SSE message in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.req?.destroy();
  }
}
