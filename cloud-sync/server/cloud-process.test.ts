import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { signRequest } from '../protocol/signing.js';

// The built `linli-cloud` as a process, as an operator runs it: settings from the environment,
// embedded PGlite in a data dir, a key file it creates, the ready line, a clean stop.
const BIN = fileURLToPath(new URL('../../bin/linli-cloud.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/cloud-sync/server/main.js', import.meta.url));
// npm test builds first; a missing build fails here rather than skipping (a skipped test proves nothing).
await stat(DIST).catch(() => {
  throw new Error(`${DIST} is missing: run \`npm run build\` first (npm test does)`);
});

function run(env: Record<string, string>) {
  const proc = spawn(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: proc.stderr }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (c, s) => resolve(c ?? s ?? -1)),
  );
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout }).on('line', (l) => {
      if (l.startsWith('linli-cloud ready ')) resolve(l);
    });
    void exited.then((code) => reject(new Error(`exited ${code} before ready: ${stderr.join('\n')}`)));
  });
  ready.catch(() => undefined);
  return { proc, stderr, exited, ready };
}

t.test('linli-cloud as a process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-cloud-proc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const base = {
    LINLI_CLOUD_PORT: '0',
    LINLI_CLOUD_DATA_DIR: join(dir, 'data'),
    LINLI_CLOUD_KEY_FILE: join(dir, 'cloud.key'),
    LINLI_CLOUD_LOG_LEVEL: 'warn',
  };

  const missing = run(base);
  t.equal(await missing.exited, 78, 'no admin password: configuration error');
  t.equal(missing.stderr.length, 1, 'one line');
  t.match(missing.stderr[0], /LINLI_CLOUD_ADMIN_PASSWORD/);

  const admin = 'test-cloud-admin-token-0123456789';
  const cloud = run({ ...base, LINLI_CLOUD_ADMIN_PASSWORD: admin, LINLI_CLOUD_BIND: '127.0.0.1' });
  const line = await cloud.ready;
  const url = /http=(\S+)/.exec(line)?.[1] as string;
  t.ok(url, line);
  t.equal((await stat(base.LINLI_CLOUD_KEY_FILE)).mode & 0o777, 0o600, 'the key file it created is private');
  t.equal((await fetch(`${url}/healthz`)).status, 200);
  const house = (await (
    await fetch(`${url}/api/v1/houses`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${admin}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        city: '沈阳市',
        district: '和平区',
        street: '太原街道',
        community: '幸福里社区',
        name: '智慧小屋一号',
      }),
    })
  ).json()) as { id: string; secret: string };
  const body = JSON.stringify({ records: [] });
  const path = '/api/v1/sync/records';
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: signRequest({
        house: house.id,
        secret: house.secret,
        method: 'POST',
        pathAndQuery: path,
        body,
        now: Date.now(),
      }),
    },
    body,
  });
  t.equal(res.status, 200, 'a signed (empty) batch is taken');
  t.match(await res.json(), { serverTime: String, stored: 0 });
  // the built cloud serves the city page from the checkout (tsc copies no static files)
  const page = await fetch(`${url}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/);
  t.match(await page.text(), /城市总览/);
  t.equal((await fetch(`${url}/city/city.js`)).status, 200);
  cloud.proc.kill('SIGTERM');
  t.equal(await cloud.exited, 0, 'SIGTERM: a clean exit');
});
