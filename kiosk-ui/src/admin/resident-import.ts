import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ApiError, ImportField, ImportProblem, ImportReport } from '../../../edge/api/types';
import { HttpError } from '../api';
import type { MessageKey, Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { errorText } from './error-text';

/** As the edge takes it (edge/residents/resident-import.ts IMPORT_MAX_BYTES): checked before uploading. */
const MAX_BYTES = 4 * 1024 * 1024;
const TEMPLATE_HEADER = '居民编号,姓名,社区,楼栋,单元,房号,电话,身份证号,党支部,角色,卡号,卡类型\r\n';

/** The type the edge reads the file as: by its name first (Windows calls a .csv "vnd.ms-excel"). */
function typeOf(file: File): string {
  if (/\.json$/i.test(file.name)) return 'application/json';
  if (/\.(csv|tsv|txt)$/i.test(file.name)) return 'text/csv';
  return file.type || 'application/octet-stream';
}

/**
 * `POST /api/residents/import` with the file's bytes as they are (the edge detects GBK, UTF-8,
 * BOMs). A refused file (422 `IMPORT_REFUSED`) still answers its report, which is what we show.
 */
async function upload(file: File, dryRun: boolean): Promise<ImportReport> {
  let res: Response;
  try {
    res = await fetch(`/api/residents/import${dryRun ? '?dryRun=1' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': typeOf(file), Accept: 'application/json' },
      credentials: 'same-origin',
      body: await file.arrayBuffer(),
    });
  } catch (err) {
    throw new HttpError({
      statusCode: 0,
      code: 'NETWORK',
      error: 'Network Error',
      message: err instanceof Error ? err.message : String(err),
    });
  }
  const text = await res.text();
  let body: (Partial<ApiError> & { report?: ImportReport }) | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok) return body as ImportReport;
  if (body?.report) return body.report;
  throw new HttpError({
    statusCode: res.status,
    code: body?.code ?? `HTTP_${res.status}`,
    error: body?.error ?? res.statusText,
    message: body?.message ?? (text.slice(0, 200) || res.statusText),
  });
}

/** Column names as the admin's language writes them in a header. */
const FIELD_LABEL: Record<ImportField, MessageKey> = {
  id: 'elderId',
  name: 'elderName',
  community: 'elderCommunity',
  building: 'elderBuilding',
  unit: 'elderUnit',
  room: 'elderRoom',
  address: 'colAddress',
  phone: 'contactPhone',
  idNumber: 'idNumber',
  branch: 'elderBranch',
  roles: 'rolesTitle',
  cardUid: 'cardUidShort',
  cardKind: 'cardKind',
};

/** A refusal in the admin's language: the code's text, and which other row or resident it clashes with. */
function reason(p: ImportProblem, t: Translate): string {
  const known = t(`imp_${p.code}` as MessageKey) as string | undefined;
  let text = known ?? p.message;
  if (p.otherLine !== undefined) text += t('importAnother', { line: p.otherLine });
  else if (p.otherRow !== undefined) text += t('importAnother', { line: `#${p.otherRow}` });
  if (p.residentId) text += t('importHolder', { id: p.residentId });
  return text;
}

const changes = (r: ImportReport) => r.created + r.updated + r.cardsBound;

const ENCODINGS: Record<string, string> = {
  'utf-8': 'UTF-8',
  gb18030: 'GBK/GB18030',
  'utf-16le': 'UTF-16LE',
  'utf-16be': 'UTF-16BE',
};

function Report({ report, t }: { report: ImportReport; t: Translate }) {
  const refused = report.problems.length > 0;
  return html`<div class="import-report" data-testid="import-report">
    <p class="import-summary" data-testid="import-summary">
      ${
        refused
          ? t('importRows', { rows: report.rows })
          : t('importSummary', {
              rows: report.rows,
              created: report.created,
              updated: report.updated,
              unchanged: report.unchanged,
              cards: report.cardsBound,
            })
      }
    </p>
    ${
      refused
        ? html`<p class="form-error" role="alert" data-testid="import-refused">
              ${t('importRefused', { n: report.refusedRows || report.problems.length })}
            </p>
            <div class="table-wrap">
              <table class="devices import-problems" data-testid="import-problems">
                <thead>
                  <tr>
                    <th class="num">${t('importColLine')}</th>
                    <th>${t('importColField')}</th>
                    <th>${t('importColReason')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${report.problems.map(
                    (
                      p,
                      i,
                    ) => html`<tr key=${i} data-testid=${`import-problem-${i}`} data-line=${p.line ?? ''} data-code=${p.code}>
                      <td class="num">${p.row === undefined ? `${p.line ?? ''} (${t('importHeader')})` : (p.line ?? `#${p.row}`)}</td>
                      <td>${p.field ? t(FIELD_LABEL[p.field]) : p.column !== undefined ? `#${p.column}` : ''}</td>
                      <td title=${p.message}>${reason(p, t)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : null
    }
  </div>`;
}

type Step =
  | { kind: 'idle' }
  | { kind: 'checking'; file: File }
  | { kind: 'checked'; file: File; report: ImportReport }
  | { kind: 'applying'; file: File; report: ImportReport }
  | { kind: 'done'; report: ImportReport };

/**
 * Import of residents and cards (admin): choose a file, read the dry-run report (every refused
 * row by line, with its reason), then import — possible only when nothing is refused, since the
 * edge applies all rows or none.
 */
export function ResidentImport({ onImported }: { onImported: () => void }) {
  const { t } = useI18n();
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const [inputKey, setInputKey] = useState(0);

  const fail = (err: unknown) =>
    setError(err instanceof HttpError ? errorText(err, t) : err instanceof Error ? err.message : String(err));

  const choose = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    setError(null);
    if (!file) return setStep({ kind: 'idle' });
    if (file.size > MAX_BYTES) {
      setStep({ kind: 'idle' });
      return setError(t('importTooBig'));
    }
    setStep({ kind: 'checking', file });
    try {
      setStep({ kind: 'checked', file, report: await upload(file, true) });
    } catch (err) {
      setStep({ kind: 'idle' });
      fail(err);
    }
  };

  const apply = async () => {
    if (step.kind !== 'checked') return;
    setStep({ kind: 'applying', file: step.file, report: step.report });
    setError(null);
    try {
      const report = await upload(step.file, false);
      if (report.applied || report.problems.length === 0) {
        setStep({ kind: 'done', report });
        setInputKey((k) => k + 1);
        onImported();
      } else {
        // Something changed since the check (another edit): show the new report.
        setStep({ kind: 'checked', file: step.file, report });
      }
    } catch (err) {
      setStep({ kind: 'checked', file: step.file, report: step.report });
      fail(err);
    }
  };

  const template = () => {
    const blob = new Blob(['\ufeff', TEMPLATE_HEADER], { type: 'text/csv;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'residents-template.csv';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  const report = step.kind === 'checked' || step.kind === 'applying' ? step.report : null;
  const file = step.kind === 'idle' || step.kind === 'done' ? null : step.file;
  return html`<details class="resident-import" data-testid="import-panel">
    <summary data-testid="import-open">${t('importTitle')}</summary>
    <p class="hint">${t('importHint')}</p>
    <div class="form-buttons">
      <label class="field file-pick">
        <span>${t('importChoose')}</span>
        <input
          key=${inputKey}
          type="file"
          accept=".csv,.tsv,.txt,.json,text/csv,application/json"
          data-testid="import-file"
          disabled=${step.kind === 'checking' || step.kind === 'applying'}
          onChange=${(e: Event) => void choose(e)}
        />
      </label>
      <button type="button" class="secondary" data-testid="import-template" onClick=${template}>${t('importTemplate')}</button>
    </div>
    ${step.kind === 'checking' ? html`<p class="empty" role="status">${t('importChecking')}</p>` : null}
    ${
      file && report
        ? html`<p class="sub" data-testid="import-file-info">
            ${t('importFile', {
              name: file.name,
              format: report.format.toUpperCase(),
              encoding: ENCODINGS[report.encoding] ?? report.encoding,
              bom: report.bom ? t('importBom') : '',
            })}
          </p>`
        : null
    }
    ${report ? html`<${Report} report=${report} t=${t} />` : null}
    ${
      report && report.problems.length === 0
        ? html`<p class="notice-ok" data-testid="import-clean">
              ${changes(report) > 0 ? t('importClean') : t('importNothing')}
            </p>
            ${
              changes(report) > 0
                ? html`<div class="form-buttons">
                    <button type="button" data-testid="import-apply" disabled=${step.kind === 'applying'} onClick=${() => void apply()}>
                      ${step.kind === 'applying' ? t('importApplying') : t('importApply', { rows: report.rows })}
                    </button>
                  </div>`
                : null
            }`
        : null
    }
    ${
      step.kind === 'done'
        ? html`<p class="notice-ok" role="status" data-testid="import-done">
            ${
              step.report.applied
                ? t('importDone', {
                    created: step.report.created,
                    updated: step.report.updated,
                    cards: step.report.cardsBound,
                  })
                : t('importNothing')
            }
          </p>`
        : null
    }
    ${error ? html`<p class="form-error" role="alert" data-testid="import-error">${error}</p>` : null}
  </details>`;
}
