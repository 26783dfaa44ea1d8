import t from 'tap';
import { PcscReaderClaims } from './pcsc-claims.js';

const R0 = 'ACS ACR122U PICC Interface 00 00';
const R1 = 'ACS ACR1252 Dual Reader PICC 01 00';

t.test('a device without `reader` takes a free reader nobody names; with one, its own', async (t) => {
  const claims = new PcscReaderClaims();
  claims.register('kiosk', undefined);
  claims.register('desk', 'ACR1252');
  t.notOk(claims.mayClaim('kiosk', R1), 'the reader another device names is not free');
  t.ok(claims.claim('kiosk', R0));
  t.notOk(claims.mayClaim('desk', R0), 'not its filter');
  t.ok(claims.claim('desk', R1));
  t.equal(claims.ownerOf(R0), 'kiosk');
  t.equal(claims.claimOf('desk'), R1);
});

t.test('first come, first served; a claim moves and is dropped with its owner', async (t) => {
  const claims = new PcscReaderClaims();
  claims.register('a', undefined);
  claims.register('b', undefined);
  t.ok(claims.claim('a', R0));
  t.notOk(claims.claim('b', R0), 'held by a');
  t.ok(claims.claim('a', R0), 'claiming its own again is fine');
  t.ok(claims.claim('a', R1), 'a moves to R1');
  t.equal(claims.ownerOf(R0), undefined, 'and gives R0 up');
  t.ok(claims.claim('b', R0));
  claims.unregister('a');
  t.equal(claims.ownerOf(R1), undefined);
  t.ok(claims.claim('b', R1), 'b may move to the freed reader');
});

t.test('why a device has no reader', async (t) => {
  const claims = new PcscReaderClaims();
  claims.register('a', undefined);
  claims.register('b', undefined);
  claims.register('c', 'Dual');
  t.equal(claims.whyNoReader('b', []), 'no reader attached');
  t.equal(claims.whyNoReader('c', [R0]), 'no reader matching "Dual"');
  claims.claim('a', R0);
  t.equal(claims.whyNoReader('b', [R0]), 'every matching reader is claimed by another device');
  t.equal(claims.whyNoReader('a', []), 'reader detached', 'holds one that is gone');
});
