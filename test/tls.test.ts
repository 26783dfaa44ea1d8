import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import t from 'tap';
import { startEdge, tempDir } from './helpers/edge-process.js';

// With LINLI_TLS_CERT/KEY the edge serves HTTPS and MQTT over TLS (DESIGN.md, "Start-up").
const dir = await tempDir();
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
await promisify(execFile)('openssl', [
  'req',
  '-x509',
  '-newkey',
  'rsa:2048',
  '-nodes',
  '-days',
  '2',
  '-subj',
  '/CN=127.0.0.1',
  '-addext',
  'subjectAltName=IP:127.0.0.1',
  '-keyout',
  key,
  '-out',
  cert,
]);
const ca = await readFile(cert);
const edge = await startEdge({ LINLI_TLS_CERT: cert, LINLI_TLS_KEY: key, LINLI_MQTTS_PORT: '0' });
t.teardown(() => edge.stop());

t.test('HTTPS: the API answers over TLS and the session cookie is Secure', async (t) => {
  t.match(edge.httpUrl, /^https:\/\//);
  const { status, headers } = await new Promise<{ status: number; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = https.request(
        `${edge.httpUrl}/api/auth/login`,
        { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ username: 'admin', password: 'test-admin-password' }));
    },
  );
  t.equal(status, 200);
  t.match(String(headers['set-cookie']), /Secure/);
});

t.test('MQTT over TLS: the same credentials and rules', async (t) => {
  t.ok(edge.mqttsPort, 'the ready line names the mqtts port');
  await t.rejects(
    mqtt.connectAsync(`mqtts://127.0.0.1:${edge.mqttsPort}`, { ca, protocolVersion: 4, reconnectPeriod: 0 }),
    'anonymous refused over TLS too',
  );
  const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${edge.mqttsPort}`, {
    ca,
    username: 'user:admin',
    password: 'test-admin-password',
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const got = new Promise<string>((resolve) => c.on('message', (_t, p) => resolve(p.toString())));
  await c.subscribeAsync('linli/v1/edge/status');
  t.match(JSON.parse(await got), { online: true, house: 'demo-house' });
  await c.endAsync();
});

t.test('an unusable certificate is a configuration error', async (t) => {
  await t.rejects(startEdge({ LINLI_TLS_CERT: key, LINLI_TLS_KEY: key }), /LINLI_TLS_CERT/);
});
