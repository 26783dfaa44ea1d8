import http from 'node:http';

/** A local webhook receiver (a staff group robot stand-in): answers with `statuses` in turn, then 200. */
export async function webhookReceiver(statuses: number[] = []) {
  const posts: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      posts.push(JSON.parse(body));
      const status = statuses[posts.length - 1] ?? 200;
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status === 200 ? '{"errcode":0}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    posts,
    /** Waits until `n` posts arrived (or gives up after `timeoutMs`). */
    async waitFor(n: number, timeoutMs = 5000): Promise<unknown[]> {
      const until = Date.now() + timeoutMs;
      while (posts.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return posts;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
