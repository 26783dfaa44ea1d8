import { html } from 'htm/preact';
import type { Lang, MessageKey, Translate } from './i18n';

/** The colours of the flags the field's schemes award; any other flag shows in a neutral slate. */
const FLAG_COLOURS: Record<string, string> = {
  red: '#d11f1f',
  yellow: '#f2b705',
  blue: '#1f5fd1',
  green: '#1f9d4c',
  grey: '#7d8894',
  gray: '#7d8894',
};
const NEUTRAL = '#5b6b7c';

export function flagColour(flag: string): string {
  return FLAG_COLOURS[flag] ?? NEUTRAL;
}

/**
 * A flag's words: the scheme's own label in Chinese (it may say more, e.g. `蓝旗（待提升）`); in
 * English the colour's name where known, else the label.
 */
export function flagText(flag: string, label: string | undefined, lang: Lang, t: Translate): string {
  const key = `flag_${flag === 'gray' ? 'grey' : flag}` as MessageKey;
  const known = ['red', 'yellow', 'blue', 'green', 'grey', 'gray'].includes(flag);
  if (lang === 'zh') return label ?? (known ? t(key) : flag);
  return known ? t(key) : (label ?? flag);
}

/** `2026-Q3` → `2026年第3季度` / `Q3 2026`. */
export function quarterText(quarter: string, t: Translate): string {
  const m = /^(\d{4})-Q([1-4])$/.exec(quarter);
  return m ? t('greetQuarter', { year: m[1] ?? '', q: m[2] ?? '' }) : quarter;
}

/** A coloured flag with its words: the same badge on the kiosk and in the admin's tables. */
export function FlagBadge({
  flag,
  label,
  lang,
  t,
  testId,
}: {
  flag: string;
  label?: string;
  lang: Lang;
  t: Translate;
  testId?: string;
}) {
  const colour = flagColour(flag);
  return html`<span class="flag-badge" data-flag=${flag} data-testid=${testId} style=${`--flag: ${colour}`}>
    <svg class="flag-icon" viewBox="0 0 24 24" aria-hidden="true">
      <path d="M5 2v20" stroke="#3a4654" stroke-width="2" stroke-linecap="round" />
      <path d="M6 3h13l-3 4.5 3 4.5H6z" fill=${colour} />
    </svg>
    <span class="flag-text">${flagText(flag, label, lang, t)}</span>
  </span>`;
}
