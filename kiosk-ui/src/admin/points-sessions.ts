import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DeviceView } from '../../../edge/api/types';
import { api } from '../api';
import { useI18n } from '../i18n-context';
import type { ConnState } from '../sse';
import { formatDateTime } from '../time';
import { subscribeAdminEvents } from './admin-events';
import { pointsErrorText, useAction, useGet, usePoints } from './points-load';
import { OpenSessionForm } from './points-session-form';
import { SwipeFeed } from './points-swipe-feed';
import type { MemberRow, SessionView, SwipeEvent } from './points-types';

const FEED_MAX = 50;
const CLOSED_SHOWN = 5;

/** Which open session a swipe belongs to: its own id, else the reader it was made on. */
function sessionOf(e: SwipeEvent, open: SessionView[]): string | undefined {
  if (e.sessionId) return e.sessionId;
  return open.find((s) => s.readers.includes(e.deviceId))?.id;
}

function SessionCard({
  s,
  feed,
  names,
  onClosed,
}: {
  s: SessionView;
  feed: SwipeEvent[];
  names: Map<string, string>;
  onClosed: () => void;
}) {
  const { t, locale } = useI18n();
  const { onAuthLost } = usePoints();
  const close = useAction(onAuthLost);
  const doClose = async () => {
    const ok = await close.run(async () => {
      await api<SessionView>('POST', `/api/points/sessions/${encodeURIComponent(s.id)}/close`);
    });
    if (ok) onClosed();
  };
  return html`<article class="session-card" data-testid=${`session-${s.id}`} data-item=${s.itemId}>
    <div class="session-head">
      <h3>${s.item}</h3>
      <span class="live-tag">${t('ptsSessionOpen')}</span>
      <button type="button" class="secondary" data-testid="session-close" disabled=${close.busy} onClick=${() => void doClose()}>
        ${t('ptsSessionClose')}
      </button>
    </div>
    <p class="sub">
      ${t('ptsSessionOpenedBy', { by: s.openedBy, at: formatDateTime(s.openedAt, locale) })}${' · '}
      ${t('ptsSessionReadersOn')}${s.readers.map((r) => html`<code key=${r}>${r}</code> `)}
    </p>
    ${close.error ? html`<p class="form-error" role="alert">${pointsErrorText(close.error, t)}</p>` : null}
    <div class="session-body">
      <div>
        <h4>${t('ptsSessionCredited', { n: s.credited.length })}</h4>
        ${
          s.credited.length === 0
            ? html`<p class="empty">${t('ptsSessionNobody')}</p>`
            : html`<ul class="chips" data-testid="session-credited">
              ${s.credited.map((c) => html`<li key=${c.residentId} data-resident=${c.residentId}>${c.name}</li>`)}
            </ul>`
        }
      </div>
      <div>
        <h4>${t('ptsSessionLive')}</h4>
        <${SwipeFeed} feed=${feed} names=${names} />
      </div>
    </div>
  </article>`;
}

/**
 * Activity sessions (staff): open one for an item on chosen card readers, watch who swipes live
 * (SSE `points.swipe`; credits, repeats, refusals each in their own words), close it.
 */
export function PointsSessions() {
  const { t, locale } = useI18n();
  const { onAuthLost } = usePoints();
  const sessions = useGet<SessionView[]>('/api/points/sessions', onAuthLost);
  const devices = useGet<DeviceView[]>('/api/devices', onAuthLost);
  const members = useGet<MemberRow[]>('/api/points/members', onAuthLost);
  const [feeds, setFeeds] = useState<Map<string, SwipeEvent[]>>(new Map());
  const [live, setLive] = useState<ConnState>('connecting');
  const all = sessions.data ?? [];
  const open = all.filter((s) => !s.closedAt).reverse();
  const closed = all
    .filter((s) => s.closedAt)
    .slice(-CLOSED_SHOWN)
    .reverse();
  const openRef = useRef(open);
  openRef.current = open;
  const reloads = useRef({ sessions: sessions.reload, members: members.reload, devices: devices.reload });
  reloads.current = { sessions: sessions.reload, members: members.reload, devices: devices.reload };

  useEffect(
    () =>
      subscribeAdminEvents({
        handlers: {
          'points.swipe': (e) => {
            const key = sessionOf(e, openRef.current) ?? '';
            setFeeds((m) => new Map(m).set(key, [e, ...(m.get(key) ?? [])].slice(0, FEED_MAX)));
            if (e.result === 'ok') void reloads.current.sessions();
            if (e.residentId && !e.sessionId) void reloads.current.members();
          },
          // Which readers are online, for choosing the readers of a new session.
          'device.status': () => void reloads.current.devices(),
        },
        onState: (state, status) => {
          if (state === 'denied' && status === 401) onAuthLost();
          setLive(state);
        },
        // Whatever was credited while the stream was down is in the sessions' lists.
        onOpen: () => void reloads.current.sessions(),
      }),
    [onAuthLost],
  );

  const names = useMemo(() => {
    const m = new Map<string, string>();
    for (const x of members.data ?? []) m.set(x.id, x.name);
    for (const s of all) for (const c of s.credited) m.set(c.residentId, c.name);
    return m;
  }, [members.data, all]);
  const readers = (devices.data ?? []).filter((d) => d.type === 'card-reader');
  const busy = new Set(open.flatMap((s) => s.readers));
  const stray = feeds.get('') ?? [];
  const error = sessions.error ?? devices.error;

  return html`<div class="points-section" data-testid="pts-sessions">
    <div class="section-head">
      <h3>${t('ptsSessionsTitle')}</h3>
      <span class=${`conn ${live === 'open' ? 'open' : 'connecting'}`} data-testid="pts-live" data-state=${live}>
        <span class="conn-dot" aria-hidden="true"></span>${live === 'open' ? t('liveOpen') : t('liveConnecting')}
      </span>
    </div>
    ${error ? html`<p class="form-error" role="alert">${pointsErrorText(error, t)}</p>` : null}
    <div class="points-columns">
      <div class="points-main">
        ${sessions.data === null && !error ? html`<p class="empty">${t('loading')}</p>` : null}
        ${sessions.data && open.length === 0 ? html`<p class="empty" data-testid="no-open-sessions">${t('ptsSessionsNone')}</p>` : null}
        ${open.map(
          (s) =>
            html`<${SessionCard}
              key=${s.id}
              s=${s}
              feed=${feeds.get(s.id) ?? []}
              names=${names}
              onClosed=${() => void sessions.reload()}
            />`,
        )}
        ${
          stray.length > 0
            ? html`<div class="stray" data-testid="stray-swipes">
              <h4>${t('ptsStray')}</h4>
              <${SwipeFeed} feed=${stray} names=${names} />
            </div>`
            : null
        }
      </div>
      <div class="points-side">
        <${OpenSessionForm} readers=${readers} busy=${busy} onOpened=${() => void sessions.reload()} />
        ${
          closed.length > 0
            ? html`<div class="closed-sessions">
              <h4>${t('ptsSessionsClosed')}</h4>
              <ul class="plain-list">
                ${closed.map(
                  (s) => html`<li key=${s.id} data-testid=${`closed-${s.id}`}>
                    <strong>${s.item}</strong> · ${t('ptsSessionCredited', { n: s.credited.length })}
                    <div class="sub">${formatDateTime(s.openedAt, locale)} – ${s.closedAt ? formatDateTime(s.closedAt, locale) : ''}</div>
                  </li>`,
                )}
              </ul>
            </div>`
            : null
        }
      </div>
    </div>
  </div>`;
}
