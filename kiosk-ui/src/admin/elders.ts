import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { PublicContacts, ResidentView } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { ContactsForm } from './contacts-form';
import { ElderDetail } from './elder-detail';
import { ElderForm } from './elder-form';
import { errorText } from './error-text';
import { ResidentImport } from './resident-import';

const isElder = (r: ResidentView) => r.roles.includes('elder');

/** The list never holds health notes: they are shown in the detail only. */
function withoutNotes(r: ResidentView): ResidentView {
  const { healthNotes, ...rest } = r;
  return healthNotes === undefined ? r : rest;
}

/** Elders first, then by name as the admin's language sorts it. */
function sorted(list: ResidentView[], locale: string): ResidentView[] {
  return [...list].sort(
    (a, b) => Number(isElder(b)) - Number(isElder(a)) || a.name.localeCompare(b.name, locale),
  );
}

function ElderRow({ r, selected, onOpen }: { r: ResidentView; selected: boolean; onOpen: () => void }) {
  const { t } = useI18n();
  return html`<tr
    data-testid=${`elder-row-${r.id}`}
    class=${selected ? 'row-selected' : ''}
    aria-selected=${selected}
    onClick=${onOpen}
  >
    <td>
      <strong>${r.name}</strong> ${isElder(r) ? html`<span class="tag">${t('elderTag')}</span>` : null}
      ${r.roles.includes('party-member') ? html`<span class="tag tag-party">${t('partyTag')}</span>` : null}
      <div class="sub"><code>${r.id}</code>${r.branch ? ` · ${r.branch}` : ''}</div>
    </td>
    <td>${r.address || '—'}</td>
    <td data-testid=${`elder-badge-${r.id}`}>
      ${r.badge ? html`<code class="badge-code-cell">${r.badge.code}</code>` : html`<span class="empty">${t('noBadge')}</span>`}
    </td>
    <td class="num">
      <button type="button" class="secondary" onClick=${(e: Event) => {
        e.stopPropagation();
        onOpen();
      }}>${t('elderOpen')}</button>
    </td>
  </tr>`;
}

/**
 * The residents and elders section (staff read, admin write): the residents with elders first, a
 * form to register one, the import of a CSV or JSON file, the detail with the health notes, the
 * masked ID number and the cards, the printable QR badge, and the two public numbers every badge
 * shows.
 */
export function Elders({ canEdit, onAuthLost }: { canEdit: boolean; onAuthLost: () => void }) {
  const { t, locale } = useI18n();
  const [residents, setResidents] = useState<ResidentView[] | null>(null);
  const [contacts, setContacts] = useState<PublicContacts | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const props = useRef({ t, onAuthLost });
  props.current = { t, onAuthLost };

  const load = useCallback(async () => {
    try {
      const [list, numbers] = await Promise.all([
        api<ResidentView[]>('GET', '/api/residents'),
        api<PublicContacts>('GET', '/api/settings/contacts'),
      ]);
      setResidents(list.map(withoutNotes));
      setContacts(numbers);
      setError(null);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) props.current.onAuthLost();
      else setError(err instanceof HttpError ? errorText(err, props.current.t) : String(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const upsert = useCallback((r: ResidentView) => {
    const shown = withoutNotes(r);
    setResidents((list) => {
      if (!list) return list;
      return list.some((x) => x.id === r.id)
        ? list.map((x) => (x.id === r.id ? shown : x))
        : [...list, shown];
    });
  }, []);
  const onCreated = (r: ResidentView) => {
    upsert(r);
    setSelected(r.id);
  };

  const rows = residents ? sorted(residents, locale) : null;
  const elders = residents?.filter(isElder).length ?? 0;
  const side = selected
    ? html`<${ElderDetail}
        key=${selected}
        id=${selected}
        contacts=${contacts ?? {}}
        canEdit=${canEdit}
        onChanged=${upsert}
        onClose=${() => setSelected(null)}
        onAuthLost=${onAuthLost}
      />`
    : canEdit
      ? html`<${ElderForm} onSaved=${onCreated} />`
      : html`<p class="hint">${t('eldersReadOnly')}</p>`;

  return html`<section class="panel elders" data-testid="elders">
    <div class="panel-head">
      <h2>${t('eldersTitle')}</h2>
      ${residents ? html`<span class="count">${t('eldersCount', { n: elders, total: residents.length })}</span>` : null}
    </div>
    <p class="hint">${t('eldersHint')}</p>
    ${error ? html`<p class="form-error" role="alert" data-testid="elders-error">${error}</p>` : null}
    <div class="elders-layout">
      <div class="elders-main">
        ${rows === null && !error ? html`<p class="empty">${t('loading')}</p>` : null}
        ${rows !== null && rows.length === 0 ? html`<p class="empty">${t('eldersEmpty')}</p>` : null}
        ${
          rows !== null && rows.length > 0
            ? html`<div class="table-wrap">
                <table class="devices elders-table">
                  <thead>
                    <tr>
                      <th>${t('colName')}</th>
                      <th>${t('colAddress')}</th>
                      <th>${t('colBadge')}</th>
                      <th></th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map(
                      (r) =>
                        html`<${ElderRow} key=${r.id} r=${r} selected=${r.id === selected} onOpen=${() => setSelected(r.id)} />`,
                    )}
                  </tbody>
                </table>
              </div>`
            : null
        }
        ${canEdit ? html`<${ResidentImport} onImported=${() => void load()} />` : null}
        ${
          canEdit && contacts
            ? html`<${ContactsForm} contacts=${contacts} onSaved=${(c: PublicContacts) => setContacts(c)} />`
            : null
        }
      </div>
      <div class="elders-side">${side}</div>
    </div>
  </section>`;
}
