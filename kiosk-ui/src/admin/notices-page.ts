import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { MeResponse, NoticeInput, NoticeView } from '../../../edge/api/types';
import { api, type HttpError } from '../api';
import type { Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatDateTime } from '../time';
import { useNow } from '../use-now';
import { errorText } from './error-text';
import { can, useAction, useGet } from './points-load';

interface Form {
  title: string;
  body: string;
  from: string;
  until: string;
  pinned: boolean;
}

const EMPTY: Form = { title: '', body: '', from: '', until: '', pinned: false };

/** An ISO time as a `datetime-local` input shows it (the browser's zone, to the minute). */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function formOf(n: NoticeView): Form {
  return {
    title: n.title,
    body: n.body,
    from: toLocalInput(n.from),
    until: toLocalInput(n.until),
    pinned: Boolean(n.pinned),
  };
}

function inputOf(f: Form): NoticeInput {
  return {
    title: f.title.trim(),
    body: f.body,
    ...(f.from ? { from: new Date(f.from).toISOString() } : {}),
    ...(f.until ? { until: new Date(f.until).toISOString() } : {}),
    ...(f.pinned ? { pinned: true } : {}),
  };
}

function stateOf(n: NoticeView, now: number): 'current' | 'upcoming' | 'expired' {
  if (n.until && Date.parse(n.until) <= now) return 'expired';
  if (n.from && Date.parse(n.from) > now) return 'upcoming';
  return 'current';
}

function noticeError(err: HttpError, t: Translate): string {
  return err.body.code === 'NOTICE_INVALID'
    ? t('ntcErrInvalid', { msg: err.body.message })
    : errorText(err, t);
}

function NoticeForm({
  initial,
  onSave,
  onCancel,
  busy,
  testId,
}: {
  initial: Form;
  onSave: (f: Form) => void;
  onCancel: () => void;
  busy: boolean;
  testId: string;
}) {
  const { t } = useI18n();
  const [f, setF] = useState<Form>(initial);
  const set = (k: keyof Form) => (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    setF((x) => ({ ...x, [k]: k === 'pinned' ? el.checked : el.value }));
  };
  return html`<form
    class="notice-form"
    data-testid=${testId}
    onSubmit=${(e: Event) => {
      e.preventDefault();
      onSave(f);
    }}
  >
    <label class="field"><span>${t('ntcFieldTitle')}</span>
      <input name="title" required maxlength="100" value=${f.title} onInput=${set('title')} data-testid="notice-title" />
    </label>
    <label class="field"><span>${t('ntcFieldBody')}</span>
      <textarea name="body" rows="4" maxlength="4000" value=${f.body} onInput=${set('body')} data-testid="notice-body"></textarea>
    </label>
    <div class="notice-times">
      <label class="field"><span>${t('ntcFieldFrom')}</span>
        <input type="datetime-local" name="from" value=${f.from} onInput=${set('from')} data-testid="notice-from" />
      </label>
      <label class="field"><span>${t('ntcFieldUntil')}</span>
        <input type="datetime-local" name="until" value=${f.until} onInput=${set('until')} data-testid="notice-until" />
      </label>
      <label class="check"><input type="checkbox" checked=${f.pinned} onChange=${set('pinned')} data-testid="notice-pinned" /> ${t('ntcFieldPinned')}</label>
    </div>
    <div class="form-buttons">
      <button type="submit" disabled=${busy} data-testid="notice-save">${busy ? t('ntcSaving') : t('ntcSave')}</button>
      <button type="button" class="secondary" onClick=${onCancel}>${t('ntcCancel')}</button>
    </div>
  </form>`;
}

/**
 * Notices for the residents (`#notices`): every notice with whether it shows now, pinned first.
 * Staff and admins publish, edit and delete; viewers read. The kiosk shows the current ones.
 */
export function NoticesPage({ me, onAuthLost }: { me: MeResponse; onAuthLost: () => void }) {
  const { t, locale } = useI18n();
  const now = useNow(30_000);
  const list = useGet<NoticeView[]>('/api/notices', onAuthLost);
  const action = useAction(onAuthLost);
  const [editing, setEditing] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const canEdit = can(me.role, 'staff');

  const save = async (id: string | 'new', f: Form) => {
    setMessage(null);
    const ok = await action.run(async () => {
      if (id === 'new') await api<NoticeView>('POST', '/api/notices', inputOf(f));
      else await api<NoticeView>('PUT', `/api/notices/${encodeURIComponent(id)}`, inputOf(f));
      await list.reload();
    });
    if (ok) {
      setEditing(null);
      setMessage(t('ntcSaved'));
    }
  };
  const remove = async (n: NoticeView) => {
    if (!window.confirm(t('ntcConfirmDelete', { title: n.title }))) return;
    await action.run(async () => {
      await api<void>('DELETE', `/api/notices/${encodeURIComponent(n.id)}`);
      await list.reload();
    });
  };
  const when = (iso: string | undefined, fallback: string) => (iso ? formatDateTime(iso, locale) : fallback);

  return html`<section class="panel notices" data-testid="notices">
    <div class="panel-head">
      <h2>${t('ntcTitle')}</h2>
      ${list.data ? html`<span class="count">${list.data.length}</span>` : null}
    </div>
    <p class="hint">${t('ntcHint')}</p>
    ${list.error ? html`<p class="form-error" role="alert">${errorText(list.error, t)}</p>` : null}
    ${action.error ? html`<p class="form-error" role="alert" data-testid="notice-error">${noticeError(action.error, t)}</p>` : null}
    ${message ? html`<p class="notice-ok" role="status" data-testid="notice-message">${message}</p>` : null}
    ${
      canEdit && editing !== 'new'
        ? html`<button type="button" data-testid="notice-new" onClick=${() => {
            action.clear();
            setEditing('new');
          }}>${t('ntcNew')}</button>`
        : null
    }
    ${
      editing === 'new'
        ? html`<${NoticeForm} initial=${EMPTY} busy=${action.busy} testId="notice-form-new"
            onSave=${(f: Form) => void save('new', f)} onCancel=${() => setEditing(null)} />`
        : null
    }
    ${list.data === null && !list.error ? html`<p class="empty">${t('loading')}</p>` : null}
    ${list.data?.length === 0 ? html`<p class="empty">${t('ntcEmpty')}</p>` : null}
    <ul class="notice-list">
      ${(list.data ?? []).map((n) => {
        const state = stateOf(n, now);
        return html`<li key=${n.id} class=${`notice-item ${state}`} data-testid="notice-item" data-state=${state}>
          ${
            editing === n.id
              ? html`<${NoticeForm} initial=${formOf(n)} busy=${action.busy} testId="notice-form-edit"
                  onSave=${(f: Form) => void save(n.id, f)} onCancel=${() => setEditing(null)} />`
              : html`<div class="notice-head">
                  <h3 data-testid="notice-item-title">${n.title}</h3>
                  ${n.pinned ? html`<span class="tag pinned">${t('ntcPinned')}</span>` : null}
                  <span class=${`tag state-${state}`}>${t(`ntcState_${state}`)}</span>
                </div>
                <p class="notice-text">${n.body}</p>
                <p class="sub">${t('ntcShown', { from: when(n.from, t('ntcNow')), until: when(n.until, t('ntcForever')) })}</p>
                ${
                  canEdit
                    ? html`<div class="form-buttons">
                      <button type="button" class="secondary" data-testid="notice-edit" onClick=${() => {
                        action.clear();
                        setEditing(n.id);
                      }}>${t('ntcEdit')}</button>
                      <button type="button" class="secondary danger" data-testid="notice-delete" disabled=${action.busy}
                        onClick=${() => void remove(n)}>${t('ntcDelete')}</button>
                    </div>`
                    : null
                }`
          }
        </li>`;
      })}
    </ul>
  </section>`;
}
