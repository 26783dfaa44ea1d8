import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { BadgeIssued, ContactNumber, PublicContacts, ResidentView } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { makeTranslate } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatDateTime } from '../time';
import { errorText } from './error-text';

/** The card speaks Chinese first and English second, whatever the admin's language. */
const zh = makeTranslate('zh');
const en = makeTranslate('en');

/** The QR image (staff; the session cookie authenticates it). The code in the query makes a new badge reload it. */
export function badgeSvgUrl(id: string, code: string): string {
  return `/api/residents/${encodeURIComponent(id)}/badge.svg?v=${encodeURIComponent(code)}`;
}

function ContactLine({
  label,
  labelEn,
  contact,
}: {
  label: string;
  labelEn: string;
  contact?: ContactNumber;
}) {
  return html`<div class="card-number">
    <span class="card-number-name">${contact?.name || label} <span lang="en">${labelEn}</span></span>
    <strong class="card-number-phone">${contact?.phone || zh('cardUnset')}</strong>
  </div>`;
}

/**
 * The printable badge, 85 × 54 mm: the QR (an opaque token, nothing about the elder), the code
 * to read aloud, and the community's and the police's numbers. No name, no address: a stranger
 * who finds the elder learns whom to call, not who the elder is.
 */
export function BadgeCard({ id, code, contacts }: { id: string; code: string; contacts: PublicContacts }) {
  return html`<article class="badge-card" data-testid="badge-card" lang="zh-CN">
    <img class="badge-qr" data-testid="badge-qr" src=${badgeSvgUrl(id, code)} alt=${zh('badgeQrAlt')} />
    <div class="badge-text">
      <p class="badge-title">${zh('cardTitle')}<span lang="en">${en('cardTitle')}</span></p>
      <p class="badge-code" data-testid="badge-code">${code}</p>
      <p class="badge-prompt">${zh('cardPrompt')}<span lang="en">${en('cardPrompt')}</span></p>
      <${ContactLine} label=${zh('cardCommunity')} labelEn=${en('cardCommunity')} contact=${contacts.community} />
      <${ContactLine} label=${zh('cardPolice')} labelEn=${en('cardPolice')} contact=${contacts.police} />
    </div>
  </article>`;
}

type Confirm = 'issue' | 'revoke' | null;

/**
 * The elder's badge: the card with a print button (staff), issue and revoke (admin). A new badge
 * kills the old one at once, so re-issuing and revoking ask first.
 */
export function BadgePanel({
  resident,
  contacts,
  canEdit,
  onChanged,
}: {
  resident: ResidentView;
  contacts: PublicContacts;
  canEdit: boolean;
  onChanged: () => Promise<void>;
}) {
  const { t, locale } = useI18n();
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const { badge } = resident;
  const path = `/api/residents/${encodeURIComponent(resident.id)}/badge`;

  const run = async (what: 'issue' | 'revoke') => {
    setBusy(true);
    setMessage(null);
    setConfirm(null);
    try {
      if (what === 'issue') {
        const issued = await api<BadgeIssued>('POST', path);
        setMessage({ ok: true, text: t('badgeIssued', { code: issued.code }) });
      } else {
        await api<unknown>('DELETE', path);
        setMessage({ ok: true, text: t('badgeRevoked') });
      }
      await onChanged();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof HttpError ? errorText(err, t) : String(err) });
    } finally {
      setBusy(false);
    }
  };
  const issue = () => (badge ? setConfirm('issue') : void run('issue'));

  return html`<section class="badge-panel" data-testid="badge-panel">
    <h4>${t('badgeTitle')}</h4>
    ${
      badge
        ? html`<p class="sub" data-testid="badge-issued-at">
            ${t('badgeIssuedAt', { code: badge.code, time: formatDateTime(badge.issuedAt, locale) })}
          </p>
          <div class="badge-preview"><${BadgeCard} id=${resident.id} code=${badge.code} contacts=${contacts} /></div>`
        : html`<p class="empty">${t('badgeNone')}</p>`
    }
    <div class="form-buttons">
      ${
        badge
          ? html`<button type="button" data-testid="badge-print" onClick=${() => window.print()}>
              ${t('badgePrint')}
            </button>`
          : null
      }
      ${
        canEdit
          ? html`<button type="button" class=${badge ? 'secondary' : ''} data-testid="badge-issue" disabled=${busy} onClick=${issue}>
              ${busy ? t('badgeIssuing') : badge ? t('badgeReissue') : t('badgeIssue')}
            </button>`
          : null
      }
      ${
        canEdit && badge
          ? html`<button type="button" class="secondary danger" data-testid="badge-revoke" disabled=${busy} onClick=${() => setConfirm('revoke')}>
              ${t('badgeRevoke')}
            </button>`
          : null
      }
    </div>
    ${
      confirm && badge
        ? html`<div class="notice" role="alertdialog" data-testid="badge-confirm">
            <p class="notice-warn">
              ${confirm === 'issue' ? t('badgeReissueWarn', { code: badge.code }) : t('badgeRevokeWarn', { code: badge.code })}
            </p>
            <div class="form-buttons">
              <button type="button" class="danger-solid" data-testid=${`badge-${confirm}-confirm`} onClick=${() => void run(confirm)}>
                ${confirm === 'issue' ? t('badgeReissueConfirm') : t('badgeRevokeConfirm')}
              </button>
              <button type="button" class="secondary" data-testid="badge-cancel" onClick=${() => setConfirm(null)}>${t('cancel')}</button>
            </div>
          </div>`
        : null
    }
    ${message ? html`<p class=${message.ok ? 'notice-ok' : 'form-error'} role="status" data-testid="badge-message">${message.text}</p>` : null}
  </section>`;
}
