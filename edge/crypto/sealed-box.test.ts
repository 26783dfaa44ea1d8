import { randomBytes } from 'node:crypto';
import t from 'tap';
import { SealedBox } from './sealed-box.js';

t.test('seals and opens; never the same ciphertext twice; bound to key and field', async (t) => {
  const box = new SealedBox(randomBytes(32));
  const a = box.seal('高血压，服用硝苯地平', 'healthNotes');
  const b = box.seal('高血压，服用硝苯地平', 'healthNotes');
  t.not(a, b, 'fresh IV each time');
  t.notMatch(a, /高血压/);
  t.equal(box.open(a, 'healthNotes'), '高血压，服用硝苯地平');
  t.throws(() => box.open(a, 'idNumber'), 'another field does not open it');
  t.throws(() => new SealedBox(randomBytes(32)).open(a, 'healthNotes'), 'another key does not open it');
  const tampered = `${a.slice(0, -4)}AAAA`;
  t.throws(() => box.open(tampered, 'healthNotes'), 'tampering is detected');
  t.throws(() => new SealedBox(randomBytes(16)), 'a short key is refused');
});
