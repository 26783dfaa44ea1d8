import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from './config.js';

/** The setting a ConfigError names, or a failure. */
function settingOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.setting;
    throw err;
  }
  return '(no error)';
}

t.test('defaults are those of DESIGN.md', async (t) => {
  const c = loadConfig({});
  t.equal(c.houseId, 'demo-house');
  t.equal(c.httpPort, 8080);
  t.equal(c.mqttPort, 1883);
  t.equal(c.bind, '0.0.0.0');
  t.equal(c.tz, 'Asia/Shanghai');
  t.equal(c.demo, false);
  t.equal(c.mqttMaxPayload, 65536);
  t.ok(Object.isFrozen(c), 'frozen');
});

t.test('demo mode makes the MQTT port default to 0', async (t) => {
  t.equal(loadConfig({ LINLI_DEMO: '1' }).mqttPort, 0);
  t.equal(loadConfig({ LINLI_DEMO: '1', LINLI_MQTT_PORT: '1999' }).mqttPort, 1999);
});

t.test('a JSON file sets the same keys and env wins', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'linli-cfg-'));
  const file = join(dir, 'c.json');
  await writeFile(
    file,
    JSON.stringify({ LINLI_HOUSE_ID: 'from-file', LINLI_HTTP_PORT: 9000, LINLI_DEMO: true }),
  );
  const c = loadConfig({ LINLI_CONFIG: file, LINLI_HTTP_PORT: '9100' });
  t.equal(c.houseId, 'from-file');
  t.equal(c.httpPort, 9100);
  t.equal(c.demo, true);
  await writeFile(file, JSON.stringify({ LINLI_NOPE: 1 }));
  t.equal(
    settingOf(() => loadConfig({ LINLI_CONFIG: file })),
    'LINLI_NOPE',
  );
  await writeFile(file, '{not json');
  t.equal(
    settingOf(() => loadConfig({ LINLI_CONFIG: file })),
    'LINLI_CONFIG',
  );
});

const bad: [Record<string, string>, string][] = [
  [{ LINLI_HOUSE_ID: 'has space' }, 'LINLI_HOUSE_ID'],
  [{ LINLI_HOUSE_ID: 'x'.repeat(65) }, 'LINLI_HOUSE_ID'],
  [{ LINLI_HTTP_PORT: 'abc' }, 'LINLI_HTTP_PORT'],
  [{ LINLI_HTTP_PORT: '70000' }, 'LINLI_HTTP_PORT'],
  [{ LINLI_MQTT_PORT: '-1' }, 'LINLI_MQTT_PORT'],
  [{ LINLI_DEMO: 'yes' }, 'LINLI_DEMO'],
  [{ LINLI_TZ: 'Mars/Olympus' }, 'LINLI_TZ'],
  [{ LINLI_CLOUD_URL: 'ftp://x' }, 'LINLI_CLOUD_URL'],
  [{ LINLI_CLOUD_URL: 'https://cloud.example' }, 'LINLI_HOUSE_SECRET'],
  [{ LINLI_TLS_CERT: '/x.pem' }, 'LINLI_TLS_KEY'],
  [{ LINLI_ADMIN_PASSWORD: 'short' }, 'LINLI_ADMIN_PASSWORD'],
  [{ LINLI_LOG_LEVEL: 'loud' }, 'LINLI_LOG_LEVEL'],
  [{ LINLI_DATA_DIR: '/tmp/d', LINLI_KEY_FILE: '/tmp/d/k' }, 'LINLI_KEY_FILE'],
  [{ LINLI_MQTT_MAX_PAYLOAD: '10' }, 'LINLI_MQTT_MAX_PAYLOAD'],
];
for (const [env, setting] of bad) {
  t.test(`refuses ${JSON.stringify(env)}`, async (t) => {
    t.equal(
      settingOf(() => loadConfig(env)),
      setting,
    );
  });
}

t.test('a bad password is named but never echoed', async (t) => {
  try {
    loadConfig({ LINLI_ADMIN_PASSWORD: 'sec' });
    t.fail('should throw');
  } catch (err) {
    t.match((err as Error).message, /^LINLI_ADMIN_PASSWORD: /);
    t.notMatch((err as Error).message, /sec\b/);
  }
});

t.test('payments: terminal timings, the query backoff and the daily settlement time', async (t) => {
  const c = loadConfig({});
  t.equal(c.ecrResultTimeoutMs, 90_000, 'a result may take 90 s');
  t.equal(c.settleAt, '23:30');
  t.equal(loadConfig({ LINLI_SETTLE_AT: '' }).settleAt, '', 'empty: never');
  t.equal(loadConfig({ LINLI_SETTLE_AT: '06:05' }).settleAt, '06:05');
  t.equal(
    settingOf(() => loadConfig({ LINLI_SETTLE_AT: '24:00' })),
    'LINLI_SETTLE_AT',
  );
  t.equal(
    settingOf(() =>
      loadConfig({ LINLI_PAYMENT_QUERY_BACKOFF_MS: '5000', LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS: '1000' }),
    ),
    'LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS',
  );
});
