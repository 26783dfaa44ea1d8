/**
 * Settlement and reconciliation (docs/payments.md): an unknown payment is queried once more, `T`
 * closes the terminal's batch, and the terminal's count and total (`TR`) are compared with the
 * edge's own approved-minus-voided sales since that terminal's last settlement. The result is
 * written as `settlement.closed` and `reconciliation.made` before anyone is answered.
 */
import { v7 } from 'uuid';
import { EcrError } from '../../firmware-bridge/bank-terminal/ecr-error.js';
import { LinliError } from '../errors.js';
import type { ReconciliationReport } from './payment-model.js';
import type { PaymentService } from './payment-service.js';

export type SettleTrigger = ReconciliationReport['trigger'];

export class SettlementService {
  /** Settlements in progress, by terminal: one at a time each. */
  readonly #running = new Map<string, Promise<ReconciliationReport>>();

  constructor(
    private readonly payments: PaymentService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Settles a terminal now; resolves with the reconciliation report once it is on disk. */
  settle(deviceId: string, trigger: SettleTrigger): Promise<ReconciliationReport> {
    if (this.#running.has(deviceId))
      return Promise.reject(new LinliError('TERMINAL_BUSY', `terminal ${deviceId} is settling`));
    const run = this.#settle(deviceId, trigger).finally(() => {
      this.#running.delete(deviceId);
      this.payments.settling.delete(deviceId);
    });
    this.#running.set(deviceId, run);
    return run;
  }

  list(): ReconciliationReport[] {
    return [...this.payments.state.reconciliations].sort((a, b) => (a.at < b.at ? 1 : -1));
  }

  get(id: string): ReconciliationReport | undefined {
    return this.payments.state.reconciliations.find((r) => r.id === id);
  }

  async #settle(deviceId: string, trigger: SettleTrigger): Promise<ReconciliationReport> {
    const terminal = this.payments.opts.terminal(deviceId);
    if (terminal === undefined) throw new LinliError('NOT_FOUND', `no device ${deviceId}`);
    if (terminal === null) throw new LinliError('PAYMENT_INVALID', `${deviceId} is not a bank terminal`);
    const batch = () =>
      this.payments.list().filter((p) => p.kind === 'sale' && p.deviceId === deviceId && !p.settled);
    if (batch().some((p) => p.state === 'created' || p.state === 'sent'))
      throw new LinliError('TERMINAL_BUSY', `terminal ${deviceId} has a sale in progress`);
    this.payments.settling.add(deviceId); // no new sale until the batch is closed
    for (const p of batch()) if (p.state === 'unknown') await this.payments.queryOnce(p.id);
    if (!terminal.online) throw new LinliError('TERMINAL_OFFLINE', `terminal ${deviceId} is offline`);
    let tr: Awaited<ReturnType<typeof terminal.settle>>;
    try {
      tr = await terminal.settle();
    } catch (err) {
      if (err instanceof EcrError)
        throw new LinliError('TERMINAL_OFFLINE', `settlement failed: ${err.message}`);
      throw err;
    }
    const payments = batch().filter(
      (p) => p.state === 'approved' || p.state === 'voided' || p.state === 'unknown',
    );
    const approved = payments.filter((p) => p.state === 'approved');
    const edge = { count: approved.length, totalFen: approved.reduce((s, p) => s + p.amountFen, 0) };
    const mismatches: ReconciliationReport['mismatches'] = payments
      .filter((p) => p.state === 'unknown')
      .map((p) => ({
        kind: 'unknown-at-settlement',
        paymentId: p.id,
        ref: p.ref,
        amountFen: p.amountFen,
        detail: 'still unknown when the batch was closed',
      }));
    if (edge.count !== tr.count)
      mismatches.push({ kind: 'count', detail: `edge counts ${edge.count}, terminal ${tr.count}` });
    if (edge.totalFen !== tr.totalFen)
      mismatches.push({
        kind: 'total',
        amountFen: tr.totalFen - edge.totalFen,
        detail: `edge totals ${edge.totalFen} fen, terminal ${tr.totalFen} fen`,
      });
    const report: ReconciliationReport = {
      id: v7(),
      deviceId,
      batchNo: tr.batchNo,
      at: new Date(this.now()).toISOString(),
      trigger,
      edge,
      terminal: { count: tr.count, totalFen: tr.totalFen },
      matched: mismatches.length === 0,
      payments: payments.map(({ id, ref, item, amountFen, state }) => ({ id, ref, item, amountFen, state })),
      mismatches,
    };
    await this.payments.commit('settlement.closed', {
      deviceId,
      batchNo: tr.batchNo,
      count: tr.count,
      totalFen: tr.totalFen,
      trigger,
    });
    await this.payments.commit('reconciliation.made', { ...report });
    return report;
  }
}
