import t from 'tap';
import { DEFAULT_CARD_COOLDOWN_MS, TapCooldown } from './cooldown.js';

/** A cooldown on a hand-moved clock. */
function clocked(cooldownMs?: number) {
  let now = 1_000_000;
  const cooldown = new TapCooldown({ now: () => now, ...(cooldownMs === undefined ? {} : { cooldownMs }) });
  return {
    cooldown,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

t.test('default cooldown is 1.5 s (DESIGN.md)', async (t) => {
  t.equal(DEFAULT_CARD_COOLDOWN_MS, 1500);
  t.equal(new TapCooldown().cooldownMs, 1500);
});

t.test('a first sighting is a tap; the same UID within the cooldown is not', async (t) => {
  const { cooldown, advance } = clocked(1000);
  t.ok(cooldown.seen('04A1B2C3'), 'first sighting taps');
  advance(999);
  t.notOk(cooldown.seen('04A1B2C3'), 'again within 1 s: ignored');
  t.ok(cooldown.seen('04112233'), 'another card taps meanwhile');
});

t.test('every sighting restarts the cooldown: a held card on a repeating reader taps once', async (t) => {
  const { cooldown, advance } = clocked(1000);
  t.ok(cooldown.seen('AA000001'));
  for (let i = 0; i < 20; i++) {
    advance(300);
    t.notOk(cooldown.seen('AA000001'), `repeat ${i + 1} while held`);
  }
  advance(1000);
  t.ok(cooldown.seen('AA000001'), 'a full cooldown after the last sighting: a new tap');
});

t.test('the cooldown runs from the moment the card left', async (t) => {
  const { cooldown, advance } = clocked(1500);
  t.ok(cooldown.seen('04A1B2C3'));
  advance(10_000); // held for 10 s
  cooldown.left('04A1B2C3');
  advance(1400);
  t.notOk(cooldown.seen('04A1B2C3'), 're-tap 1.4 s after removal: ignored');
  cooldown.left('04A1B2C3');
  advance(1500);
  t.ok(cooldown.seen('04A1B2C3'), 're-tap 1.5 s after the ignored presence left: a tap');
});

t.test('entries expire, so memory stays bounded; a clock stepped back ends the cooldown', async (t) => {
  const { cooldown, advance } = clocked(100);
  for (let i = 0; i < 50; i++) cooldown.seen(`0000${i.toString(16).padStart(4, '0')}`);
  t.equal(cooldown.size, 50);
  advance(100);
  t.equal(cooldown.size, 0, 'all expired');
  t.ok(cooldown.seen('01020304'));
  advance(-5000);
  t.ok(cooldown.seen('01020304'), 'after a backwards clock step the card taps again');
});
