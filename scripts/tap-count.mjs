// Reads raw TAP (tap --reporter=tap) and prints `N passed, N failed` counting leaf test points:
// assertions and subtests that have no children of their own. A non-zero runner exit with no
// failure found counts as one failure, so a crash never reads as green.
import { readFileSync } from 'node:fs';

const [file, statusText] = process.argv.slice(2);
const lines = readFileSync(file, 'utf8').split('\n');
let passed = 0;
let failed = 0;
const point = /^(\s*)(not ok|ok) \d+/;
for (let i = 0; i < lines.length; i++) {
  const m = point.exec(lines[i]);
  if (!m) continue;
  const indent = m[1].length;
  // A subtest's summary line follows its children, which sit deeper: count only leaves.
  let j = i - 1;
  while (j >= 0 && lines[j].trim() === '') j--;
  const prev = j >= 0 ? lines[j] : '';
  const prevIndent = prev.length - prev.trimStart().length;
  const isSummary = prevIndent > indent && /^\s*1\.\.\d+/.test(prev);
  if (isSummary) continue;
  if (m[2] === 'ok') passed++;
  else failed++;
}
const status = Number(statusText ?? 0);
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
