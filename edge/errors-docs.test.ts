import { readFile } from 'node:fs/promises';
import t from 'tap';
import { ERROR_CODES } from './errors.js';

t.test('docs/errors.md lists every error code with its HTTP status', async (t) => {
  const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\| `([A-Z_]+)`\s*\| (\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])]),
  );
  for (const [code, status] of Object.entries(ERROR_CODES)) t.equal(rows.get(code), status, code);
  t.equal(rows.size, Object.keys(ERROR_CODES).length, 'no stale codes in the doc');
});
