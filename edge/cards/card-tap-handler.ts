import type { CardTappedEvent } from '../../firmware-bridge/device-events.js';
import type { RecordLog } from '../store/record-log.js';
import type { CardService } from './card-service.js';

/** The answer a reader shows (beep pattern / display) and the kiosk reads (DESIGN.md `feedback`). */
export type TapResult = 'ok' | 'duplicate' | 'no-session' | 'unknown-card' | 'refused';

/** What a kiosk screen shows for a tap: the resident's name partly masked, never the card UID. */
export interface KioskGreeting {
  deviceId: string;
  result: TapResult;
  /** `张*兰` */
  name?: string;
  kind?: 'resident' | 'party';
  reason?: string;
}

/** `张桂兰` → `张*兰`, `李明` → `李*`: enough to be greeted, not enough to be identified from afar. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/**
 * A card tap: who it is (by the bound card), the answer for the reader, a `points` record of the
 * swipe (resident by id, never the UID), and the greeting for the kiosk. Points sessions and
 * credits come next (issue 4): until then a party card outside a session answers `no-session`.
 */
export function cardTapHandler(
  cards: CardService,
  residentName: (id: string) => string | undefined,
  records: RecordLog,
  answer: (deviceId: string, result: TapResult) => void,
  greet: (g: KioskGreeting) => void,
) {
  return async (deviceId: string, e: CardTappedEvent): Promise<void> => {
    const card = cards.get(e.uid);
    let result: TapResult;
    let reason: string | undefined;
    if (!card) result = 'unknown-card';
    else if (card.state !== 'active') {
      result = 'refused';
      reason = card.state;
    } else result = card.kind === 'party' ? 'no-session' : 'ok';
    await records.append('points', 'card.swipe', {
      deviceId,
      result,
      ...(card ? { residentId: card.residentId, kind: card.kind } : { uidTail: e.uid.slice(-4) }),
      ...(reason ? { reason } : {}),
      tappedAt: e.ts,
    });
    answer(deviceId, result);
    const name = card ? residentName(card.residentId) : undefined;
    greet({
      deviceId,
      result,
      ...(name && result !== 'refused' ? { name: maskName(name) } : {}),
      ...(card ? { kind: card.kind } : {}),
      ...(reason ? { reason } : {}),
    });
  };
}
