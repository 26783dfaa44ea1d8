/**
 * A linked pair of pseudo-terminals from socat: two serial ports wired to each other, for
 * integration tests and the demo: serial drivers against their simulators (TESTBED.md, "Serial ports").
 * Killing socat is a cable pulled: both ports report `close` with `disconnected: true`.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where socat is looked for; override with `SOCAT`. */
const SOCAT = process.env.SOCAT ?? 'socat';
const READY_TIMEOUT_MS = 5000;

/** Two linked ports; `a` and `b` are stable symlink paths that survive `restart()`. */
export interface PtyPair {
  a: string;
  b: string;
  /** Kills socat (SIGKILL, as a pulled cable) and removes both links, as the device nodes vanish. */
  kill(): Promise<void>;
  /** Starts a new socat with the same link names (killing the old one first if it still runs). */
  restart(): Promise<void>;
}

/** True when socat can be run here. */
export async function hasSocat(): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const child = spawn(SOCAT, ['-V'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Spawns `socat` linking `DIR/ttyA` and `DIR/ttyB`; resolves once both links exist. */
export async function ptyPair(dir: string): Promise<PtyPair> {
  const a = join(dir, 'ttyA');
  const b = join(dir, 'ttyB');
  let child: ChildProcess | undefined;

  const removeLinks = async (): Promise<void> => {
    await rm(a, { force: true });
    await rm(b, { force: true });
  };

  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running !== undefined && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    }
    await removeLinks(); // SIGKILL leaves socat no chance to remove them
  };

  const start = async (): Promise<void> => {
    await kill();
    let stderr = '';
    let failure: Error | undefined;
    const spawned = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = spawned;
    spawned.stderr?.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString()).slice(-2000);
    });
    spawned.once('error', (error: NodeJS.ErrnoException) => {
      failure =
        error.code === 'ENOENT'
          ? new Error(`socat not found (${SOCAT}); install it: apt-get install -y socat`)
          : error;
    });
    spawned.once('exit', (code, signal) => {
      failure ??= new Error(`socat exited early (${signal ?? code}): ${stderr.trim()}`);
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await exists(a)) || !(await exists(b))) {
      if (failure !== undefined) throw failure;
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`socat did not create ${a} and ${b} within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
      }
      await sleep(10);
    }
    if (failure !== undefined) throw failure;
  };

  await mkdir(dir, { recursive: true });
  await start();
  return { a, b, kill, restart: start };
}
