/** linli-cloud's settings added with the city views: the login limit and the trusted proxies. */
import t from 'tap';
import { ConfigError, loadCloudSettings } from './settings.js';

const base = { LINLI_CLOUD_ADMIN_PASSWORD: 'a-long-enough-password' };

t.test('defaults: 10 failed logins a minute, no proxy trusted', async (t) => {
  const s = loadCloudSettings(base);
  t.equal(s.loginMaxPerMinute, 10);
  t.same(s.trustProxy, []);
});

t.test('set: a limit and proxies by address or CIDR', async (t) => {
  const s = loadCloudSettings({
    ...base,
    LINLI_CLOUD_LOGIN_MAX_PER_MIN: '30',
    LINLI_CLOUD_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1',
  });
  t.equal(s.loginMaxPerMinute, 30);
  t.same(s.trustProxy, ['10.0.0.0/8', '127.0.0.1', '::1']);
});

t.test('bad values name their setting', async (t) => {
  for (const [name, value] of [
    ['LINLI_CLOUD_LOGIN_MAX_PER_MIN', '0'],
    ['LINLI_CLOUD_LOGIN_MAX_PER_MIN', 'lots'],
    ['LINLI_CLOUD_TRUST_PROXY', 'proxy.example.com'],
  ] as const) {
    t.throws(() => loadCloudSettings({ ...base, [name]: value }), ConfigError, `${name}=${value}`);
    t.throws(() => loadCloudSettings({ ...base, [name]: value }), new RegExp(`^${name}:`));
  }
});
