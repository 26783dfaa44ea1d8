import type { CardTappedEvent } from '../../firmware-bridge/device-events.js';
import type {
  KioskGreeting,
  PointsSummary,
  SwipeView,
  TapReason,
  TapResult,
} from '../points/points-types.js';
import type { RecordLog } from '../store/record-log.js';
import type { CardService } from './card-service.js';

export type { KioskGreeting, SwipeView, TapReason, TapResult } from '../points/points-types.js';

/** What points do with a tap of an active card. */
export type Swipe = (
  deviceId: string,
  residentId: string,
  isPartyCard: boolean,
) => Promise<{
  result: 'ok' | 'duplicate' | 'no-session' | 'refused';
  points?: number;
  capped?: boolean;
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

export interface TapOutputs {
  /** To the reader (MQTT `feedback` command). */
  answer: (deviceId: string, result: TapResult, reason?: TapReason) => void;
  /** To the kiosk screens. */
  greet: (g: KioskGreeting) => void;
  /** To staff watching sessions. */
  swiped: (s: SwipeView) => void;
}

/**
 * A card tap: who it is (by the bound card), what points make of it (credited once per open
 * session), a `points` record of the swipe (resident by id, never the UID), and only then the
 * answer for the reader, the greeting for the kiosk and the line for staff.
 */
export function cardTapHandler(
  cards: CardService,
  residentName: (id: string) => string | undefined,
  records: RecordLog,
  swipe: Swipe,
  summary: (residentId: string) => PointsSummary,
  out: TapOutputs,
) {
  return async (deviceId: string, e: CardTappedEvent): Promise<void> => {
    const card = cards.get(e.uid);
    let result: TapResult;
    let reason: TapReason | undefined;
    let credited: number | undefined;
    let capped: boolean | undefined;
    let sessionId: string | undefined;
    if (!card) result = 'unknown-card';
    else if (card.state !== 'active') {
      result = 'refused';
      reason = card.state;
    } else {
      const s = await swipe(deviceId, card.residentId, card.kind === 'party');
      sessionId = s.sessionId;
      if (s.reason === 'not-party') reason = 'not-party';
      if (s.result === 'ok') {
        credited = s.points;
        capped = s.capped;
      }
      // A resident card outside a session is a greeting, not an error.
      result = s.result === 'no-session' && card.kind === 'resident' ? 'ok' : s.result;
    }
    const rec = await records.append('points', 'card.swipe', {
      deviceId,
      result,
      ...(card ? { residentId: card.residentId, kind: card.kind } : { uidTail: e.uid.slice(-4) }),
      ...(sessionId ? { sessionId } : {}),
      ...(reason ? { reason } : {}),
      tappedAt: e.ts,
    });
    out.answer(deviceId, result, reason);
    const fullName = card ? residentName(card.residentId) : undefined;
    const name = result !== 'refused' ? fullName : undefined;
    out.greet({
      deviceId,
      result,
      ...(name ? { name: maskName(name) } : {}),
      ...(card ? { kind: card.kind } : {}),
      ...(reason ? { reason } : {}),
      ...(credited !== undefined ? { credited } : {}),
      ...(capped ? { capped } : {}),
      ...(card?.kind === 'party' && result !== 'refused' ? { points: summary(card.residentId) } : {}),
    });
    out.swiped({
      deviceId,
      result,
      ...(card ? { residentId: card.residentId } : {}),
      ...(fullName ? { name: fullName } : {}),
      ...(reason ? { reason } : {}),
      ...(sessionId ? { sessionId } : {}),
      ...(credited !== undefined ? { credited } : {}),
      ...(capped ? { capped } : {}),
      at: rec.ts,
    });
  };
}
