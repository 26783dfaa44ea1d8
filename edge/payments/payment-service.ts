/**
 * Terminal sales (docs/payments.md): create → sent → approved | declined, and `unknown` whenever
 * the result may be lost, resolved only by asking the terminal (`Q|ref`) with jittered backoff —
 * a sale is never sent twice. Every change is a `payment` record on disk first, then state, then
 * the world hears of it (`change`). State = snapshot + the records after it, so idempotency keys,
 * refs and unknown payments survive a crash; at start every payment left `created` or `sent`
 * becomes `unknown` (`edge-restart`) and is queried.
 */
import { EventEmitter } from 'node:events';
import { v7 } from 'uuid';
import type { SyncRecord } from '../../cloud-sync/protocol/record.js';
import { EcrError } from '../../firmware-bridge/bank-terminal/ecr-error.js';
import type { TerminalResultEvent } from '../../firmware-bridge/bank-terminal/events.js';
import { LinliError } from '../errors.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { PaymentIndex } from './payment-index.js';
import { itemMemo, paymentItem } from './payment-items.js';
import {
  applyPaymentRecord,
  balanceOf,
  emptyPaymentsState,
  FINAL,
  type Payment,
  type PaymentsState,
  type Receipt,
  type UnknownReason,
} from './payment-model.js';
import { type OutcomeDeps, receiptFor, recordApproved, recordVoided } from './payment-outcomes.js';
import { newRef } from './payment-refs.js';
import { PaymentSteps } from './payment-steps.js';
import { QueryBackoff } from './query-backoff.js';
import type { TerminalPort } from './terminal-port.js';

const SNAPSHOT = 'payments';
/** A ref no sale ever gets (refs are random; this one is reserved): the probe of a silent terminal. */
export const PROBE_REF = '000000000000';
const SNAPSHOT_VERSION = 1;
/** Records read past at start-up beyond which the state is snapshotted at once. */
const RESCAN_SNAPSHOT = 10_000;

export interface PaymentServiceOptions {
  records: RecordLog;
  snapshots: SnapshotStore;
  /** The running bank terminal registered as `deviceId`; `null` when it is no bank terminal. */
  terminal: (deviceId: string) => TerminalPort | undefined | null;
  /** Whether a resident exists (a top-up credits only a known resident). */
  residentExists: (residentId: string) => boolean;
  tokens: { get(paymentId: string): string | undefined; issue(paymentId: string): Promise<string> };
  /** Query backoff of unknown payments: first delay and cap (ms), doubled per attempt, jittered. */
  backoff: { initialMs: number; maxMs: number };
  random?: () => number;
  now?: () => number;
}

export interface NewSale {
  amountFen: number;
  item: string;
  deviceId: string;
  residentId?: string;
  idempotencyKey: string;
  kioskId?: string;
}

export interface PaymentEvents {
  /** Every state change, after its record is on disk. */
  change: [Payment];
  /** The terminal's progress text for a sale in progress. */
  prompt: [{ id: string; ref: string; deviceId: string; prompt: string }];
  failure: [{ id: string; err: unknown }];
}

export class PaymentService extends EventEmitter<PaymentEvents> {
  readonly state: PaymentsState = emptyPaymentsState();
  /** Terminals whose batch is being closed: no new sale on them meanwhile. */
  readonly settling = new Set<string>();
  readonly #index = new PaymentIndex();
  readonly #prompts = new Map<string, string>();
  readonly #steps = new PaymentSteps();
  readonly #backoff: QueryBackoff;
  readonly #querying = new Set<string>();
  readonly #probing = new Set<string>();
  readonly #listening = new WeakSet<TerminalPort>();
  /** Appends on their way to disk, not yet applied. */
  #committing = 0;
  #stopped = false;

  private constructor(readonly opts: PaymentServiceOptions) {
    super();
    this.#backoff = new QueryBackoff(opts.backoff, opts.random);
  }

  /** Loads the latest snapshot and applies the `payment` records after it. */
  static async open(opts: PaymentServiceOptions): Promise<PaymentService> {
    const s = new PaymentService(opts);
    const snap = await opts.snapshots.load<PaymentsState>(SNAPSHOT, SNAPSHOT_VERSION);
    if (snap) Object.assign(s.state, snap.state);
    // Retention deletes a segment only once this snapshot covers it (this service is a holder);
    // segments deleted before payments existed (an upgraded edge) held no payment records.
    const from = Math.max((snap?.lsn ?? 0) + 1, opts.records.firstLsn);
    for await (const { record } of opts.records.read(from, 'payment')) {
      applyPaymentRecord(s.state, record);
    }
    for (const p of Object.values(s.state.payments)) s.#index.add(p);
    // A long scan (the first start after an upgrade, a crash): not again next time.
    if (opts.records.lastLsn - from >= RESCAN_SNAPSHOT) await s.checkpoint();
    return s;
  }

  /** Resumes every payment that is not final: `created`/`sent` become `unknown` and are queried. */
  async start(): Promise<void> {
    for (const p of this.#index.open()) {
      if (p.kind !== 'sale') continue;
      if (p.state === 'created' || p.state === 'sent') await this.#unknown(p, 'edge-restart');
      else if (p.state === 'unknown') this.#schedule(p);
    }
    // A top-up approved just before a crash, its credit not yet written: write it now.
    for (const p of Object.values(this.state.payments)) {
      if (p.state === 'approved' && p.item === 'top-up' && p.residentId && !this.#credited(p)) {
        await this.#commit('account.credited', {
          residentId: p.residentId,
          payment: p.id,
          amountFen: p.amountFen,
        });
      }
    }
  }

  /** Stops timers, waits for what is on its way to disk, and snapshots. */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#backoff.stop();
    await this.#steps.drain();
    await this.checkpoint();
  }

  /** The journal LSN up to which the saved snapshot covers this state (retention reads it). */
  snapshotCovers(): Promise<number> {
    return this.opts.snapshots.coveredLsn(SNAPSHOT);
  }

  /**
   * Snapshots the state up to the journal's end, once no record is between the journal and the
   * state (retention deletes segments only once a snapshot covers them); resolves with its LSN.
   */
  async checkpoint(): Promise<number> {
    while (this.#committing > 0) await new Promise((r) => setTimeout(r, 1));
    // Read and serialized in one go: no record can be applied in between.
    const lsn = this.opts.records.lastLsn;
    await this.opts.snapshots.save(SNAPSHOT, { version: SNAPSHOT_VERSION, lsn, state: this.state });
    return lsn;
  }

  get(id: string): Payment | undefined {
    return this.state.payments[id];
  }

  byRef(ref: string): Payment | undefined {
    return this.#index.byRef(ref);
  }

  byDigest(digest: string): Payment | undefined {
    return this.#index.byDigest(digest);
  }

  byKey(key: string): Payment | undefined {
    return this.#index.byKey(key);
  }

  /** The current prompt of a payment in progress. */
  prompt(id: string): string | undefined {
    return this.#prompts.get(id);
  }

  list(): Payment[] {
    return Object.values(this.state.payments).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  balance(residentId: string): number {
    return balanceOf(this.state, residentId);
  }

  /** The payment holding `deviceId` (a sale in progress or unresolved, a reader waiting for a tap). */
  holder(deviceId: string): Payment | undefined {
    return this.#index.holder(deviceId);
  }

  /**
   * An idempotent request: the payment already made under `key` (same body), or `undefined` when
   * the key is new. A different body under a used key is refused.
   */
  replay(key: string, body: { amountFen: number; item: string; deviceId: string; residentId?: string }) {
    const known = this.byKey(key);
    if (!known) return undefined;
    if (
      known.amountFen !== body.amountFen ||
      known.item !== body.item ||
      known.deviceId !== body.deviceId ||
      (known.kind === 'sale' && known.residentId !== body.residentId)
    ) {
      throw new LinliError('IDEMPOTENCY_MISMATCH', 'this Idempotency-Key was used for another payment');
    }
    return known;
  }

  /**
   * Starts a sale: `payment.created` on disk, then `S` on the wire. Resolves with the payment as
   * soon as it is created (`created: false` for a repeat of the same Idempotency-Key).
   */
  create(sale: NewSale): Promise<{ payment: Payment; created: boolean }> {
    return this.#serialCreate(async () => {
      const known = this.replay(sale.idempotencyKey, sale);
      if (known) return { payment: known, created: false };
      const item = paymentItem(sale.item);
      if (!item || item.kind === 'account')
        throw new LinliError('PAYMENT_INVALID', `unknown item ${sale.item}`);
      if (sale.item === 'top-up' && !sale.residentId)
        throw new LinliError('PAYMENT_INVALID', 'a top-up needs a residentId');
      if (sale.residentId && !this.opts.residentExists(sale.residentId))
        throw new LinliError('PAYMENT_INVALID', 'no such resident');
      const terminal = this.opts.terminal(sale.deviceId);
      if (terminal === undefined) throw new LinliError('NOT_FOUND', `no device ${sale.deviceId}`);
      if (terminal === null)
        throw new LinliError('PAYMENT_INVALID', `${sale.deviceId} is not a bank terminal`);
      const holder = this.holder(sale.deviceId);
      if (holder)
        throw new LinliError('TERMINAL_BUSY', `terminal ${sale.deviceId} is busy with ${holder.ref}`);
      if (this.settling.has(sale.deviceId))
        throw new LinliError('TERMINAL_BUSY', `terminal ${sale.deviceId} is settling`);
      if (!terminal.online) {
        this.probe(sale.deviceId);
        throw new LinliError('TERMINAL_OFFLINE', `terminal ${sale.deviceId} is offline`);
      }
      const payment = await this.#commit('payment.created', {
        payment: v7(),
        ref: newRef((r) => this.#index.byRef(r) !== undefined),
        kind: 'sale',
        item: sale.item,
        amountFen: sale.amountFen,
        deviceId: sale.deviceId,
        ...(sale.residentId ? { residentId: sale.residentId } : {}),
        idempotencyKey: sale.idempotencyKey,
        ...(sale.kioskId ? { kioskId: sale.kioskId } : {}),
      });
      const p = payment as Payment;
      this.#listen(terminal);
      void this.#track(this.#runSale(p, terminal)); // never rejects: its failures end in `unknown`
      return { payment: p, created: true };
    });
  }

  /** Asks the terminal now about an unknown payment; resolves with the payment afterwards. */
  async queryNow(id: string): Promise<Payment> {
    const p = this.#must(id);
    if (p.state !== 'unknown') throw new LinliError('NOT_QUERYABLE', `payment is ${p.state}, not unknown`);
    this.#backoff.cancel(id);
    await this.#onPayment(id, () => this.#query(p, false));
    return p;
  }

  /** Voids an approved sale of the current batch (`V|ref`). */
  void(id: string): Promise<Payment> {
    const p = this.#must(id);
    return this.#onPayment(id, async () => {
      if (p.kind !== 'sale' || p.state !== 'approved' || p.settled)
        throw new LinliError('NOT_VOIDABLE', `payment is ${p.settled ? 'settled' : p.state}`);
      if (p.item === 'top-up' && p.residentId && this.balance(p.residentId) < p.amountFen)
        throw new LinliError('NOT_VOIDABLE', 'the top-up is already spent');
      const terminal = this.opts.terminal(p.deviceId);
      if (!terminal?.online) throw new LinliError('TERMINAL_OFFLINE', `terminal ${p.deviceId} is offline`);
      let traceNo: string;
      let terminalTime: string;
      try {
        const vr = await terminal.void(p.ref);
        if (vr.code !== '00')
          throw new LinliError('NOT_VOIDABLE', `the terminal refused the void (${vr.code})`);
        ({ traceNo, terminalTime } = vr);
      } catch (err) {
        if (!(err instanceof EcrError)) throw err;
        // The void may have reached the terminal: its answer to a query settles it.
        const q = await terminal.query(p.ref).catch(() => undefined);
        if (q?.outcome !== 'voided') throw new LinliError('TERMINAL_OFFLINE', `void failed: ${err.message}`);
        ({ traceNo, terminalTime } = q);
      }
      await recordVoided(this.#outcomes, p, traceNo, terminalTime);
      return p;
    });
  }

  /**
   * Asks a terminal whose link is down (it stopped acknowledging) about a ref no sale has: its
   * answer (`NF`) brings the link up again. The ECR link has no other probe; a closed port writes
   * nothing.
   */
  probe(deviceId: string): void {
    const terminal = this.opts.terminal(deviceId);
    if (!terminal || terminal.online || this.#probing.has(deviceId) || this.#stopped) return;
    this.#probing.add(deviceId);
    void terminal
      .query(PROBE_REF)
      .catch(() => undefined)
      .finally(() => this.#probing.delete(deviceId));
  }

  /** Queries an unknown payment once (before a settlement); never throws. */
  async queryOnce(id: string): Promise<void> {
    const p = this.state.payments[id];
    if (p?.state !== 'unknown') return;
    await this.#onPayment(id, () => this.#query(p, false)).catch(() => undefined);
  }

  #onPayment<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.#steps.onPayment(id, fn);
  }

  #serialCreate<T>(fn: () => Promise<T>): Promise<T> {
    return this.#steps.create(fn);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    return this.#steps.track(p);
  }

  #must(id: string): Payment {
    const p = this.state.payments[id];
    if (!p) throw new LinliError('NOT_FOUND', 'no such payment');
    return p;
  }

  /** Appends, applies and (unless `quiet`: more records of the same step follow) announces. */
  async #commit(type: string, body: Record<string, unknown>, quiet = false): Promise<Payment | undefined> {
    this.#committing++;
    let record: SyncRecord;
    try {
      record = await this.opts.records.append('payment', type, body);
      applyPaymentRecord(this.state, record);
    } finally {
      this.#committing--;
    }
    const p = typeof body.payment === 'string' ? this.state.payments[body.payment] : undefined;
    if (p && type.startsWith('payment.')) {
      this.#index.add(p);
      if (FINAL.has(p.state)) this.#prompts.delete(p.id);
      if (!quiet) this.emit('change', p);
    }
    return p;
  }

  #credited(p: Payment): boolean {
    return (this.state.accounts[p.residentId as string] ?? []).some(
      (e) => e.payment === p.id && e.amountFen > 0,
    );
  }

  #listen(terminal: TerminalPort): void {
    if (this.#listening.has(terminal)) return;
    this.#listening.add(terminal);
    terminal.on('event', (e) => {
      if (e.type !== 'terminal.prompt' && e.type !== 'terminal.result') return;
      const p = this.byRef(e.ref);
      if (!p || FINAL.has(p.state)) return;
      if (e.type === 'terminal.prompt') {
        this.#prompts.set(p.id, e.prompt);
        this.emit('prompt', { id: p.id, ref: p.ref, deviceId: p.deviceId, prompt: e.prompt });
        if (p.state === 'created') void this.#onPayment(p.id, () => this.#sent(p)).catch(this.#fail(p));
      } else if (p.state === 'unknown' && !this.#querying.has(p.id) && e.outcome !== 'in-progress') {
        // A result that came after its sale was given up on: it settles the payment at once.
        void this.#onPayment(p.id, () => this.#resolve(p, e, 'result')).catch(this.#fail(p));
      }
    });
  }

  #fail(p: Payment) {
    return (err: unknown) => this.emit('failure', { id: p.id, err });
  }

  async #runSale(p: Payment, terminal: TerminalPort): Promise<void> {
    try {
      const result = await terminal.sale(p.ref, p.amountFen, itemMemo(p.item), () => {
        void this.#onPayment(p.id, () => this.#sent(p)).catch(this.#fail(p));
      });
      await this.#onPayment(p.id, () => this.#resolve(p, result, 'result'));
    } catch (err) {
      const ecr = err instanceof EcrError ? err : undefined;
      await this.#onPayment(p.id, async () => {
        if (FINAL.has(p.state)) return;
        if (ecr?.reachedTerminal === 'no') {
          await this.#commit('payment.declined', {
            payment: p.id,
            ref: p.ref,
            code: 'NF',
            text: `not sent: ${ecr.code}`,
            via: 'result',
          });
          return;
        }
        if (!ecr) this.emit('failure', { id: p.id, err });
        await this.#unknown(p, ecr?.code === 'timeout' ? 'timeout' : 'link-down');
      }).catch(this.#fail(p));
    }
  }

  async #sent(p: Payment): Promise<void> {
    if (p.state === 'created') await this.#commit('payment.sent', { payment: p.id, ref: p.ref });
  }

  async #unknown(p: Payment, reason: UnknownReason): Promise<void> {
    if (FINAL.has(p.state) || p.state === 'unknown') return;
    await this.#commit('payment.unknown', { payment: p.id, ref: p.ref, reason });
    this.#backoff.forget(p.id);
    this.#schedule(p);
  }

  /** Next query of an unknown payment, after its backoff. */
  #schedule(p: Payment): void {
    if (this.#stopped || p.state !== 'unknown') return;
    this.#backoff.schedule(p.id, () => {
      this.#onPayment(p.id, () => this.#query(p, true)).catch(this.#fail(p));
    });
  }

  async #query(p: Payment, again: boolean): Promise<void> {
    if (p.state !== 'unknown') return;
    const terminal = this.opts.terminal(p.deviceId);
    let answer: TerminalResultEvent | undefined;
    // Even while its link is down: the query itself is what brings it back.
    if (terminal) {
      this.#listen(terminal);
      this.#querying.add(p.id);
      try {
        answer = await terminal.query(p.ref);
      } catch {
        answer = undefined; // offline, no answer: ask again later
      } finally {
        this.#querying.delete(p.id);
      }
    }
    if (answer && answer.outcome !== 'in-progress') await this.#resolve(p, answer, 'query');
    else {
      this.#backoff.failed(p.id);
      if (again || !this.#backoff.pending(p.id)) this.#schedule(p);
    }
  }

  /** A final answer of the terminal for a sale (its result, or the answer to a query). */
  async #resolve(p: Payment, r: TerminalResultEvent, via: 'result' | 'query'): Promise<void> {
    if (FINAL.has(p.state)) return;
    if (r.outcome === 'in-progress') return;
    this.#backoff.forget(p.id);
    if (r.outcome === 'approved' || r.outcome === 'voided') {
      await recordApproved(this.#outcomes, p, r, via);
      if (r.outcome === 'voided') await recordVoided(this.#outcomes, p, r.traceNo, r.terminalTime);
      return;
    }
    await this.#commit('payment.declined', { payment: p.id, ref: p.ref, code: r.code, text: r.text, via });
  }

  /** What the outcome records need of this service. */
  get #outcomes(): OutcomeDeps {
    return {
      commit: (type, body, quiet) => this.#commit(type, body, quiet),
      announce: (p) => this.emit('change', p),
      tokens: this.opts.tokens,
      now: this.opts.now ?? Date.now,
    };
  }

  /**
   * Appends a record of the `payment` stream and applies it (the settlement and account parts use
   * it); `quiet`: the change is announced by a later step (`announce`).
   */
  async commit(type: string, body: Record<string, unknown>, quiet = false): Promise<Payment | undefined> {
    return await this.#commit(type, body, quiet);
  }

  announce(p: Payment): void {
    this.emit('change', p);
  }

  /** The receipt of an account spend (no card number: paid from the account). */
  accountReceipt(p: Payment): Promise<Receipt> {
    return receiptFor(this.#outcomes, p, 'approved', '');
  }

  /** Serializes with the other creations (the account part's creation checks the same keys). */
  serialCreate<T>(fn: () => Promise<T>): Promise<T> {
    return this.#serialCreate(fn);
  }

  /** Runs a step of one payment after its others (the account part's tap and timeout). */
  onPayment<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.#onPayment(id, fn);
  }

  newRef(): string {
    return newRef((r) => this.#index.byRef(r) !== undefined);
  }
}
