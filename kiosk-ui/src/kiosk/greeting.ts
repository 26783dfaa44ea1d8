import { html } from 'htm/preact';
import { useI18n } from '../i18n-context';

/** SSE `kiosk.greeting` data (edge/cards/card-tap-handler.ts KioskGreeting). */
export interface KioskGreeting {
  deviceId: string;
  result: 'ok' | 'duplicate' | 'no-session' | 'unknown-card' | 'refused';
  name?: string;
  kind?: 'resident' | 'party';
  reason?: string;
  credited?: number;
  points?: {
    month: string;
    pointsThisMonth: number;
    rank?: number;
    of?: number;
    recent: { at: string; item: string; points: number }[];
  };
}

export const GREETING_SHOW_MS = 10_000;

/** A tapped card greets the resident: name partly masked, what the tap did, the month's points. */
export function Greeting({ g, onBack }: { g: KioskGreeting; onBack: () => void }) {
  const { t } = useI18n();
  const line =
    g.result === 'unknown-card'
      ? t('greetUnknownCard')
      : g.result === 'refused'
        ? g.reason === 'not-party'
          ? t('greetRefusedKind')
          : t('greetRefusedLost')
        : g.result === 'duplicate'
          ? t('greetDuplicate')
          : g.credited !== undefined
            ? t('greetCredited', { n: g.credited })
            : g.kind === 'party'
              ? t('greetNoSession')
              : '';
  const p = g.points;
  return html`<section class="scan-result greeting" data-testid="greeting" data-result=${g.result} role="status" aria-live="assertive">
    <h2 data-testid="greeting-name">${g.name ? t('greetHello', { name: g.name }) : t('greetUnknownName')}</h2>
    ${line ? html`<p class="scan-text" data-testid="greeting-line">${line}</p>` : null}
    ${
      p
        ? html`<div class="greeting-points">
          <p><span>${t('greetMonth')}</span> <strong data-testid="greeting-month">${p.pointsThisMonth}</strong></p>
          ${p.rank ? html`<p data-testid="greeting-rank">${t('greetRank', { rank: p.rank, of: p.of ?? p.rank })}</p>` : null}
          ${
            p.recent.length
              ? html`<ul class="greeting-recent">
                ${p.recent.slice(0, 3).map((r) => html`<li>${r.item} <strong>${r.points > 0 ? `+${r.points}` : r.points}</strong></li>`)}
              </ul>`
              : null
          }
        </div>`
        : null
    }
    <button type="button" class="big-button" onClick=${onBack}>${t('scanBack')}</button>
  </section>`;
}
