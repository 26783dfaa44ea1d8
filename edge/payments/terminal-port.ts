/**
 * What payments need of a bank terminal: the calls of `BankTerminalDriver`
 * (firmware-bridge/bank-terminal/driver.ts) and its events. Unit tests pass an in-memory fake.
 */
import type {
  BankTerminalEvent,
  TerminalResultEvent,
  TerminalSettlementEvent,
  TerminalVoidEvent,
} from '../../firmware-bridge/bank-terminal/events.js';

export interface TerminalPort {
  /** True while the port is open and the terminal acknowledges frames. */
  readonly online: boolean;
  sale(ref: string, amountFen: number, memo: string, onAck?: () => void): Promise<TerminalResultEvent>;
  query(ref: string): Promise<TerminalResultEvent>;
  void(ref: string): Promise<TerminalVoidEvent>;
  settle(): Promise<TerminalSettlementEvent>;
  on(event: 'event', listener: (e: BankTerminalEvent) => void): unknown;
}
