import t from 'tap';
import { fenToYuanText, formatFen, parseYuanToFen } from '../kiosk-ui/src/money.js';

// Money on the screens: typed yuan to integer fen without a float, fen to ¥x.yy.
t.test('yuan strings parse to integer fen', async (t) => {
  t.equal(parseYuanToFen('12'), 1200);
  t.equal(parseYuanToFen('12.5'), 1250);
  t.equal(parseYuanToFen('12.50'), 1250);
  t.equal(parseYuanToFen('0.01'), 1);
  t.equal(parseYuanToFen('.5'), 50);
  t.equal(parseYuanToFen('0.29'), 29, '0.29 × 100 is 28.999… as a float');
  t.equal(parseYuanToFen('1.13'), 113);
  t.equal(parseYuanToFen('100000'), 10_000_000, 'the API maximum');
  for (const bad of ['', '.', '0', '0.00', '100000.01', '1.234', '1,5', '-1', '1e3', 'abc', '1.2.3'])
    t.equal(parseYuanToFen(bad), null, `"${bad}" refused`);
});

t.test('fen shows as ¥x.yy', async (t) => {
  t.equal(formatFen(0), '¥0.00');
  t.equal(formatFen(1), '¥0.01');
  t.equal(formatFen(12_345), '¥123.45');
  t.equal(formatFen(10_000_000), '¥100,000.00');
  t.equal(formatFen(-250), '-¥2.50');
  t.equal(fenToYuanText(1205), '12.05');
});
