import type { TapReason, TapResult } from './card-tap-handler.js';

/**
 * What a reader shows and sounds for a tap (the `feedback` command on its `cmd` topic): the result
 * and reason as data, plus a beep pattern and a short display text, so that a reader with only a
 * buzzer, or a small display, still gives each answer its own signal. `beep` alternates on and off
 * times in ms, starting with on. No name, no UID: a reader's display faces the queue.
 */
export interface ReaderFeedback {
  type: 'feedback';
  result: TapResult;
  reason?: TapReason;
  beep: number[];
  text: string;
}

const SHORT = 80;
const GAP = 80;
const LONG = 600;

const SIGNALS: Record<TapResult | TapReason, { beep: number[]; text: string }> = {
  ok: { beep: [SHORT], text: '签到成功' },
  duplicate: { beep: [SHORT, GAP, SHORT], text: '本次已签到' },
  'no-session': { beep: [LONG], text: '当前无活动' },
  'unknown-card': { beep: [SHORT, GAP, SHORT, GAP, SHORT], text: '未登记的卡' },
  refused: { beep: [LONG, GAP, LONG], text: '此卡不可用' },
  lost: { beep: [LONG, GAP, LONG], text: '此卡已挂失' },
  revoked: { beep: [LONG, GAP, LONG], text: '此卡已注销' },
  'not-party': { beep: [LONG, GAP, SHORT], text: '请刷党员卡' },
};

export function readerFeedback(result: TapResult, reason?: TapReason): ReaderFeedback {
  const s = SIGNALS[reason ?? result];
  return { type: 'feedback', result, ...(reason ? { reason } : {}), beep: s.beep, text: s.text };
}
