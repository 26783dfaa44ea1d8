import t from 'tap';
import type { PointsScheme } from './catalogue.js';
import { openPoints, TEST_SCHEME, tempDir } from './points-fixture.js';

/** Gives `r` `n` sessions' worth of volunteering (3 points each, capped at 5 a month). */
async function volunteer(points: Awaited<ReturnType<typeof openPoints>>['points'], r: string) {
  const s = await points.openSession('volunteer', ['rd-1'], 'staff-1');
  t.match(await points.swipe('rd-1', r, true), { result: 'ok' });
  await points.closeSession(s.id, 'staff-1');
}

t.test('the points supermarket: stock and balance never below zero, reversal with a reason', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.parse('2026-11-10T02:00:00.000Z') };
  const { records, points } = await openPoints(dir, clock);
  await t.rejects(
    points.redeem('r-1', 'toothpaste', 1, 'staff-1'),
    { code: 'POINTS_STOCK' },
    'nothing in stock yet',
  );
  t.equal(await points.restock('toothpaste', 3, 'staff-1', '11月进货'), 3);
  t.equal(await points.restock('rice', 1, 'staff-1'), 1);
  await t.rejects(
    points.restock('toothpaste', -4, 'staff-1'),
    { code: 'POINTS_STOCK' },
    'write-off beyond stock',
  );
  await t.rejects(points.restock('soap', 1, 'staff-1'), { code: 'NOT_FOUND' });
  await t.rejects(
    points.redeem('r-1', 'toothpaste', 1, 'staff-1'),
    { code: 'POINTS_BALANCE' },
    'no points yet',
  );

  await volunteer(points, 'r-1'); // 3 practice points
  const study = await points.openSession('study-group', ['rd-1'], 'staff-1');
  await points.swipe('rd-1', 'r-1', true); // 2 study points: ranked, not redeemable here
  await points.closeSession(study.id, 'staff-1');
  await points.deduct('r-1', 'absence', '缺席支部大会', 'admin'); // the score, not the purse
  t.equal(points.balance('r-1'), 3, 'practice points only');
  t.equal(points.ledger.total('r-1', '2026-11'), 2, 'the score counts all three');

  await t.rejects(
    points.redeem('r-1', 'rice', 1, 'staff-1'),
    { code: 'POINTS_BALANCE' },
    '6 needed, 3 there',
  );
  await t.rejects(points.redeem('r-1', 'toothpaste', 2, 'staff-1'), { code: 'POINTS_BALANCE' }, '4 needed');
  await t.rejects(points.redeem('r-1', 'toothpaste', 0, 'staff-1'), { code: 'POINTS_INVALID' });
  const red = await points.redeem('r-1', 'toothpaste', 1, 'staff-1');
  t.match(red, { residentId: 'r-1', goodsId: 'toothpaste', qty: 1, points: -2, by: 'staff-1' });
  t.equal(points.balance('r-1'), 1);
  t.equal(points.ledger.stock('toothpaste'), 2);

  // Two redemptions racing for the last point: one wins, the balance stays at zero or above.
  await volunteer(points, 'r-2'); // 3
  const race = await Promise.allSettled([
    points.redeem('r-2', 'toothpaste', 1, 'staff-1'),
    points.redeem('r-2', 'toothpaste', 1, 'staff-2'),
  ]);
  t.same(
    race.map((r) => r.status),
    ['fulfilled', 'rejected'],
    'the second sees the first',
  );
  t.equal(points.balance('r-2'), 1);
  t.equal(points.ledger.stock('toothpaste'), 1);

  const back = await points.reverse(red.id, '牙膏退回（包装破损）', 'admin');
  t.match(back.reversed, { by: 'admin', reason: '牙膏退回（包装破损）' });
  t.equal(points.balance('r-1'), 3, 'points back');
  t.equal(points.ledger.stock('toothpaste'), 2, 'stock back');
  await t.rejects(points.reverse(red.id, 'again', 'admin'), { code: 'POINTS_INVALID' }, 'once only');
  await t.rejects(points.reverse('nope', 'x', 'admin'), { code: 'NOT_FOUND' });
  t.match(points.ledger.recentFor('r-1', 2), [
    { kind: 'reversal', points: 2, reason: '牙膏退回（包装破损）' },
    { kind: 'redemption', points: -2 },
  ]);

  // Everything above is records: a restart from the records alone gives the same state.
  const before = JSON.stringify(points.ledger.state);
  await records.close();
  const again = await openPoints(dir, clock);
  t.equal(JSON.stringify(again.points.ledger.state), before);
  const kinds = [];
  for await (const { record } of again.records.read(1))
    if (record.stream === 'points') kinds.push(record.type);
  t.ok(
    kinds.includes('goods.restocked') &&
      kinds.includes('points.redeemed') &&
      kinds.includes('redemption.reversed'),
  );
  await again.records.close();
});

t.test('roll-over or yearly reset is the scheme’s choice (years in Beijing time)', async (t) => {
  for (const balance of ['rollover', 'reset-yearly'] as const) {
    const scheme: PointsScheme = { ...TEST_SCHEME, balance };
    const dir = await tempDir();
    const clock = { t: Date.parse('2026-12-20T02:00:00.000Z') };
    const { records, points } = await openPoints(dir, clock, scheme);
    await points.restock('toothpaste', 10, 'staff-1');
    await volunteer(points, 'r-1'); // 3 in 2026
    await points.redeem('r-1', 'toothpaste', 1, 'staff-1'); // 1 left in 2026
    t.equal(points.balance('r-1'), 1, `${balance}: within the year`);
    // 23:59 on 31 December in Beijing is still 2026; one minute later it is 2027.
    t.equal(points.balance('r-1', '2026-12-31T15:59:00.000Z'), 1);
    clock.t = Date.parse('2026-12-31T16:01:00.000Z');
    t.equal(points.balance('r-1'), balance === 'rollover' ? 1 : 0, `${balance}: the new year`);
    await volunteer(points, 'r-1'); // 3 in 2027
    t.equal(points.balance('r-1'), balance === 'rollover' ? 4 : 3);
    if (balance === 'reset-yearly')
      await t.rejects(points.redeem('r-1', 'toothpaste', 2, 'staff-1'), { code: 'POINTS_BALANCE' });
    else await points.redeem('r-1', 'toothpaste', 2, 'staff-1');
    await records.close();
  }
});
