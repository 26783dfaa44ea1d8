import { html } from 'htm/preact';
import { render } from 'preact';
import { I18nContext, LangToggle, useI18n, useLangState } from './i18n-context';
import './styles.css';

function Landing() {
  const { t } = useI18n();
  return html`<main class="landing">
    <header class="landing-head">
      <h1>${t('landingTitle')}</h1>
      <${LangToggle} />
    </header>
    <p class="landing-sub">${t('landingSubtitle')}</p>
    <nav class="landing-links">
      <a class="big-link kiosk-link" href="/kiosk/" data-testid="link-kiosk">
        <strong>${t('linkKiosk')}</strong>
        <span>${t('linkKioskHint')}</span>
      </a>
      <a class="big-link admin-link" href="/admin/" data-testid="link-admin">
        <strong>${t('linkAdmin')}</strong>
        <span>${t('linkAdminHint')}</span>
      </a>
    </nav>
  </main>`;
}

function App() {
  const i18n = useLangState('landingTitle');
  return html`<${I18nContext.Provider} value=${i18n}><${Landing} /></${I18nContext.Provider}>`;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
