import t from 'tap';
import { flagRulesProblem } from './catalogue.js';
import { openPoints, tempDir } from './points-fixture.js';
import { flagFor } from './points-ledger.js';

t.test('flag rules: first match wins, the last one catches everyone', async (t) => {
  const rules = [
    { flag: 'red', minPoints: 10, topPercent: 50 },
    { flag: 'yellow', minPoints: 5 },
    { flag: 'blue' },
  ];
  t.equal(flagFor(rules, 12, 1, 4), 'red');
  t.equal(flagFor(rules, 12, 2, 4), 'red', 'rank 2 of 4 is the top half');
  t.equal(flagFor(rules, 12, 3, 4), 'yellow', 'enough points, not the top half');
  t.equal(flagFor(rules, 12, 2, 3), 'red', 'top 50% of 3 rounds up to 2');
  t.equal(flagFor(rules, 4, 1, 1), 'blue');
  t.equal(flagRulesProblem(rules), undefined);
  t.match(flagRulesProblem([{ flag: 'red', minPoints: 1 }]), /last flag rule/);
  t.match(flagRulesProblem([{ flag: 'red' }, { flag: 'blue' }]), /no condition but is not the last/);
  t.match(flagRulesProblem([{ flag: 'red', minPoints: 1 }, { flag: 'red' }]), /twice/);
});

t.test('a quarter is assessed once it is over, within each branch, and its history is kept', async (t) => {
  const dir = await tempDir();
  // 31 March 2026, 23:30 in Beijing: still Q1.
  const clock = { t: Date.parse('2026-03-31T15:30:00.000Z') };
  const { records, points } = await openPoints(dir, clock);
  const people = [
    { id: 'a1', branch: '第一支部' },
    { id: 'a2', branch: '第一支部' },
    { id: 'b1', branch: '第二支部' },
  ];
  const s = await points.openSession('volunteer', ['rd-1'], 'staff-1');
  await points.swipe('rd-1', 'a1', true);
  await points.swipe('rd-1', 'b1', true);
  await points.closeSession(s.id, 'staff-1');
  const g = await points.openSession('study-group', ['rd-1'], 'staff-1');
  await points.swipe('rd-1', 'a1', true);
  await points.swipe('rd-1', 'b1', true);
  await points.closeSession(g.id, 'staff-1');
  await t.rejects(points.assess('2026-Q1', people, 'admin'), { code: 'POINTS_INVALID' }, 'Q1 is not over');
  t.match(
    points.preview('2026-Q1', people).results,
    [
      { residentId: 'a1', points: 5, rank: 1, of: 2, group: '第一支部', flag: 'red' },
      { residentId: 'a2', points: 0, rank: 2, of: 2, group: '第一支部', flag: 'yellow' },
      { residentId: 'b1', points: 5, rank: 1, of: 1, group: '第二支部', flag: 'red' },
    ],
    'ranked within each branch',
  );

  clock.t = Date.parse('2026-03-31T16:00:00.000Z'); // 1 April, 00:00 in Beijing
  const first = await points.assess('2026-Q1', people, 'admin');
  t.same(first.results.a2, { flag: 'yellow', points: 0, rank: 2, of: 2, group: '第一支部' });
  // A swipe in Q2 changes nothing of Q1's result.
  const q2 = await points.openSession('volunteer', ['rd-1'], 'staff-1');
  await points.swipe('rd-1', 'a2', true);
  await points.closeSession(q2.id, 'staff-1');
  t.equal(points.ledger.total('a2', '2026-Q1'), 0);
  // Re-assessed with stricter rules: it supersedes, and both stay in the history.
  const second = await points.assess('2026-Q1', people, 'admin', [
    { flag: 'red', minPoints: 6 },
    { flag: 'yellow' },
  ]);
  t.equal(second.results.a1?.flag, 'yellow');
  t.equal(points.ledger.state.assessments.length, 2);
  t.same(
    points.ledger.flagHistory('a1').map((f) => [f.quarter, f.flag]),
    [['2026-Q1', 'yellow']],
    'one flag per quarter: the latest assessment',
  );
  await t.rejects(points.assess('2026-Q1', people, 'admin', [{ flag: 'red', minPoints: 1 }]), {
    code: 'POINTS_INVALID',
  });

  clock.t = Date.parse('2026-07-01T00:00:00.000Z');
  await points.assess('2026-Q2', people, 'admin');
  t.same(
    points.ledger.flagHistory('a2').map((f) => [f.quarter, f.flag]),
    [
      ['2026-Q1', 'yellow'],
      ['2026-Q2', 'yellow'],
    ],
  );
  t.match(points.summary('a2', people), { flag: { quarter: '2026-Q2', flag: 'yellow' } });

  const before = JSON.stringify(points.ledger.state);
  await records.close();
  const again = await openPoints(dir, clock);
  t.equal(JSON.stringify(again.points.ledger.state), before, 'rebuilt identically');
  await again.records.close();
});

t.test('a large assessment is recorded in parts; one cut short by a crash does not count', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.parse('2026-07-01T00:00:00.000Z') };
  const { records, points } = await openPoints(dir, clock);
  const people = Array.from({ length: 1200 }, (_, i) => ({
    id: `m-${String(i).padStart(5, '0')}`,
    branch: `第${(i % 3) + 1}支部`,
  }));
  const a = await points.assess('2026-Q2', people, 'admin');
  t.equal(Object.keys(a.results).length, 1200);
  t.same([a.parts, a.received, a.members], [3, 3, 1200]);
  let biggest = 0;
  for await (const { record } of records.read(1, 'points'))
    biggest = Math.max(biggest, JSON.stringify(record).length);
  t.ok(biggest < 64 * 1024, `every record under the protocol's 64 KiB (largest ${biggest} bytes)`);
  // A crash after the header and one part: that assessment is not the quarter's.
  await records.append('points', 'assessment.made', {
    assessmentId: 'cut-short',
    quarter: '2026-Q2',
    scope: 'branch',
    rules: [{ flag: 'grey' }],
    members: 1200,
    parts: 3,
    by: 'admin',
  });
  await records.append('points', 'assessment.results', {
    assessmentId: 'cut-short',
    part: 0,
    results: [['m-00000', 0, 1, 400, 'grey', '第1支部']],
  });
  await records.close();
  const again = await openPoints(dir, clock);
  t.equal(again.points.ledger.latestAssessments().at(-1)?.id, a.id, 'the complete one stands');
  t.equal(again.points.ledger.flagHistory('m-00000')[0]?.flag, a.results['m-00000']?.flag);
  await again.records.close();
});
