/**
 * Starts the PC/SC worker (`pcsc-worker.ts`) as a child process next to this module: the compiled
 * `pcsc-worker.js` when running from `dist/`, or the TypeScript source through tsx when running
 * from a checkout (tests, `--import tsx`).
 */

import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The worker's file and the Node options it needs. */
export function pcscWorkerEntry(): { path: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./pcsc-worker.js', import.meta.url));
  const ts = fileURLToPath(new URL('./pcsc-worker.ts', import.meta.url));
  const fromSource = import.meta.url.endsWith('.ts') || !existsSync(js);
  // The parent's own execArgv (a test runner's loaders, --inspect) is not passed on.
  return fromSource
    ? { path: ts, execArgv: ['--import', import.meta.resolve('tsx')] }
    : { path: js, execArgv: [] };
}

/**
 * Forks the worker with an IPC channel (JSON), stdout ignored and stderr piped (the driver keeps
 * its last line for the link reason). `nfcModule` replaces `nfc-pcsc` (tests).
 */
export function forkPcscWorker(heartbeatMs: number, nfcModule?: string): ChildProcess {
  const { path, execArgv } = pcscWorkerEntry();
  return fork(path, [String(heartbeatMs), nfcModule ?? ''], {
    execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
}
