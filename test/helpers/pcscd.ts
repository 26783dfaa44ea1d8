/**
 * pcscd with the vpcd virtual reader driver for PC/SC tests (TESTBED.md, "PC/SC"). One pcscd per
 * machine, with fixed vpcd ports: tests that use it run one at a time (they all live in
 * `test/pcsc.test.ts`).
 *
 * {@link ensurePcscd} uses a pcscd that already runs, or starts `pcscd --foreground` (its output
 * goes to a log file, so it survives this process's pipes), and waits until `Virtual PCD 00 00` is
 * listed. To look into a failure: `PCSCD_DEBUG=1` adds `--debug` (every poll of vpcd, every call),
 * `PCSCD_LOG=file` puts the log there instead of a fresh temporary directory. The handle stops and restarts it for recovery tests, and {@link PcscdHandle.release}
 * leaves the machine as it was found: pcscd running or not.
 */

import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const INSTALL = 'apt-get install -y --no-install-recommends pcscd libpcsclite-dev pcsc-tools vsmartcard-vpcd';
const VPCD_CONF = '/etc/reader.conf.d/vpcd';
const PID_FILE = '/run/pcscd/pcscd.pid';
/** The reader vpcd shows for port 35963. */
export const VPCD_READER_0 = 'Virtual PCD 00 00';
/** The reader vpcd shows for port 35964. */
export const VPCD_READER_1 = 'Virtual PCD 00 01';

function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin'];
  return dirs
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
}

/**
 * Why PC/SC tests cannot run here (pcscd, pcsc_scan, vpcd or a loadable `nfc-pcsc` missing), or
 * `false` when they can. Under CI (`CI` set) a missing piece throws: such tests never skip there.
 */
export async function pcscMissing(): Promise<string | false> {
  const missing: string[] = [];
  if (which('pcscd') === undefined) missing.push('pcscd');
  if (which('pcsc_scan') === undefined) missing.push('pcsc_scan (pcsc-tools)');
  if (!existsSync(VPCD_CONF)) missing.push(`vpcd (${VPCD_CONF}, vsmartcard-vpcd)`);
  try {
    const name = 'nfc-pcsc';
    await import(name);
  } catch (error) {
    missing.push(
      `a loadable nfc-pcsc (${(error as Error).message.split('\n')[0]}; needs libpcsclite-dev, then npm ci)`,
    );
  }
  if (missing.length === 0) return false;
  const reason = `PC/SC stack incomplete: ${missing.join(', ')}; install: ${INSTALL}`;
  if (process.env.CI) throw new Error(`${reason} (required under CI)`);
  return reason;
}

/** The reader names pcscd lists (`pcsc_scan -r`), or `[]` when it does not answer. */
export async function listReaders(): Promise<string[]> {
  const scan = which('pcsc_scan') ?? 'pcsc_scan';
  return await new Promise((resolve) => {
    execFile(scan, ['-r'], { timeout: 3000 }, (error, stdout) => {
      if (error) return resolve([]);
      resolve([...stdout.matchAll(/^\d+: (.+)$/gm)].map((m) => (m[1] ?? '').trim()));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A pcscd for tests. */
export interface PcscdHandle {
  /** Stops pcscd (SIGTERM as `systemctl stop` does, SIGKILL after 5 s) and waits until it is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts pcscd when none runs; resolves once `Virtual PCD 00 00` is listed. */
  start(): Promise<void>;
  /** Leaves the machine as found: stops the pcscd this helper started unless one ran before. */
  release(): Promise<void>;
  /** pcscd's log when this helper started it. */
  log(): Promise<string>;
}

/** Makes sure pcscd runs with the vpcd readers; see the module comment. */
export async function ensurePcscd(): Promise<PcscdHandle> {
  const ranBefore = (await listReaders()).includes(VPCD_READER_0);
  const logDir = await mkdtemp(join(tmpdir(), 'linli-pcscd-'));
  const logFile = process.env.PCSCD_LOG ?? join(logDir, 'pcscd.log');

  const pid = async (): Promise<number | undefined> => {
    const text = await readFile(PID_FILE, 'utf8').catch(() => '');
    const n = Number.parseInt(text, 10);
    return Number.isInteger(n) && n > 0 && alive(n) ? n : undefined;
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const running = await pid();
    if (running === undefined) return;
    process.kill(running, signal);
    const deadline = Date.now() + 5000;
    while (alive(running)) {
      if (Date.now() > deadline) process.kill(running, 'SIGKILL');
      await sleep(20);
    }
  };

  const start = async (): Promise<void> => {
    if ((await listReaders()).includes(VPCD_READER_0)) return;
    const pcscd = which('pcscd');
    if (pcscd === undefined) throw new Error(`pcscd not found; install: ${INSTALL}`);
    const out = openSync(logFile, 'a');
    const child = spawn(pcscd, ['--foreground', ...(process.env.PCSCD_DEBUG ? ['--debug'] : [])], {
      stdio: ['ignore', out, out],
      detached: true,
    });
    closeSync(out); // pcscd has its own copy
    child.unref();
    let exited: string | undefined;
    child.once('exit', (code, sig) => {
      exited = `pcscd exited (${sig ?? code})`;
    });
    await waitFor(
      async () => {
        if (exited !== undefined) throw new Error(`${exited}: ${(await readFile(logFile, 'utf8')).trim()}`);
        return (await listReaders()).includes(VPCD_READER_0);
      },
      5000,
      `pcscd to list ${VPCD_READER_0}`,
    );
  };

  await start();
  return {
    stop,
    start,
    async release() {
      if (!ranBefore) await stop();
      else await start();
    },
    log: async () => await readFile(logFile, 'utf8').catch(() => ''),
  };
}
