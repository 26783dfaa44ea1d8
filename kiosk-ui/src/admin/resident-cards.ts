import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { CardView, ResidentView } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatDateTime } from '../time';
import { errorText } from './error-text';
import { normalizeUid, uidProblem } from './id-number-check';

type CardState = CardView['state'];

const STATE_KEY: Record<CardState, MessageKey> = {
  active: 'cardStateActive',
  lost: 'cardStateLost',
  revoked: 'cardStateRevoked',
};
const KIND_KEY: Record<CardView['kind'], MessageKey> = {
  resident: 'cardKindResident',
  party: 'cardKindParty',
};

/**
 * A resident's cards (staff read): UID, kind, state. Admins bind a card (a random-UID card is
 * refused at once, as the edge would), report one lost, revoke it, or make it active again.
 */
export function ResidentCards({
  resident,
  canEdit,
  onAuthLost,
}: {
  resident: ResidentView;
  canEdit: boolean;
  onAuthLost: () => void;
}) {
  const { t, locale } = useI18n();
  const [cards, setCards] = useState<CardView[] | null>(null);
  const [uid, setUid] = useState('');
  const [kind, setKind] = useState<CardView['kind']>(
    resident.roles.includes('party-member') ? 'party' : 'resident',
  );
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const props = useRef({ t, onAuthLost });
  props.current = { t, onAuthLost };
  const path = `/api/residents/${encodeURIComponent(resident.id)}/cards`;

  const fail = (err: unknown) => {
    if (err instanceof HttpError && err.status === 401) return props.current.onAuthLost();
    const tr = props.current.t;
    let text: string;
    if (!(err instanceof HttpError)) text = String(err);
    else if (err.body.code === 'CARD_BOUND') text = tr('cardAlreadyBound');
    else if (err.body.code === 'CARD_INVALID')
      text = /random/.test(err.body.message) ? tr('cardRandomUid') : tr('cardInvalidUid');
    else text = errorText(err, tr);
    setMessage({ ok: false, text });
  };

  const load = useCallback(async () => {
    try {
      setCards(await api<CardView[]>('GET', path));
    } catch (err) {
      fail(err);
    }
  }, [path]);

  useEffect(() => {
    void load();
  }, [load]);

  const bind = async (e: Event) => {
    e.preventDefault();
    const value = normalizeUid(uid);
    const bad = uidProblem(value);
    if (bad) {
      setMessage({ ok: false, text: t(bad) });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const card = await api<CardView>('POST', '/api/cards', { uid: value, residentId: resident.id, kind });
      setUid('');
      setMessage({ ok: true, text: t('cardBound', { uid: card.uid }) });
      await load();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const change = async (card: CardView, state: CardState) => {
    setBusy(true);
    setMessage(null);
    try {
      const saved = await api<CardView>('PATCH', `/api/cards/${encodeURIComponent(card.uid)}`, { state });
      setMessage({
        ok: true,
        text: t('cardStateChanged', { uid: saved.uid, state: t(STATE_KEY[saved.state]) }),
      });
      await load();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const action = (card: CardView, state: CardState, label: MessageKey, cls = 'secondary') =>
    html`<button
      type="button"
      class=${cls}
      data-testid=${`card-${state === 'active' ? 'reactivate' : state}-${card.uid}`}
      disabled=${busy}
      onClick=${() => void change(card, state)}
    >
      ${t(label)}
    </button>`;

  return html`<section class="resident-cards" data-testid="resident-cards">
    <h4>${t('cardsTitle')}</h4>
    ${cards === null ? html`<p class="empty">${t('loading')}</p>` : null}
    ${cards?.length === 0 ? html`<p class="empty">${t('cardsNone')}</p>` : null}
    ${
      cards && cards.length > 0
        ? html`<ul class="card-list">
            ${cards.map(
              (c) => html`<li key=${c.uid} data-testid=${`card-row-${c.uid}`} class=${`card-${c.state}`}>
                <code class="card-uid">${c.uid}</code>
                <span>${t(KIND_KEY[c.kind])}</span>
                <span class=${`badge ${c.state === 'active' ? 'badge-on' : 'badge-off'}`} data-testid=${`card-state-${c.uid}`}>
                  ${t(STATE_KEY[c.state])}
                </span>
                <span class="sub">${t('cardBoundAt', { time: formatDateTime(c.boundAt, locale) })}</span>
                ${
                  canEdit
                    ? html`<span class="card-actions">
                        ${c.state === 'active' ? action(c, 'lost', 'cardLost') : action(c, 'active', 'cardReactivate')}
                        ${c.state !== 'revoked' ? action(c, 'revoked', 'cardRevoke', 'secondary danger') : null}
                      </span>`
                    : null
                }
              </li>`,
            )}
          </ul>`
        : null
    }
    ${
      canEdit
        ? html`<form class="card-bind" data-testid="card-bind-form" onSubmit=${bind} autocomplete="off">
            <label class="field">
              <span>${t('cardUid')}</span>
              <input
                name="cardUid"
                required
                value=${uid}
                maxLength="40"
                title=${t('cardUidHint')}
                placeholder="04A1B2C3"
                onInput=${(e: Event) => setUid((e.currentTarget as HTMLInputElement).value)}
              />
            </label>
            <label class="field">
              <span>${t('cardKind')}</span>
              <select
                name="cardKind"
                value=${kind}
                onChange=${(e: Event) => setKind((e.currentTarget as HTMLSelectElement).value as CardView['kind'])}
              >
                <option value="resident">${t('cardKindResident')}</option>
                <option value="party">${t('cardKindParty')}</option>
              </select>
            </label>
            <button type="submit" data-testid="card-bind" disabled=${busy}>${busy ? t('cardBinding') : t('cardBind')}</button>
          </form>`
        : null
    }
    ${
      message
        ? html`<p class=${message.ok ? 'notice-ok' : 'form-error'} role="status" data-testid="card-message">${message.text}</p>`
        : null
    }
  </section>`;
}
