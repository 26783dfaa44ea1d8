import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, startEdge, tempDir } from './helpers/edge-process.js';

/** Runs the daemon expecting it to refuse to start; resolves with its exit code, stdout and stderr. */
/** What a person reads on stderr: every line that is not a JSON log record. */
function plainLines(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('{"level":'));
}

async function runExpectingFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = await tempDir();
  const child = spawn(process.execPath, [join(ROOT, 'bin/linli-edge.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      LINLI_DATA_DIR: join(dir, 'data'),
      LINLI_KEY_FILE: join(dir, 'k'),
      LINLI_HTTP_PORT: '0',
      LINLI_MQTT_PORT: '0',
      LINLI_BIND: '127.0.0.1',
      LINLI_ADMIN_PASSWORD: 'test-admin-password',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

const cases: [string, Record<string, string>, string][] = [
  ['bad port', { LINLI_HTTP_PORT: 'eighty' }, 'LINLI_HTTP_PORT'],
  ['port out of range', { LINLI_MQTT_PORT: '65536' }, 'LINLI_MQTT_PORT'],
  ['bad house id', { LINLI_HOUSE_ID: 'a/b' }, 'LINLI_HOUSE_ID'],
  ['bad demo flag', { LINLI_DEMO: 'true' }, 'LINLI_DEMO'],
  ['unknown time zone', { LINLI_TZ: 'Nowhere/Town' }, 'LINLI_TZ'],
  ['half a TLS setup', { LINLI_TLS_CERT: '/tmp/c.pem' }, 'LINLI_TLS_KEY'],
  ['missing config file', { LINLI_CONFIG: '/nonexistent/linli.json' }, 'LINLI_CONFIG'],
];
for (const [name, env, setting] of cases) {
  t.test(`${name}: one clear line naming ${setting}, exit 78`, async (t) => {
    const r = await runExpectingFailure(env);
    t.equal(r.code, 78);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, 'exactly one line: config is checked before anything is logged');
    t.match(lines[0], new RegExp(`^linli-edge: ${setting}: `));
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
    t.equal(r.stdout, '', 'no ready line');
  });
}

t.test('a busy port: one line naming the setting, exit 78', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  for (const setting of ['LINLI_HTTP_PORT', 'LINLI_MQTT_PORT']) {
    const r = await runExpectingFailure({ [setting]: String(port) });
    t.equal(r.code, 78, setting);
    t.same(
      plainLines(r.stderr),
      [`linli-edge: ${setting}: port ${port} is already in use`],
      'one plain line',
    );
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

t.test('ready line, health, and SIGTERM exits 0 within 5 s', async (t) => {
  const edge = await startEdge();
  t.match(edge.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const h = await fetch(`${edge.httpUrl}/healthz`);
  t.equal(h.status, 200);
  t.match(await h.json(), { status: 'ok', house: 'demo-house' });
  const started = Date.now();
  const code = await edge.stop('SIGTERM');
  t.equal(code, 0);
  t.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms`);
});

t.test('SIGINT stops it too, even with an open event stream', async (t) => {
  const edge = await startEdge();
  const res = await fetch(`${edge.httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'test-admin-password' }),
  });
  const { token } = (await res.json()) as { token: string };
  const controller = new AbortController();
  const sse = await fetch(`${edge.httpUrl}/api/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  t.equal(sse.status, 200);
  const started = Date.now();
  t.equal(await edge.stop('SIGINT'), 0);
  t.ok(Date.now() - started < 5000);
  controller.abort();
});

t.test('without LINLI_ADMIN_PASSWORD the first admin gets a random password, printed once', async (t) => {
  const dir = await tempDir();
  const edge = await startEdge({ LINLI_ADMIN_PASSWORD: '' }, { dataDir: join(dir, 'data') });
  await new Promise((r) => setTimeout(r, 100));
  const line = edge.stderr.find((l) => l.includes('first admin created'));
  t.ok(line, 'printed');
  const pw = /password (\S+) \(shown once\)/.exec(line ?? '')?.[1] ?? '';
  t.ok(pw.length >= 12);
  const ok = await fetch(`${edge.httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: pw }),
  });
  t.equal(ok.status, 200);
  await edge.stop();
  const again = await startEdge({ LINLI_ADMIN_PASSWORD: '' }, { dataDir: join(dir, 'data') });
  t.notOk(
    again.stderr.some((l) => l.includes('first admin created')),
    'not again on a store with users',
  );
  await again.stop();
});

t.test('SIGTERM right on the ready line still stops gracefully', async (t) => {
  for (let i = 0; i < 5; i++) {
    const edge = await startEdge();
    t.equal(await edge.stop('SIGTERM'), 0, `cycle ${i + 1}`);
  }
});
