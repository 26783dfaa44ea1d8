/**
 * What the bank terminal driver reports to the edge, as typed events (and what its calls resolve
 * with). They are not MQTT device events: the edge drives the terminal itself and decides what a
 * result means for a payment. No event holds more of a card number than its first 6 and last 4
 * digits.
 */

import type { EcrOutcome } from './message-codec.js';

/** `P`: progress text for the kiosk's screen (`请刷卡或插卡`, `请输入密码` …). */
export interface TerminalPromptEvent {
  type: 'terminal.prompt';
  /** When the edge received it (ISO-8601 UTC). */
  ts: string;
  ref: string;
  prompt: string;
}

/** `R`: the result of a sale, or the answer to a query. */
export interface TerminalResultEvent {
  type: 'terminal.result';
  ts: string;
  ref: string;
  code: string;
  /** What the code stands for (DESIGN.md's table; every code not in it is a decline). */
  outcome: EcrOutcome;
  amountFen: number;
  /** Empty when no card was read; else at most the first 6 and last 4 digits. */
  maskedPan: string;
  authCode: string;
  traceNo: string;
  batchNo: string;
  /** The terminal's local time, `yyyyMMddHHmmss`. */
  terminalTime: string;
  text: string;
}

/** `VR`: the result of a void (`00`: voided). */
export interface TerminalVoidEvent {
  type: 'terminal.void';
  ts: string;
  ref: string;
  code: string;
  traceNo: string;
  terminalTime: string;
}

/** `TR`: the batch closed by a settlement: approved sales not voided, their count and total. */
export interface TerminalSettlementEvent {
  type: 'terminal.settlement';
  ts: string;
  batchNo: string;
  count: number;
  totalFen: number;
}

export type BankTerminalEvent =
  | TerminalPromptEvent
  | TerminalResultEvent
  | TerminalVoidEvent
  | TerminalSettlementEvent;
