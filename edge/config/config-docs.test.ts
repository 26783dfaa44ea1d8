import { readFile } from 'node:fs/promises';
import t from 'tap';
import { EDGE_KEYS } from './config-keys.js';

// docs/configuration.md lists every setting the daemon reads, and nothing it does not.
t.test('docs/configuration.md is in step with the settings table', async (t) => {
  const doc = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(LINLI_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));
  for (const k of EDGE_KEYS) t.ok(documented.has(k.env), `${k.env} documented`);
  const known = new Set(EDGE_KEYS.map((k) => k.env));
  for (const d of documented) t.ok(known.has(d as string), `${d} exists`);
});
