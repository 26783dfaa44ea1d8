/**
 * The edge's HTTP client for the cloud: the small part of `fetch` the {@link SignedRequester} uses,
 * over `node:http`/`node:https` with keep-alive connections. Why not the global `fetch`: it copies
 * every request body (a `Buffer` body is sliced into a new one), so a drain posting 300 KB bodies
 * ten times a second leaves megabytes of dead external memory per second for the GC, and each call
 * builds a tree of WHATWG objects. Here the body the sync client built in place is written to the
 * socket as it is.
 */
import http from 'node:http';
import https from 'node:https';

export interface TransportInit {
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal: AbortSignal;
}

export interface TransportAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** What the requester calls; the global `fetch` fits it too (tests wrap it to spy or fail). */
export type Transport = (url: string, init: TransportInit) => Promise<TransportAnswer>;

// Few requests run at once (one per client), so a handful of kept-alive sockets is plenty.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 4 }),
};

/** A request over node:http(s); rejects on a network failure, an abort, or a cut-off answer. */
export const httpTransport: Transport = (url, init) =>
  new Promise<TransportAnswer>((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') {
      reject(new TypeError(`unsupported protocol ${target.protocol}`));
      return;
    }
    const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
    const options: http.RequestOptions = {
      method: init.method,
      headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      agent: secure ? agents.https : agents.http,
      signal: init.signal,
    };
    const req = (secure ? https : http).request(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) {
          reject(init.signal.aborted ? init.signal.reason : new Error('the connection closed mid-answer'));
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            get: (name) => {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
          },
          text: async () => text,
        });
      });
    });
    req.setNoDelay(true);
    req.on('error', reject);
    req.end(body);
  });
