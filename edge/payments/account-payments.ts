/**
 * Account spends (docs/payments.md, "Resident-card account"): a payment waits for the next card
 * tap on its reader (`waiting-card`), then pays from the tapping resident's account — never below
 * zero (`NOFUNDS`); a card not bound, lost or revoked is declined (`CARD`), no tap in time
 * (`TIMEOUT`). The balance is derived from `account.*` records; the spend's approval and its debit
 * are both on disk before anyone hears of it.
 */
import { v7 } from 'uuid';
import type { CardTappedEvent } from '../../firmware-bridge/device-events.js';
import { LinliError } from '../errors.js';
import type { CardRow } from '../state/edge-state.js';
import { paymentItem } from './payment-items.js';
import type { Payment } from './payment-model.js';
import type { PaymentService } from './payment-service.js';

export interface AccountPaymentOptions {
  payments: PaymentService;
  /** `undefined`: no such device; `false`: it is no card reader. */
  isReader: (deviceId: string) => boolean | undefined;
  card: (uid: string) => CardRow | undefined;
  tapTimeoutMs: number;
  now?: () => number;
}

export interface NewAccountPayment {
  amountFen: number;
  item: string;
  readerId: string;
  idempotencyKey: string;
  kioskId?: string;
}

const DECLINE_TEXT = {
  NOFUNDS: 'balance too low',
  CARD: 'card not bound, lost or revoked',
  TIMEOUT: 'no card tap in time',
} as const;

export class AccountPayments {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #now: () => number;

  constructor(private readonly o: AccountPaymentOptions) {
    this.#now = o.now ?? Date.now;
  }

  /** Re-arms the tap timeout of every payment still waiting for a card (after a restart). */
  start(): void {
    for (const p of this.o.payments.list()) if (p.state === 'waiting-card') this.#arm(p);
  }

  stop(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  create(req: NewAccountPayment): Promise<{ payment: Payment; created: boolean }> {
    const { payments } = this.o;
    return payments.serialCreate(async () => {
      const known = payments.replay(req.idempotencyKey, { ...req, deviceId: req.readerId });
      if (known) return { payment: known, created: false };
      const item = paymentItem(req.item);
      if (!item || item.kind === 'sale')
        throw new LinliError('PAYMENT_INVALID', `${req.item} is not paid from the account`);
      const reader = this.o.isReader(req.readerId);
      if (reader === undefined) throw new LinliError('NOT_FOUND', `no device ${req.readerId}`);
      if (!reader) throw new LinliError('PAYMENT_INVALID', `${req.readerId} is not a card reader`);
      const holder = payments.holder(req.readerId);
      if (holder) throw new LinliError('TERMINAL_BUSY', `reader ${req.readerId} already waits for a tap`);
      const p = (await payments.commit('payment.created', {
        payment: v7(),
        ref: payments.newRef(),
        kind: 'account',
        item: req.item,
        amountFen: req.amountFen,
        deviceId: req.readerId,
        idempotencyKey: req.idempotencyKey,
        ...(req.kioskId ? { kioskId: req.kioskId } : {}),
      })) as Payment;
      this.#arm(p);
      return { payment: p, created: true };
    });
  }

  /** A card tap: taken (true) when a payment waits on this reader, and paid or declined. */
  tap(readerId: string, e: CardTappedEvent): boolean {
    const p = this.o.payments.holder(readerId);
    if (p?.state !== 'waiting-card') return false;
    this.o.payments
      .onPayment(p.id, () => this.#pay(p, e.uid))
      .catch((err: unknown) => this.o.payments.emit('failure', { id: p.id, err }));
    return true;
  }

  async #pay(p: Payment, uid: string): Promise<void> {
    if (p.state !== 'waiting-card') return;
    this.#disarm(p.id);
    const card = this.o.card(uid);
    if (card?.state !== 'active') return await this.#decline(p, 'CARD');
    const { payments } = this.o;
    if (payments.balance(card.residentId) < p.amountFen) return await this.#decline(p, 'NOFUNDS');
    const receipt = await payments.accountReceipt(p);
    const none = { maskedPan: '', authCode: '', traceNo: '', batchNo: '', terminalTime: '' };
    await payments.commit(
      'payment.approved',
      { payment: p.id, ref: p.ref, amountFen: p.amountFen, ...none, via: 'account', receipt },
      true,
    );
    await payments.commit('account.debited', {
      residentId: card.residentId,
      payment: p.id,
      amountFen: p.amountFen,
    });
    payments.announce(p);
  }

  async #decline(p: Payment, code: keyof typeof DECLINE_TEXT): Promise<void> {
    await this.o.payments.commit('payment.declined', {
      payment: p.id,
      ref: p.ref,
      code,
      text: DECLINE_TEXT[code],
      via: 'account',
    });
  }

  #arm(p: Payment): void {
    const due = Date.parse(p.createdAt) + this.o.tapTimeoutMs - this.#now();
    const timer = setTimeout(
      () => {
        this.#timers.delete(p.id);
        this.o.payments
          .onPayment(p.id, async () => {
            if (p.state === 'waiting-card') await this.#decline(p, 'TIMEOUT');
          })
          .catch((err: unknown) => this.o.payments.emit('failure', { id: p.id, err }));
      },
      Math.max(0, due),
    );
    timer.unref();
    this.#timers.set(p.id, timer);
  }

  #disarm(id: string): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }
}
