import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { PublicContacts, ResidentView } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { formatDateTime } from '../time';
import { BadgePanel } from './badge-card';
import { ElderForm } from './elder-form';
import { errorText } from './error-text';
import { ResidentCards } from './resident-cards';

/**
 * One resident, read with the health notes (`GET /api/residents/{id}`, staff): the only place the
 * notes are shown; the ID number only ever masked. Admins edit the profile here, bind cards and
 * report them lost, and issue, re-issue or revoke the badge.
 */
export function ElderDetail({
  id,
  contacts,
  canEdit,
  onChanged,
  onClose,
  onAuthLost,
}: {
  id: string;
  contacts: PublicContacts;
  canEdit: boolean;
  onChanged: (r: ResidentView) => void;
  onClose: () => void;
  onAuthLost: () => void;
}) {
  const { t, locale } = useI18n();
  const [resident, setResident] = useState<ResidentView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const props = useRef({ t, onChanged, onAuthLost });
  props.current = { t, onChanged, onAuthLost };

  const load = useCallback(async () => {
    try {
      const r = await api<ResidentView>('GET', `/api/residents/${encodeURIComponent(id)}`);
      setResident(r);
      setError(null);
      props.current.onChanged(r);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) props.current.onAuthLost();
      else setError(err instanceof HttpError ? errorText(err, props.current.t) : String(err));
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  const onSaved = (r: ResidentView) => {
    setResident(r);
    setEditing(false);
    setSaved(true);
    onChanged(r);
  };

  const head = html`<div class="panel-head">
    <h3>${resident?.name ?? id}</h3>
    ${resident?.roles.includes('elder') ? html`<span class="tag">${t('elderTag')}</span>` : null}
    ${resident?.roles.includes('party-member') ? html`<span class="tag tag-party">${t('partyTag')}</span>` : null}
    <span class="count">${resident ? t('updatedAt', { time: formatDateTime(resident.updatedAt, locale) }) : ''}</span>
    <button type="button" class="secondary" data-testid="elder-close" onClick=${onClose}>${t('elderClose')}</button>
  </div>`;

  if (!resident)
    return html`<section class="elder-detail" data-testid=${`elder-detail-${id}`}>
      ${head}
      ${error ? html`<p class="form-error" role="alert">${error}</p>` : html`<p class="empty">${t('loading')}</p>`}
    </section>`;

  if (editing)
    return html`<section class="elder-detail" data-testid=${`elder-detail-${id}`}>
      ${head}
      <${ElderForm} resident=${resident} onSaved=${onSaved} onCancel=${() => setEditing(false)} />
    </section>`;

  const contactsList = resident.emergencyContacts;
  return html`<section class="elder-detail" data-testid=${`elder-detail-${id}`}>
    ${head}
    ${saved ? html`<p class="notice-ok" role="status">${t('elderSaved', { name: resident.name })}</p>` : null}
    <dl class="elder-facts">
      <dt>${t('elderId')}</dt>
      <dd><code>${resident.id}</code></dd>
      <dt>${t('colAddress')}</dt>
      <dd data-testid="elder-address">${resident.address || '—'}</dd>
      ${
        resident.community || resident.building || resident.unit || resident.room
          ? html`<dt>${t('homeTitle')}</dt>
              <dd class="home-parts" data-testid="elder-home">
                ${[
                  [t('elderCommunity'), resident.community],
                  [t('elderBuilding'), resident.building],
                  [t('elderUnit'), resident.unit],
                  [t('elderRoom'), resident.room],
                ]
                  .filter(([, v]) => v)
                  .map(([k, v]) => html`<span><span class="sub">${k}</span> ${v}</span>`)}
              </dd>`
          : null
      }
      <dt>${t('contactPhone')}</dt>
      <dd>${resident.phone || '—'}</dd>
      ${resident.branch ? html`<dt>${t('elderBranch')}</dt><dd data-testid="elder-branch">${resident.branch}</dd>` : null}
      <dt>${t('idNumber')}</dt>
      <dd>
        ${
          resident.idNumberMasked
            ? html`<code data-testid="elder-idnumber">${resident.idNumberMasked}</code>`
            : html`<span class="empty" data-testid="elder-idnumber">${t('idNumberNone')}</span>`
        }
      </dd>
      <dt>${t('contactsTitle')}</dt>
      <dd>
        ${
          contactsList.length === 0
            ? html`<span class="empty">${t('contactsNone')}</span>`
            : html`<ul class="contact-list" data-testid="elder-contacts">
                ${contactsList.map(
                  (c, i) => html`<li key=${i}>
                    <span>${c.name}</span>
                    ${c.relation ? html`<span class="sub">${c.relation}</span>` : null}
                    <a href=${`tel:${c.phone}`}>${c.phone}</a>
                  </li>`,
                )}
              </ul>`
        }
      </dd>
    </dl>
    <div class="notes-box">
      <h4>${t('healthNotes')}</h4>
      ${
        resident.healthNotes
          ? html`<p class="notes" data-testid="elder-notes">${resident.healthNotes}</p>`
          : html`<p class="empty" data-testid="elder-notes">${t('notesNone')}</p>`
      }
      <p class="sensitive"><strong>${t('sensitiveTag')}</strong> ${t('healthNotesSensitive')}</p>
    </div>
    ${
      canEdit
        ? html`<div class="form-buttons">
            <button type="button" class="secondary" data-testid="elder-edit" onClick=${() => {
              setSaved(false);
              setEditing(true);
            }}>${t('elderEditButton')}</button>
          </div>`
        : null
    }
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
    <${ResidentCards} resident=${resident} canEdit=${canEdit} onAuthLost=${onAuthLost} />
    <${BadgePanel} resident=${resident} contacts=${contacts} canEdit=${canEdit} onChanged=${load} />
  </section>`;
}
