import { html } from 'htm/preact';
import type { KioskGreeting, PointsSummary } from '../../../edge/api/types';
import type { MessageKey, Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { FlagBadge, quarterText } from '../points-flag';
import { HOUSE_TZ } from '../time';

export type { KioskGreeting } from '../../../edge/api/types';

/** A party member's points as the kiosk shows them. */
type GreetingPoints = PointsSummary;

/** Long enough for an elder to read the month, the flag and the goods; a new tap replaces it. */
export const GREETING_SHOW_MS = 15_000;
const RECENT_SHOWN = 3;
const GOODS_SHOWN = 4;

type Tone = 'ok' | 'info' | 'warn' | 'bad';

/** What the tap did, in words, and how it is coloured: every outcome reads differently. */
function outcome(g: KioskGreeting): { key: MessageKey; vars?: Record<string, number>; tone: Tone } | null {
  switch (g.result) {
    case 'unknown-card':
      return { key: 'greetUnknownCard', tone: 'bad' };
    case 'refused':
      if (g.reason === 'not-party') return { key: 'greetRefusedKind', tone: 'warn' };
      return { key: g.reason === 'revoked' ? 'greetRefusedRevoked' : 'greetRefusedLost', tone: 'bad' };
    case 'duplicate':
      return { key: 'greetDuplicate', tone: 'info' };
    case 'no-session':
      return { key: 'greetNoSession', tone: 'warn' };
    case 'ok':
      if (g.credited === undefined) return null; // A resident card outside a session: a plain hello.
      if (g.credited === 0) return { key: 'greetCapped', tone: 'ok' };
      return g.capped
        ? { key: 'greetCreditedCapped', vars: { n: g.credited }, tone: 'ok' }
        : { key: 'greetCredited', vars: { n: g.credited }, tone: 'ok' };
  }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
function shortDay(iso: string, locale: string): string {
  let f = dayFormats.get(locale);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: HOUSE_TZ, month: 'numeric', day: 'numeric' });
    dayFormats.set(locale, f);
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : f.format(d);
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function Recent({ list, t, locale }: { list: GreetingPoints['recent']; t: Translate; locale: string }) {
  return html`<section class="greeting-box" data-testid="greeting-recent">
    <h3>${t('greetRecent')}</h3>
    ${
      list.length === 0
        ? html`<p class="greeting-none">${t('greetRecentNone')}</p>`
        : html`<ul class="greeting-rows">
          ${list.slice(0, RECENT_SHOWN).map((r) => {
            const kind = t(`greetKind_${r.kind}`);
            return html`<li data-kind=${r.kind}>
              <span class="row-day">${shortDay(r.at, locale)}</span>
              <span class="row-what">${kind ? html`<em>${kind}</em> ` : null}${r.item}</span>
              <strong class=${r.points < 0 ? 'row-pts minus' : 'row-pts plus'}>${signed(r.points)}</strong>
            </li>`;
          })}
        </ul>`
    }
  </section>`;
}

function Goods({ goods, balance, t }: { goods: GreetingPoints['goods']; balance: number; t: Translate }) {
  // Within reach first, then the nearest: two rows fit at arm's-length size; the desk has the rest.
  const shown = [...goods]
    .sort((a, b) => Number(b.affordable) - Number(a.affordable) || a.points - b.points)
    .slice(0, GOODS_SHOWN);
  return html`<section class="greeting-box" data-testid="greeting-goods">
    <h3>${t('greetGoods')} <small>${t('greetGoodsWhere')}</small></h3>
    ${
      shown.length === 0
        ? html`<p class="greeting-none">${t('greetGoodsNone')}</p>`
        : html`<ul class="greeting-goods">
          ${shown.map(
            (x) => html`<li
              class=${x.affordable ? 'goods affordable' : 'goods'}
              data-testid=${`greeting-goods-${x.id}`}
              data-affordable=${x.affordable ? 'true' : 'false'}
            >
              <span class="goods-name">${x.name}</span>
              <span class="goods-cost">${t('greetPoints', { n: x.points })}</span>
              <span class="goods-state">${x.affordable ? `✓ ${t('greetGoodsOk')}` : t('greetGoodsShort', { n: x.points - balance })}</span>
            </li>`,
          )}
        </ul>`
    }
  </section>`;
}

function Points({ p }: { p: GreetingPoints }) {
  const { t, lang, locale } = useI18n();
  return html`<div class="greeting-stats">
      <div class="stat">
        <span class="stat-label">${t('greetMonth')}</span>
        <strong class="stat-value" data-testid="greeting-month">${p.pointsThisMonth}</strong>
      </div>
      ${
        p.rank
          ? html`<div class="stat" data-testid="greeting-rank" data-rank=${p.rank} data-of=${p.of ?? p.rank}>
            <span class="stat-label">${t('greetRankLabel')}</span>
            <strong class="stat-value">${t('greetRankN', { rank: p.rank })}</strong>
            <span class="stat-sub">${p.rankIn ? `${p.rankIn} · ` : ''}${t('greetRankOf', { of: p.of ?? p.rank })}</span>
          </div>`
          : null
      }
      <div class="stat">
        <span class="stat-label">${t('greetBalance')}</span>
        <strong class="stat-value" data-testid="greeting-balance">${p.balance}</strong>
      </div>
      ${
        p.flag
          ? html`<div class="stat stat-flag" data-testid="greeting-flag" data-flag=${p.flag.flag}>
            <span class="stat-label">${t('greetFlagLabel', { quarter: quarterText(p.flag.quarter, t) })}</span>
            <${FlagBadge} flag=${p.flag.flag} label=${p.flag.label} lang=${lang} t=${t} />
          </div>`
          : null
      }
    </div>
    <div class="greeting-lists">
      <${Recent} list=${p.recent} t=${t} locale=${locale} />
      <${Goods} goods=${p.goods} balance=${p.balance} t=${t} />
    </div>`;
}

/**
 * A tapped card greets the resident: the name partly masked, what the tap did (each outcome in
 * its own words and colour), and for a party member the month's points, rank, balance, latest
 * flag, recent lines and the goods within reach. Sized to be read at arm's length.
 */
export function Greeting({ g, onBack }: { g: KioskGreeting; onBack: () => void }) {
  const { t } = useI18n();
  const said = outcome(g);
  const p = g.points;
  return html`<section
    class=${p ? 'scan-result greeting with-points' : 'scan-result greeting'}
    data-testid="greeting"
    data-result=${g.result}
    data-tone=${said?.tone ?? 'ok'}
    role="status"
    aria-live="assertive"
  >
    <header class="greeting-head">
      <h2 class="greeting-name" data-testid="greeting-name">${g.name ? t('greetHello', { name: g.name }) : t('greetUnknownName')}</h2>
      ${said ? html`<p class=${`greeting-line tone-${said.tone}`} data-testid="greeting-line">${t(said.key, said.vars)}</p>` : null}
    </header>
    ${p ? html`<${Points} p=${p} />` : null}
    <button type="button" class="big-button" data-testid="greeting-back" onClick=${onBack}>${t('scanBack')}</button>
  </section>`;
}
