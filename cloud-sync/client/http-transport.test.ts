import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { httpTransport } from './http-transport.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

/** A real HTTP server on a free port; counts the connections it accepted. */
async function serve(t: Test, handler: Handler): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

const signal = () => new AbortController().signal;

t.test('posts the body byte for byte and reads the answer; connections are kept alive', async (t) => {
  const seen: { method?: string; path?: string; length?: string; type?: string; body: string }[] = [];
  const s = await serve(t, (req, body, res) => {
    seen.push({
      method: req.method,
      path: req.url,
      length: req.headers['content-length'],
      type: req.headers['content-type'],
      body: body.toString(),
    });
    res.writeHead(201, {
      'x-linli-server-time': '2026-12-02T00:00:00.000Z',
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ ok: true, zh: '邻里' }));
  });
  const body = Buffer.from('{"records":[{"zh":"邻里"}]}');
  const a = await httpTransport(`${s.url}/api/v1/sync/records?x=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: signal(),
  });
  t.equal(a.status, 201);
  t.equal(a.headers.get('X-Linli-Server-Time'), '2026-12-02T00:00:00.000Z', 'header names in any case');
  t.equal(a.headers.get('x-missing'), null);
  t.same(JSON.parse(await a.text()), { ok: true, zh: '邻里' });
  const b = await httpTransport(`${s.url}/b`, { method: 'GET', headers: {}, signal: signal() });
  t.equal(b.status, 201);
  t.same(seen[0], {
    method: 'POST',
    path: '/api/v1/sync/records?x=1',
    length: String(body.length),
    type: 'application/json',
    body: body.toString(),
  });
  t.same(
    { method: seen[1]?.method, length: seen[1]?.length, body: seen[1]?.body },
    {
      method: 'GET',
      length: undefined,
      body: '',
    },
  );
  t.equal(s.connections(), 1, 'the second request reused the first connection');
});

t.test('an abort, a cut-off answer and a refused connection reject; nothing resolves half', async (t) => {
  const s = await serve(t, (req, _body, res) => {
    if (req.url === '/hang') return; // never answers
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    setTimeout(() => res.destroy(), 20);
  });
  const ctl = new AbortController();
  const hung = httpTransport(`${s.url}/hang`, { method: 'POST', headers: {}, body: 'x', signal: ctl.signal });
  setTimeout(() => ctl.abort(new Error('stopped')), 50);
  await t.rejects(hung, 'aborted by its signal');
  await t.rejects(
    httpTransport(`${s.url}/cut`, { method: 'GET', headers: {}, signal: signal() }),
    /closed mid-answer|aborted|socket hang up/,
    'an answer cut short',
  );
  await t.rejects(
    httpTransport('http://127.0.0.1:1/x', { method: 'GET', headers: {}, signal: signal() }),
    /ECONNREFUSED/,
    'nothing listening',
  );
  await t.rejects(
    httpTransport('ftp://127.0.0.1/x', { method: 'GET', headers: {}, signal: signal() }),
    /unsupported protocol/,
  );
});
