import t from 'tap';
import { periodKeys } from './catalogue.js';
import { members as m, openPoints as open, TEST_SCHEME, TEST_TZ as TZ, tempDir } from './points-fixture.js';

t.test('months and quarters are the house’s: Beijing time, not UTC', async (t) => {
  t.same(
    periodKeys('2026-09-30T16:30:00.000Z', TZ),
    { month: '2026-10', quarter: '2026-Q4', year: '2026' },
    '00:30 on 1 October in Beijing',
  );
  t.same(periodKeys('2026-12-31T15:59:59.999Z', TZ), { month: '2026-12', quarter: '2026-Q4', year: '2026' });
  t.same(periodKeys('2026-12-31T16:00:00.000Z', TZ), { month: '2027-01', quarter: '2027-Q1', year: '2027' });
});

t.test('once per session; no session; not a party card; caps per period; deductions', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.parse('2026-11-10T02:00:00.000Z') };
  const { records, points } = await open(dir, clock);
  t.match(await points.swipe('rd-1', 'r-1', true), { result: 'no-session' });
  const s = await points.openSession('volunteer', ['rd-1'], 'admin');
  await t.rejects(
    points.openSession('study-group', ['rd-1'], 'admin'),
    { code: 'POINTS_INVALID' },
    'a reader serves one open session',
  );
  t.match(await points.swipe('rd-1', 'r-1', true), { result: 'ok', points: 3, capped: false });
  t.match(await points.swipe('rd-1', 'r-1', true), { result: 'duplicate' });
  t.match(await points.swipe('rd-1', 'r-2', false), { result: 'refused', reason: 'not-party' });
  t.match(
    await points.swipe('rd-2', 'r-1', true),
    { result: 'no-session' },
    'another reader is not in the session',
  );
  await points.closeSession(s.id, 'admin');
  t.match(await points.swipe('rd-1', 'r-3', true), { result: 'no-session' }, 'closed');
  // A second volunteering session the same month: the cap (5 a month) leaves 2 of its 3 points.
  const s2 = await points.openSession('volunteer', ['rd-1'], 'admin');
  t.match(await points.swipe('rd-1', 'r-1', true), { result: 'ok', points: 2, capped: true });
  await points.closeSession(s2.id, 'admin');
  // Next month (Beijing time) the cap starts again.
  clock.t = Date.parse('2026-11-30T16:00:01.000Z');
  const s3 = await points.openSession('volunteer', ['rd-1'], 'admin');
  t.match(await points.swipe('rd-1', 'r-1', true), { result: 'ok', points: 3, capped: false });
  await points.closeSession(s3.id, 'admin');
  await points.deduct('r-1', 'absence', '11月支部大会无故缺席', 'admin');
  await t.rejects(points.deduct('r-1', 'volunteer', 'x', 'admin'), { code: 'POINTS_INVALID' });
  t.equal(points.ledger.total('r-1', '2026-11'), 5);
  t.equal(points.ledger.total('r-1', '2026-12'), 0, '3 credited, 3 deducted');
  t.equal(points.ledger.total('r-1', '2026-Q4'), 5);
  t.equal(points.ledger.total('r-1', '2026'), 5);
  const summary = points.summary('r-1', m('r-1', 'r-2'), '2026-12-05T00:00:00.000Z');
  t.match(summary, { month: '2026-12', pointsThisMonth: 0, rank: 1, of: 2 });
  t.match(summary.recent[0], { item: '无故缺席', points: -3 });
  await points.close();
  await records.close();
});

t.test('rebuilt identically after a restart, from the snapshot or from the records alone', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.parse('2026-11-10T02:00:00.000Z') };
  let o = await open(dir, clock);
  const s = await o.points.openSession('study-group', ['rd-1'], 'admin');
  for (let i = 0; i < 30; i++) await o.points.swipe('rd-1', `r-${i}`, true);
  const before = JSON.stringify(o.points.ledger.state);
  await o.records.close(); // no snapshot: a crash after the records
  o = await open(dir, clock);
  t.equal(JSON.stringify(o.points.ledger.state), before, 'from the records');
  t.match(
    await o.points.swipe('rd-1', 'r-0', true),
    { result: 'duplicate' },
    'still once per session after the restart',
  );
  await o.points.closeSession(s.id, 'admin');
  const after = JSON.stringify(o.points.ledger.state);
  await o.points.close();
  await o.records.close();
  o = await open(dir, clock);
  t.equal(JSON.stringify(o.points.ledger.state), after, 'from the snapshot');
  await o.records.close();
});

t.test('property: any order of the same swipes gives the same totals, ranking and balances', async (t) => {
  const members = Array.from({ length: 12 }, (_, i) => `r-${i}`);
  const readers = ['rd-0', 'rd-1', 'rd-2', 'rd-3'];
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  // Each member swipes on some readers, some more than once (repeats must never count twice).
  const swipes = members.flatMap((m) =>
    readers
      .filter(() => rand() < 0.6)
      .flatMap((r) =>
        rand() < 0.3
          ? [
              [r, m],
              [r, m],
            ]
          : [[r, m]],
      ),
  );
  let reference: string | undefined;
  for (let run = 0; run < 8; run++) {
    const order = [...swipes].sort(() => rand() - 0.5);
    const dir = await tempDir();
    const { records, points } = await open(dir, { t: Date.parse('2026-11-10T02:00:00.000Z') });
    // Four sessions at once: two of a capped item (5 a month at 3 each), two of another.
    await points.openSession('volunteer', ['rd-0'], 'admin');
    await points.openSession('volunteer', ['rd-1'], 'admin');
    await points.openSession('study-group', ['rd-2'], 'admin');
    await points.openSession('study-group', ['rd-3'], 'admin');
    for (const [r, m] of order) await points.swipe(r as string, m as string, true);
    const result = JSON.stringify({
      ranking: points.ledger.ranking('2026-11', m(...members)),
      year: members.map((m) => points.ledger.total(m, '2026')),
      balances: members.map((m) => points.balance(m)),
    });
    reference ??= result;
    t.equal(result, reference, `order ${run + 1}`);
    await records.close();
  }
});

t.test('a quarter cap restarts at 00:00 Beijing time on the first day of the quarter', async (t) => {
  const dir = await tempDir();
  const notes = {
    id: 'study-notes',
    name: '学习笔记',
    category: 'study',
    points: 1,
    cap: { per: 'quarter', max: 1 },
  } as const;
  const clock = { t: Date.parse('2026-03-31T15:58:00.000Z') }; // 23:58 on 31 March in Beijing
  const { records, points } = await open(dir, clock, {
    ...TEST_SCHEME,
    items: [...TEST_SCHEME.items, notes],
  });
  const credit = async () => {
    const s = await points.openSession('study-notes', ['rd-1'], 'staff-1');
    const r = await points.swipe('rd-1', 'r-1', true);
    await points.closeSession(s.id, 'staff-1');
    return r;
  };
  t.match(await credit(), { result: 'ok', points: 1, capped: false });
  clock.t = Date.parse('2026-03-31T15:59:59.000Z'); // 23:59:59, still Q1
  t.match(await credit(), { result: 'ok', points: 0, capped: true }, 'Q1 is full');
  clock.t = Date.parse('2026-03-31T16:00:00.000Z'); // 00:00 on 1 April: Q2
  t.match(await credit(), { result: 'ok', points: 1, capped: false }, 'Q2 starts afresh');
  t.equal(points.ledger.total('r-1', '2026-Q1'), 1);
  t.equal(points.ledger.total('r-1', '2026-Q2'), 1);
  t.equal(points.ledger.total('r-1', '2026-03'), 1);
  t.equal(points.ledger.total('r-1', '2026-04'), 1);
  await records.close();
});
