import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { QrScannedView } from '../../../edge/api/types';
import type { KioskAlarmView } from '../alarm-types';
import { I18nContext, LangToggle, useI18n, useLangState } from '../i18n-context';
import type { PaymentPrompt, PaymentView } from '../payment-types';
import { type ConnState, connectSse } from '../sse';
import { AttractScreen } from './attract-screen';
import { GREETING_SHOW_MS, Greeting, type KioskGreeting } from './greeting';
import { AlarmBanner, HelpStatus, useKioskAlarms } from './help';
import { useKioskNotices } from './notice-board';
import { type PairOutcome, pairKiosk } from './pairing';
import { loadPayDevices } from './pay-devices';
import { PayFlow, type PayMode } from './pay-flow';
import { PaymentBus } from './payment-bus';
import { SCAN_SHOW_MS, ScanResult, type ShownScan } from './scan-result';
import { useHelpPress } from './use-help-press';

/** Events of `GET /api/kiosk/events` this screen shows. */
interface KioskEvents {
  'qr.scanned': QrScannedView;
  'kiosk.alarm': KioskAlarmView;
  'kiosk.greeting': KioskGreeting;
  /** The notices changed (here or on the cloud): read them again. */
  'kiosk.notices': { at: string };
  payment: PaymentView;
  'payment.prompt': PaymentPrompt;
}

type Phase =
  | { kind: 'pairing' }
  | { kind: 'live' }
  | { kind: 'not-paired'; reason: 'bad-link' | 'no-session' };

function ConnIndicator({ state }: { state: ConnState }) {
  const { t } = useI18n();
  const open = state === 'open';
  return html`<span class=${open ? 'conn open' : 'conn connecting'} data-testid="conn-state" data-state=${state}>
    <span class="conn-dot" aria-hidden="true"></span>${open ? t('connOpen') : t('connConnecting')}
  </span>`;
}

function NotPaired({ reason }: { reason: 'bad-link' | 'no-session' }) {
  const { t, lang } = useI18n();
  return html`<section class="not-paired" data-testid="not-paired" role="alert">
    <h1>${t('notPairedTitle')}</h1>
    <p class="not-paired-alt" lang=${lang === 'zh' ? 'en' : 'zh-CN'}>${t('notPairedAlt')}</p>
    ${reason === 'bad-link' ? html`<p class="not-paired-why">${t('pairFailed')}</p>` : null}
    <p>${t('notPairedBody')}</p>
  </section>`;
}

function Kiosk() {
  const { t } = useI18n();
  const [phase, setPhase] = useState<Phase>({ kind: 'pairing' });
  const [house, setHouse] = useState<string | null>(null);
  const [conn, setConn] = useState<ConnState>('connecting');
  const [shown, setShown] = useState<ShownScan | null>(null);
  const [greeting, setGreeting] = useState<KioskGreeting | null>(null);
  const [pairRun, setPairRun] = useState(0);
  const help = useHelpPress();
  const [alarms, onAlarm] = useKioskAlarms();
  const [noticesVersion, setNoticesVersion] = useState(0);
  const notices = useKioskNotices(phase.kind === 'live' ? noticesVersion : null);
  const [paying, setPaying] = useState<PayMode | null>(null);
  const bus = useMemo(() => new PaymentBus(), []);
  const payDevices = useMemo(() => loadPayDevices(), []);

  // An admin may paste the pairing link into an open screen: only the hash changes then.
  useEffect(() => {
    const onHash = () => {
      if (location.hash.startsWith('#token=')) setPairRun((n) => n + 1);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    let cancelled = false;
    setPhase({ kind: 'pairing' });
    const apply = (outcome: PairOutcome) => {
      if (cancelled) return;
      if (outcome.state === 'not-paired') {
        setPhase({ kind: 'not-paired', reason: outcome.reason });
        return;
      }
      setHouse(outcome.house);
      setPhase({ kind: 'live' });
    };
    void pairKiosk().then(apply);
    return () => {
      cancelled = true;
    };
  }, [pairRun]);

  useEffect(() => {
    if (phase.kind !== 'live') return;
    return connectSse<KioskEvents>({
      url: '/api/kiosk/events',
      probeUrl: '/api/kiosk/me',
      handlers: {
        'qr.scanned': (scan) => {
          setGreeting(null);
          setShown({ scan, shownAt: Date.now() });
        },
        'kiosk.alarm': onAlarm,
        'kiosk.greeting': (g) => {
          setShown(null);
          setGreeting(g);
        },
        'kiosk.notices': () => setNoticesVersion((n) => n + 1),
        payment: (view) => bus.payment(view),
        'payment.prompt': (prompt) => bus.prompt(prompt),
      },
      // Changes made while the stream was down were not announced.
      onOpen: () => setNoticesVersion((n) => n + 1),
      onState: (state) => {
        bus.state(state === 'open');
        if (state === 'denied') setPhase({ kind: 'not-paired', reason: 'no-session' });
        else setConn(state);
      },
    });
  }, [phase.kind, onAlarm, bus]);

  useEffect(() => {
    if (!shown) return;
    const timer = setTimeout(() => setShown(null), SCAN_SHOW_MS);
    return () => clearTimeout(timer);
  }, [shown]);

  useEffect(() => {
    if (!greeting) return;
    const timer = setTimeout(() => setGreeting(null), GREETING_SHOW_MS);
    return () => clearTimeout(timer);
  }, [greeting]);

  const back = useCallback(() => {
    setShown(null);
    setGreeting(null);
  }, []);
  const home = useCallback(() => setPaying(null), []);

  let body = html`<p class="kiosk-wait">${t('pairing')}</p>`;
  if (phase.kind === 'not-paired') body = html`<${NotPaired} reason=${phase.reason} />`;
  else if (phase.kind === 'live')
    // A payment on screen is not covered by a scan or a greeting: money is moving.
    body = paying
      ? html`<${PayFlow} mode=${paying} bus=${bus} terminals=${payDevices.terminals} reader=${payDevices.reader} onHome=${home} />`
      : greeting
        ? html`<${Greeting} g=${greeting} onBack=${back} />`
        : shown
          ? html`<${ScanResult} shown=${shown} onBack=${back} />`
          : html`<${AttractScreen} onHelp=${help.start} calling=${help.press?.state === 'calling' ? help.press.key : null} notices=${notices} onPay=${setPaying} />`;

  return html`<div class="kiosk">
    <header class="kiosk-bar">
      <div class="kiosk-house" data-testid="house">
        <span class="brand">${t('appName')}</span>
        <span>${t('houseLabel')}${house ? ` · ${house}` : ''}</span>
      </div>
      <div class="kiosk-bar-right">
        ${phase.kind === 'live' ? html`<${ConnIndicator} state=${conn} />` : null}
        <${LangToggle} />
      </div>
    </header>
    <${AlarmBanner} alarms=${alarms} />
    <main class="kiosk-main">
      ${body}
      ${help.press ? html`<${HelpStatus} press=${help.press} alarms=${alarms} onClose=${help.dismiss} />` : null}
    </main>
  </div>`;
}

export function KioskApp() {
  const i18n = useLangState('linkKiosk');
  return html`<${I18nContext.Provider} value=${i18n}><${Kiosk} /></${I18nContext.Provider}>`;
}
