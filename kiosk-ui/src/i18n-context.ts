import { html } from 'htm/preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { type Lang, loadLang, localeOf, makeTranslate, saveLang, type Translate } from './i18n';

export interface I18n {
  lang: Lang;
  /** BCP 47 locale for Intl formatting. */
  locale: string;
  t: Translate;
  toggle: () => void;
}

export const I18nContext = createContext<I18n | null>(null);

/** State for a page's root: the remembered language, mirrored into `<html lang>` and the title. */
export function useLangState(titleKey: Parameters<Translate>[0]): I18n {
  const [lang, setLang] = useState<Lang>(loadLang);
  const toggle = useCallback(() => {
    setLang((current) => {
      const next: Lang = current === 'zh' ? 'en' : 'zh';
      saveLang(next);
      return next;
    });
  }, []);
  const i18n = useMemo(
    () => ({ lang, locale: localeOf(lang), t: makeTranslate(lang), toggle }),
    [lang, toggle],
  );
  useEffect(() => {
    document.documentElement.lang = i18n.locale;
    document.title = `${i18n.t('appName')} · ${i18n.t(titleKey)}`;
  }, [i18n, titleKey]);
  return i18n;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nContext.Provider');
  return i18n;
}

export function LangToggle() {
  const { t, toggle, lang } = useI18n();
  return html`<button
    type="button"
    class="lang-toggle"
    lang=${lang === 'zh' ? 'en' : 'zh-CN'}
    data-testid="lang-toggle"
    onClick=${toggle}
  >
    ${t('langToggle')}
  </button>`;
}
