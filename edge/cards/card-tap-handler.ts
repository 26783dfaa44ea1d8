import type { CardTappedEvent } from '../../firmware-bridge/device-events.js';
import type { RecordLog } from '../store/record-log.js';
import type { CardService } from './card-service.js';

/** The answer a reader shows (beep pattern / display) and the kiosk reads (DESIGN.md `feedback`). */
export type TapResult = 'ok' | 'duplicate' | 'no-session' | 'unknown-card' | 'refused';
/** Why a tap was refused: the card is reported lost, revoked, or not a party card in a session. */
export type TapReason = 'lost' | 'revoked' | 'not-party';

/** What a kiosk screen shows for a tap: the resident's name partly masked, never the card UID. */
export interface KioskGreeting {
  deviceId: string;
  result: TapResult;
  /** `张*兰` */
  name?: string;
  kind?: 'resident' | 'party';
  reason?: TapReason;
  /** Points credited by this tap. */
  credited?: number;
  /** The credit was cut by the item's cap for the period. */
  capped?: boolean;
  /** A party member's month: points, rank, balance, flag, recent items, goods. */
  points?: unknown;
}

/** What staff watching a session see of a swipe (the admin event stream: full name, no UID). */
export interface SwipeView {
  deviceId: string;
  result: TapResult;
  residentId?: string;
  /** Full name: this goes to logged-in staff only. */
  name?: string;
  reason?: TapReason;
  sessionId?: string;
  credited?: number;
  capped?: boolean;
  at: string;
}

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
  summary: (residentId: string) => unknown,
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
