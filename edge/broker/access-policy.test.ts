import t from 'tap';
import { mayPublish, maySubscribe, type Principal } from './access-policy.js';

const dev: Principal = { kind: 'device', deviceId: 'btn-1' };
const user: Principal = { kind: 'user', username: 'admin' };
const edge: Principal = { kind: 'edge' };
const MAX = 64 * 1024;

t.test('a device publishes only to its own status and evt', async (t) => {
  t.same(mayPublish(dev, 'linli/v1/dev/btn-1/evt', 10, MAX, false), { ok: true });
  t.same(mayPublish(dev, 'linli/v1/dev/btn-1/status', 10, MAX, true), { ok: true }, 'retained birth');
  for (const topic of [
    'linli/v1/dev/btn-2/evt',
    'linli/v1/dev/btn-1/cmd',
    'linli/v1/edge/status',
    'linli/v1/dev/btn-1/evt/x',
    'linli/v1/dev/btn-10/evt',
    'other/topic',
    '$SYS/x',
  ]) {
    t.same(mayPublish(dev, topic, 10, MAX, false), { ok: false, reason: 'topic' }, topic);
  }
  t.same(
    mayPublish(dev, 'linli/v1/dev/btn-1/evt', 10, MAX, true),
    { ok: false, reason: 'retain' },
    'no retained events',
  );
  t.same(mayPublish(dev, 'linli/v1/dev/btn-1/evt', MAX + 1, MAX, false), { ok: false, reason: 'too-large' });
  t.same(
    mayPublish(dev, 'linli/v1/dev/btn-1/evt', MAX, MAX, false),
    { ok: true },
    'exactly the limit is fine',
  );
});

t.test('a device subscribes only to its own cmd, without wildcards', async (t) => {
  t.ok(maySubscribe(dev, 'linli/v1/dev/btn-1/cmd'));
  for (const f of [
    'linli/v1/dev/btn-2/cmd',
    'linli/v1/dev/+/cmd',
    'linli/v1/#',
    '#',
    'linli/v1/dev/btn-1/evt',
    'linli/v1/dev/btn-1/+',
  ]) {
    t.notOk(maySubscribe(dev, f), f);
  }
});

t.test('people watch linli/v1 read-only; the edge does everything', async (t) => {
  t.ok(maySubscribe(user, 'linli/v1/#'));
  t.ok(maySubscribe(user, 'linli/v1/dev/+/evt'));
  t.notOk(maySubscribe(user, '#'));
  t.notOk(maySubscribe(user, '$SYS/#'));
  t.same(mayPublish(user, 'linli/v1/dev/btn-1/evt', 1, MAX, false), { ok: false, reason: 'topic' });
  t.ok(maySubscribe(edge, '#'));
  t.same(mayPublish(edge, 'linli/v1/edge/status', 1, MAX, true), { ok: true });
});
