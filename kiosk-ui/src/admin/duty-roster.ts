import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { DutyEntry } from '../alarm-types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { errorText } from './error-text';

interface Row {
  key: number;
  name: string;
  phone: string;
  level: string;
  from: string;
  to: string;
}
type Field = Exclude<keyof Row, 'key'>;

const LEVELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
let nextKey = 1;

function toRow(e: DutyEntry): Row {
  return {
    key: nextKey++,
    name: e.name,
    phone: e.phone ?? '',
    level: String(e.level),
    from: e.from ?? '',
    to: e.to ?? '',
  };
}

/** A row as the API takes it: empty optional fields left out. */
function toEntry(r: Row): DutyEntry {
  const phone = r.phone.replace(/[\s-]/g, '');
  return {
    name: r.name.trim(),
    level: Number(r.level),
    ...(phone ? { phone } : {}),
    ...(r.from ? { from: r.from } : {}),
    ...(r.to ? { to: r.to } : {}),
  };
}

function ReadOnly({ rows }: { rows: Row[] }) {
  const { t } = useI18n();
  return html`<tbody>
    ${rows.map(
      (r, i) => html`<tr key=${r.key} data-testid=${`duty-row-${i}`}>
        <td>${r.name}</td>
        <td>${r.phone}</td>
        <td class="num">${r.level}</td>
        <td colspan="2">${r.from || r.to ? `${r.from || '00:00'} – ${r.to || '24:00'}` : t('dutyAllDay')}</td>
      </tr>`,
    )}
  </tbody>`;
}

/** The duty roster: who is alerted at which escalation level, and when. Admins edit it; staff read it. */
export function DutyRoster({ canEdit }: { canEdit: boolean }) {
  const { t } = useI18n();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const tRef = useRef(t);
  tRef.current = t;

  const load = useCallback(async () => {
    try {
      setRows((await api<DutyEntry[]>('GET', '/api/duty')).map(toRow));
      setDirty(false);
    } catch (err) {
      setMessage({ ok: false, text: err instanceof HttpError ? errorText(err, tRef.current) : String(err) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const edit = (key: number, field: Field, value: string) => {
    setRows((rs) => rs?.map((r) => (r.key === key ? { ...r, [field]: value } : r)) ?? null);
    setDirty(true);
    setMessage(null);
  };
  const add = () => {
    const top = Math.max(-1, ...(rows ?? []).map((r) => Number(r.level)));
    setRows((rs) => [...(rs ?? []), toRow({ name: '', level: Math.min(9, top + 1) })]);
    setDirty(true);
  };
  const remove = (key: number) => {
    setRows((rs) => rs?.filter((r) => r.key !== key) ?? null);
    setDirty(true);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!rows) return;
    setBusy(true);
    setMessage(null);
    try {
      const saved = await api<DutyEntry[]>('PUT', '/api/duty', rows.map(toEntry));
      setRows(saved.map(toRow));
      setDirty(false);
      setMessage({ ok: true, text: t('dutySaved') });
    } catch (err) {
      setMessage({ ok: false, text: err instanceof HttpError ? errorText(err, t) : String(err) });
    } finally {
      setBusy(false);
    }
  };

  const input = (r: Row, field: Field, extra: Record<string, string | boolean> = {}) =>
    html`<input
      ...${extra}
      data-testid=${`duty-${field}-${rows?.indexOf(r) ?? 0}`}
      value=${r[field]}
      onInput=${(e: Event) => edit(r.key, field, (e.currentTarget as HTMLInputElement).value)}
    />`;

  return html`<section class="panel duty" data-testid="duty-roster">
    <div class="panel-head">
      <h2>${t('dutyTitle')}</h2>
      ${dirty ? html`<span class="count unsaved">${t('dutyUnsaved')}</span>` : null}
    </div>
    <p class="hint">${canEdit ? t('dutyHint') : `${t('dutyHint')} ${t('dutyReadOnly')}`}</p>
    ${rows === null && !message ? html`<p class="empty">${t('loading')}</p>` : null}
    ${rows !== null && rows.length === 0 && !canEdit ? html`<p class="empty">${t('dutyEmpty')}</p>` : null}
    ${
      rows !== null && (rows.length > 0 || canEdit)
        ? html`<form onSubmit=${save}>
          <div class="table-wrap">
            <table class="devices duty-table">
              <thead>
                <tr>
                  <th>${t('dutyName')}</th>
                  <th>${t('dutyPhone')}</th>
                  <th>${t('dutyLevel')}</th>
                  <th>${t('dutyFrom')}</th>
                  <th>${t('dutyTo')}</th>
                  ${canEdit ? html`<th></th>` : null}
                </tr>
              </thead>
              ${
                canEdit
                  ? html`<tbody>
                    ${rows.map(
                      (r, i) => html`<tr key=${r.key} data-testid=${`duty-row-${i}`}>
                        <td>${input(r, 'name', { required: true, maxlength: '64', 'aria-label': t('dutyName') })}</td>
                        <td>${input(r, 'phone', { type: 'tel', pattern: '\\+?[0-9 \\-]{5,24}', 'aria-label': t('dutyPhone') })}</td>
                        <td>
                          <select
                            data-testid=${`duty-level-${i}`}
                            aria-label=${t('dutyLevel')}
                            value=${r.level}
                            onChange=${(e: Event) => edit(r.key, 'level', (e.currentTarget as HTMLSelectElement).value)}
                          >
                            ${LEVELS.map((l) => html`<option key=${l} value=${l}>${l}</option>`)}
                          </select>
                        </td>
                        <td>${input(r, 'from', { type: 'time', 'aria-label': t('dutyFrom') })}</td>
                        <td>${input(r, 'to', { type: 'time', 'aria-label': t('dutyTo') })}</td>
                        <td>
                          <button type="button" class="secondary" data-testid=${`duty-remove-${i}`} onClick=${() => remove(r.key)}>
                            ${t('dutyRemove')}
                          </button>
                        </td>
                      </tr>`,
                    )}
                  </tbody>`
                  : html`<${ReadOnly} rows=${rows} />`
              }
            </table>
          </div>
          ${rows.length === 0 ? html`<p class="empty">${t('dutyEmpty')}</p>` : null}
          ${
            canEdit
              ? html`<div class="duty-buttons">
                <button type="button" class="secondary" data-testid="duty-add" onClick=${add}>${t('dutyAdd')}</button>
                <button type="submit" data-testid="duty-save" disabled=${busy || !dirty}>${busy ? t('dutySaving') : t('dutySave')}</button>
              </div>`
              : null
          }
        </form>`
        : null
    }
    ${message ? html`<p class=${message.ok ? 'notice-ok' : 'form-error'} role="status" data-testid="duty-message">${message.text}</p>` : null}
  </section>`;
}
