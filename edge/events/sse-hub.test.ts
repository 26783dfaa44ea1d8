import t from 'tap';
import { type SseEvent, SseHub } from './sse-hub.js';

t.test('fan-out, replay after Last-Event-ID, bounded ring', async (t) => {
  const hub = new SseHub(3);
  const a: SseEvent[] = [];
  const off = hub.subscribe((e) => a.push(e));
  for (let i = 0; i < 5; i++) hub.publish('x', { i });
  t.same(
    a.map((e) => e.id),
    [1, 2, 3, 4, 5],
  );
  off();
  hub.publish('x', { i: 5 });
  t.equal(a.length, 5, 'unsubscribed');
  const b: SseEvent[] = [];
  hub.subscribe((e) => b.push(e), 4);
  t.same(
    b.map((e) => e.id),
    [5, 6],
    'replays only what came after id 4',
  );
  const c: SseEvent[] = [];
  hub.subscribe((e) => c.push(e), 0);
  t.same(
    c.map((e) => e.id),
    [4, 5, 6],
    'only the last 3 are kept',
  );
  t.equal(hub.clients, 2);
});

t.test('wire format: one data line of JSON', async (t) => {
  const text = SseHub.format({ id: 7, event: 'qr.scanned', data: { text: 'a\nb' } });
  t.equal(text, 'id: 7\nevent: qr.scanned\ndata: {"text":"a\\nb"}\n\n');
});
