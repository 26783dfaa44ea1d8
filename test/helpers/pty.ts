/** Test-side access to socat pty pairs (the pair itself lives with the simulators). */
import { hasSocat } from '../../firmware-bridge/sim/pty-pair.js';

export { hasSocat, type PtyPair, ptyPair } from '../../firmware-bridge/sim/pty-pair.js';

/**
 * Whether a test should skip for want of socat: never under CI (`CI` set), where a missing socat must
 * fail the run loudly; elsewhere a reason string to pass to `t.skip`, or `false` when socat exists.
 */
export async function skipWithoutSocat(): Promise<string | false> {
  if (await hasSocat()) return false;
  if (process.env.CI) throw new Error('socat is required under CI: apt-get install -y socat');
  return 'socat not installed (apt-get install -y socat)';
}
