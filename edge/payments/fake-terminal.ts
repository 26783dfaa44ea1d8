/**
 * An in-memory bank terminal for unit tests of the payments: it keeps a log per ref as a real
 * terminal does (a ref is one sale; a query answers from the log), and each sale's fate is
 * scripted (`approve`, `decline`, `lose` its result, `no-ack`, or `hold` until the test ends it).
 */
import { EventEmitter } from 'node:events';
import { EcrError } from '../../firmware-bridge/bank-terminal/ecr-error.js';
import type {
  BankTerminalEvent,
  TerminalResultEvent,
  TerminalSettlementEvent,
  TerminalVoidEvent,
} from '../../firmware-bridge/bank-terminal/events.js';
import { ecrOutcome } from '../../firmware-bridge/bank-terminal/message-codec.js';
import type { TerminalPort } from './terminal-port.js';

export type SaleScript = 'approve' | 'decline' | 'lose' | 'no-ack' | 'no-ack-taken' | 'hold';

export class FakeTerminal extends EventEmitter<{ event: [BankTerminalEvent] }> implements TerminalPort {
  online = true;
  /** What the next sales do, in order; `approve` once empty. */
  readonly script: SaleScript[] = [];
  /** Every `S` the terminal took (a repeat would show twice). */
  readonly salesTaken: string[] = [];
  readonly log = new Map<string, TerminalResultEvent>();
  readonly held = new Map<string, (r: TerminalResultEvent) => void>();
  batch = 1;
  /** Queries time out (the terminal is up, its answers are lost). */
  queriesFail = false;
  #trace = 0;

  result(ref: string, amountFen: number, code: string): TerminalResultEvent {
    return {
      type: 'terminal.result',
      ts: new Date().toISOString(),
      ref,
      code,
      outcome: ecrOutcome(code),
      amountFen,
      maskedPan: code === '00' || code === '51' ? '621700******1234' : '',
      authCode: code === '00' ? 'A1B2C3' : '',
      traceNo: String(++this.#trace).padStart(6, '0'),
      batchNo: String(this.batch).padStart(6, '0'),
      terminalTime: '20261202103000',
      text: code === '00' ? '交易成功' : '交易失败',
    };
  }

  async sale(
    ref: string,
    amountFen: number,
    _memo: string,
    onAck?: () => void,
  ): Promise<TerminalResultEvent> {
    if (!this.online) throw new EcrError('offline', 'terminal offline');
    const step = this.script.shift() ?? 'approve';
    if (step === 'no-ack') throw new EcrError('no-ack', 'no ACK');
    this.salesTaken.push(ref);
    if (step === 'no-ack-taken') {
      this.log.set(ref, this.result(ref, amountFen, '00'));
      throw new EcrError('no-ack', 'no ACK');
    }
    onAck?.();
    this.emit('event', {
      type: 'terminal.prompt',
      ts: new Date().toISOString(),
      ref,
      prompt: '请刷卡或插卡',
    });
    if (step === 'hold') {
      this.log.set(ref, this.result(ref, amountFen, 'PD'));
      return await new Promise((resolve) => this.held.set(ref, resolve));
    }
    const r = this.result(ref, amountFen, step === 'decline' ? '51' : '00');
    this.log.set(ref, r);
    if (step === 'lose') throw new EcrError('timeout', 'no result');
    return r;
  }

  /** Ends a held sale with `code`. */
  finish(ref: string, code: string): void {
    const known = this.log.get(ref);
    if (!known) throw new Error(`no sale ${ref}`);
    const r = this.result(ref, known.amountFen, code);
    this.log.set(ref, r);
    this.held.get(ref)?.(r);
    this.held.delete(ref);
  }

  async query(ref: string): Promise<TerminalResultEvent> {
    if (!this.online) throw new EcrError('offline', 'terminal offline');
    if (this.queriesFail) throw new EcrError('timeout', 'no answer');
    return this.log.get(ref) ?? this.result(ref, 0, 'NF');
  }

  async void(ref: string): Promise<TerminalVoidEvent> {
    if (!this.online) throw new EcrError('offline', 'terminal offline');
    const known = this.log.get(ref);
    const ok = known?.code === '00';
    if (known && ok) this.log.set(ref, { ...known, code: 'VD', outcome: 'voided' });
    return {
      type: 'terminal.void',
      ts: new Date().toISOString(),
      ref,
      code: ok ? '00' : '12',
      traceNo: String(++this.#trace).padStart(6, '0'),
      terminalTime: '20261202103500',
    };
  }

  async settle(): Promise<TerminalSettlementEvent> {
    const approved = [...this.log.values()].filter(
      (r) => r.code === '00' && r.batchNo === String(this.batch).padStart(6, '0'),
    );
    const out: TerminalSettlementEvent = {
      type: 'terminal.settlement',
      ts: new Date().toISOString(),
      batchNo: String(this.batch).padStart(6, '0'),
      count: approved.length,
      totalFen: approved.reduce((s, r) => s + r.amountFen, 0),
    };
    this.batch++;
    return out;
  }
}
