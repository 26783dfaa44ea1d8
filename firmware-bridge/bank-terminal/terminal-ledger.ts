/**
 * The bank terminal simulator's books: one card with a balance, its sale log keyed by ref (a ref
 * is one sale forever: a repeated `S` is answered from the log, never charged again), trace and
 * batch numbers, voids, and the open batch a settlement closes. No I/O and no timers: the
 * simulator drives it, tests read it for reconciliation.
 */

import { type EcrSaleResult, type EcrSettlement, type EcrVoidResult, maskPan } from './message-codec.js';

/** One sale in the log. */
export interface TerminalSale {
  ref: string;
  amountFen: number;
  state: 'in-progress' | 'approved' | 'declined' | 'voided';
  /** The result code; empty while in progress. */
  code: string;
  maskedPan: string;
  authCode: string;
  traceNo: string;
  /** The batch the sale belongs to once complete. */
  batchNo: string;
  /** The terminal time of the result (of the start while in progress). */
  time: string;
  text: string;
  /** Its batch was closed by a settlement. */
  settled: boolean;
  /** The void, once voided. */
  void?: { traceNo: string; time: string };
}

/** A batch: its approved sales not voided, their count and total. */
export interface TerminalBatch {
  batchNo: string;
  count: number;
  totalFen: number;
}

export interface TerminalLedgerOptions {
  balanceFen: number;
  /** The card's number (13–19 digits); only its masked form is kept. */
  cardNumber: string;
  /** The open batch's number; 1 when absent. */
  batchNo?: number;
  /** The last trace number used; 0 when absent. */
  traceNo?: number;
  /** The terminal's clock, as `yyyyMMddHHmmss`. */
  clock: () => string;
}

/** Texts for the codes the simulator gives. */
export const TERMINAL_TEXTS: Readonly<Record<string, string>> = {
  '00': '交易成功',
  '51': '余额不足',
  '55': '密码错误',
  C: '交易已取消',
  PD: '交易处理中',
  NF: '无此交易',
  VD: '交易已撤销',
  TB: '终端忙',
};
const DECLINED_TEXT = '交易被拒绝';
/** Code of a void refused (not approved, already settled): ISO 8583 "invalid transaction". */
export const VOID_REFUSED = '12';

const six = (n: number) => String(n).padStart(6, '0');

export class TerminalLedger {
  #balanceFen: number;
  readonly #maskedPan: string;
  readonly #clock: () => string;
  readonly #sales = new Map<string, TerminalSale>();
  readonly #settlements: TerminalBatch[] = [];
  #batchNo: number;
  #traceNo: number;

  constructor(options: TerminalLedgerOptions) {
    if (!/^[0-9]{13,19}$/.test(options.cardNumber)) throw new RangeError('cardNumber must be 13–19 digits');
    checkFen(options.balanceFen, 'balanceFen');
    this.#balanceFen = options.balanceFen;
    this.#maskedPan = maskPan(options.cardNumber);
    this.#clock = options.clock;
    this.#batchNo = options.batchNo ?? 1;
    this.#traceNo = options.traceNo ?? 0;
  }

  get balanceFen(): number {
    return this.#balanceFen;
  }

  set balanceFen(fen: number) {
    checkFen(fen, 'balanceFen');
    this.#balanceFen = fen;
  }

  /** The card's masked number, as the terminal reports it. */
  get maskedPan(): string {
    return this.#maskedPan;
  }

  /** A copy of the sale logged under `ref`. */
  get(ref: string): TerminalSale | undefined {
    const sale = this.#sales.get(ref);
    return sale === undefined ? undefined : { ...sale };
  }

  /** Copies of every sale in the log, oldest first. */
  sales(): TerminalSale[] {
    return [...this.#sales.values()].map((sale) => ({ ...sale }));
  }

  /** The sale in progress, if any (the terminal takes one at a time). */
  inProgress(): TerminalSale | undefined {
    return this.sales().find((sale) => sale.state === 'in-progress');
  }

  /** Logs a new sale as in progress. Throws for a ref already in the log: a ref is one sale. */
  begin(ref: string, amountFen: number): TerminalSale {
    if (this.#sales.has(ref)) throw new Error('a ref is one sale: this one is already in the log');
    const sale: TerminalSale = {
      ...{ ref, amountFen, state: 'in-progress', code: '', maskedPan: '', authCode: '', traceNo: '' },
      ...{ batchNo: '', time: this.#clock(), text: '', settled: false },
    };
    this.#sales.set(ref, sale);
    return { ...sale };
  }

  /**
   * Ends the sale in progress under `ref`: declined with `declineCode` when given, `51` when the
   * balance is short, else approved and the card debited. `C` (cancelled) reads no card.
   */
  complete(ref: string, declineCode?: string): TerminalSale {
    const sale = this.#sales.get(ref);
    if (sale?.state !== 'in-progress') throw new Error('no sale in progress under this ref');
    const code = declineCode ?? (sale.amountFen > this.#balanceFen ? '51' : '00');
    Object.assign(sale, {
      state: code === '00' ? 'approved' : 'declined',
      code,
      time: this.#clock(),
      text: TERMINAL_TEXTS[code] ?? DECLINED_TEXT,
      batchNo: six(this.#batchNo),
    });
    if (code !== 'C') Object.assign(sale, { maskedPan: this.#maskedPan, traceNo: this.#nextTrace() });
    if (code === '00') {
      this.#balanceFen -= sale.amountFen;
      sale.authCode = six((Number(sale.traceNo) * 7919 + 104_729) % 1_000_000);
    }
    return { ...sale };
  }

  /** Logs a sale refused at once (the terminal busy with another): declined, no card read. */
  refuse(ref: string, amountFen: number, code: string): TerminalSale {
    this.begin(ref, amountFen);
    return this.complete(ref, code);
  }

  /** The `R` for `ref`, as a query or a repeated sale gets it: `PD` in progress, `VD` voided, `NF` unknown. */
  resultOf(ref: string): EcrSaleResult {
    const sale = this.#sales.get(ref);
    if (sale === undefined) {
      const none = { amountFen: 0, maskedPan: '', authCode: '', traceNo: '', batchNo: '' };
      return { type: 'R', ref, code: 'NF', ...none, time: this.#clock(), text: TERMINAL_TEXTS.NF as string };
    }
    const { amountFen, maskedPan, authCode, traceNo, batchNo, time, text } = sale;
    const result: EcrSaleResult = {
      type: 'R',
      ref,
      code: sale.code,
      amountFen,
      maskedPan,
      authCode,
      traceNo,
      batchNo,
      time,
      text,
    };
    if (sale.state === 'in-progress') return { ...result, code: 'PD', text: TERMINAL_TEXTS.PD as string };
    if (sale.state === 'voided') return { ...result, code: 'VD', text: TERMINAL_TEXTS.VD as string };
    return result;
  }

  /** Voids the approved, unsettled sale `ref` (the card is credited); a repeated void gets the same `VR`. */
  void(ref: string): EcrVoidResult {
    const sale = this.#sales.get(ref);
    if (sale === undefined) return { type: 'VR', ref, code: 'NF', traceNo: '', time: this.#clock() };
    if (sale.state === 'approved' && !sale.settled) {
      this.#balanceFen += sale.amountFen;
      sale.state = 'voided';
      sale.void = { traceNo: this.#nextTrace(), time: this.#clock() };
    }
    if (sale.void !== undefined) return { type: 'VR', ref, code: '00', ...sale.void };
    return { type: 'VR', ref, code: VOID_REFUSED, traceNo: '', time: this.#clock() };
  }

  /** The open batch as it stands: approved sales not voided, their count and total. */
  openBatch(): TerminalBatch {
    const batchNo = six(this.#batchNo);
    const approved = [...this.#sales.values()].filter(
      (sale) => sale.state === 'approved' && !sale.settled && sale.batchNo === batchNo,
    );
    return {
      batchNo,
      count: approved.length,
      totalFen: approved.reduce((sum, sale) => sum + sale.amountFen, 0),
    };
  }

  /** Closes the open batch and opens the next: the `TR` answer. */
  settle(): EcrSettlement {
    const batch = this.openBatch();
    for (const sale of this.#sales.values()) if (sale.batchNo === batch.batchNo) sale.settled = true;
    this.#settlements.push(batch);
    this.#batchNo = this.#batchNo >= 999_999 ? 1 : this.#batchNo + 1;
    return { type: 'TR', ...batch };
  }

  /** Batches closed so far, oldest first. */
  settlements(): TerminalBatch[] {
    return this.#settlements.map((batch) => ({ ...batch }));
  }

  /**
   * A power cycle: forgets every sale not yet settled except approved ones (voided ones, approved
   * first, are kept with their void). A sale in progress is gone: the card was never charged.
   */
  powerCycle(): void {
    for (const [ref, sale] of this.#sales) {
      if (!sale.settled && (sale.state === 'in-progress' || sale.state === 'declined'))
        this.#sales.delete(ref);
    }
  }

  #nextTrace(): string {
    this.#traceNo = this.#traceNo >= 999_999 ? 1 : this.#traceNo + 1;
    return six(this.#traceNo);
  }
}

function checkFen(fen: number, name: string): void {
  if (!Number.isSafeInteger(fen) || fen < 0)
    throw new RangeError(`${name} must be a whole number of fen ≥ 0`);
}
