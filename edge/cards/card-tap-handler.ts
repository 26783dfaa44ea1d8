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
  /** Points credited by this tap. */
  credited?: number;
  /** A party member's month: points, rank, recent items. */
  points?: unknown;
}

/** What points do with a tap of an active card; undefined when points are not running. */
export type Swipe = (
  deviceId: string,
  residentId: string,
  isPartyCard: boolean,
) => Promise<{
  result: 'ok' | 'duplicate' | 'no-session' | 'refused';
  points?: number;
  reason?: string;
  sessionId?: string;
}>;

/** `张桂兰` → `张*兰`, `李明` → `李*`: enough to be greeted, not enough to be identified from afar. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/**
 * A card tap: who it is (by the bound card), what points make of it (credited once per open
 * session), the answer for the reader, a `points` record of the swipe (resident by id, never the
 * UID), and the greeting for the kiosk.
 */
export function cardTapHandler(
  cards: CardService,
  residentName: (id: string) => string | undefined,
  records: RecordLog,
  swipe: Swipe,
  summary: (residentId: string) => unknown,
  answer: (deviceId: string, result: TapResult) => void,
  greet: (g: KioskGreeting) => void,
) {
  return async (deviceId: string, e: CardTappedEvent): Promise<void> => {
    const card = cards.get(e.uid);
    let result: TapResult;
    let reason: string | undefined;
    let credited: number | undefined;
    let sessionId: string | undefined;
    if (!card) result = 'unknown-card';
    else if (card.state !== 'active') {
      result = 'refused';
      reason = card.state;
    } else {
      const s = await swipe(deviceId, card.residentId, card.kind === 'party');
      sessionId = s.sessionId;
      reason = s.reason;
      if (s.result === 'ok') credited = s.points;
      // A resident card outside a session is a greeting, not an error.
      result = s.result === 'no-session' && card.kind === 'resident' ? 'ok' : s.result;
    }
    await records.append('points', 'card.swipe', {
      deviceId,
      result,
      ...(card ? { residentId: card.residentId, kind: card.kind } : { uidTail: e.uid.slice(-4) }),
      ...(sessionId ? { sessionId } : {}),
      ...(reason ? { reason } : {}),
      tappedAt: e.ts,
    });
    answer(deviceId, result);
    const name = card && result !== 'refused' ? residentName(card.residentId) : undefined;
    greet({
      deviceId,
      result,
      ...(name ? { name: maskName(name) } : {}),
      ...(card ? { kind: card.kind } : {}),
      ...(reason ? { reason } : {}),
      ...(credited !== undefined ? { credited } : {}),
      ...(card?.kind === 'party' && result !== 'refused' ? { points: summary(card.residentId) } : {}),
    });
  };
}
