import { useEffect, useState } from 'preact/hooks';
import { useNow } from '../use-now';

/**
 * Goes home after `ms` without a change of `resetKey` (a new step, a new state, a touch) while
 * `active`; answers the whole seconds left, for the countdown on screen.
 */
export function useAutoHome(ms: number, active: boolean, resetKey: unknown, onHome: () => void): number {
  const now = useNow(1000);
  const [since, setSince] = useState(() => Date.now());
  useEffect(() => setSince(Date.now()), [resetKey, active]);
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(onHome, Math.max(0, since + ms - Date.now()));
    return () => clearTimeout(timer);
  }, [active, since, ms, onHome]);
  return Math.min(ms / 1000, Math.max(0, Math.ceil((since + ms - now) / 1000)));
}
