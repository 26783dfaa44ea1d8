/**
 * A reconciliation report as CSV for the accounts office (UTF-8 with a BOM, so spreadsheet
 * programs read the Chinese right): a summary line, one line per payment of the batch and one per
 * mismatch.
 */
import type { ReconciliationReport } from './payment-model.js';

const cell = (v: string | number | undefined): string => {
  const s = v === undefined ? '' : String(v);
  // A leading =, +, - or @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function reconciliationCsv(r: ReconciliationReport): string {
  const rows: (string | number | undefined)[][] = [
    [
      'line',
      'report',
      'deviceId',
      'batchNo',
      'at',
      'paymentId',
      'ref',
      'item',
      'amountFen',
      'state',
      'detail',
    ],
    [
      'summary',
      r.id,
      r.deviceId,
      r.batchNo,
      r.at,
      '',
      '',
      '',
      r.edge.totalFen,
      r.matched ? 'matched' : 'mismatch',
      `edge ${r.edge.count}/${r.edge.totalFen}, terminal ${r.terminal.count}/${r.terminal.totalFen}`,
    ],
    ...r.payments.map((p) => [
      'payment',
      r.id,
      r.deviceId,
      r.batchNo,
      r.at,
      p.id,
      p.ref,
      p.item,
      p.amountFen,
      p.state,
      '',
    ]),
    ...r.mismatches.map((m) => [
      'mismatch',
      r.id,
      r.deviceId,
      r.batchNo,
      r.at,
      m.paymentId,
      m.ref,
      '',
      m.amountFen,
      m.kind,
      m.detail,
    ]),
  ];
  return `\uFEFF${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}
