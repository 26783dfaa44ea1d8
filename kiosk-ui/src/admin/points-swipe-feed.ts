import { html } from 'htm/preact';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatTimeOfDay } from '../time';
import type { SwipeEvent } from './points-types';

/** What a swipe did, in the admin's words: each outcome its own. */
function said(e: SwipeEvent): { key: MessageKey; n?: number } {
  switch (e.result) {
    case 'ok':
      return e.credited ? { key: 'ptsSwipeOk', n: e.credited } : { key: 'ptsSwipeCapped' };
    case 'duplicate':
      return { key: 'ptsSwipeDuplicate' };
    case 'no-session':
      return { key: 'ptsSwipeNoSession' };
    case 'unknown-card':
      return { key: 'ptsSwipeUnknown' };
    case 'refused':
      return {
        key:
          e.reason === 'not-party'
            ? 'ptsSwipeNotParty'
            : e.reason === 'revoked'
              ? 'ptsSwipeRevoked'
              : 'ptsSwipeLost',
      };
  }
}

/** Swipes as they arrive, newest first: when, who, on which reader, and what came of it. */
export function SwipeFeed({ feed, names }: { feed: SwipeEvent[]; names: Map<string, string> }) {
  const { t, locale } = useI18n();
  if (feed.length === 0) return html`<p class="empty">${t('ptsSwipeWaiting')}</p>`;
  return html`<ol class="swipe-feed" data-testid="swipe-feed" aria-live="polite">
    ${feed.map((e) => {
      const s = said(e);
      const who = e.residentId ? (e.name ?? names.get(e.residentId) ?? e.residentId) : t('ptsSwipeNobody');
      return html`<li
        key=${`${e.at}-${e.deviceId}`}
        class=${`swipe swipe-${e.result}`}
        data-testid="swipe-line"
        data-result=${e.result}
        data-resident=${e.residentId}
      >
        <time datetime=${e.at}>${formatTimeOfDay(e.at, locale)}</time>
        <strong class="swipe-who">${who}</strong>
        <span class="swipe-what">${t(s.key, s.n === undefined ? undefined : { n: s.n })}</span>
        <code class="sub">${e.deviceId}</code>
      </li>`;
    })}
  </ol>`;
}
