import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ReadyProcess {
  proc: ChildProcess;
  /** The ready line itself. */
  line: string;
  /** From just before spawn() to the ready line, ms. */
  readyMs: number;
  stderr: string[];
  exited: Promise<number | string>;
  /** A signal (SIGTERM by default); SIGKILL after 10 s so a stuck process never hangs a run. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * The Node flags a bin asks for in its `#!/usr/bin/env -S node <flags>` line: a test or bench runs
 * the program as it ships (`npx linli-edge` runs it through that line), with the same node.
 */
export function nodeFlagsOf(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --?[\w-]+(?:=\S+)?)+)\s*$/.exec(first);
  return m?.[1] ? m[1].trim().split(/\s+/) : [];
}

/** Children still running; killed when this process exits, however it ends. */
const live = new Set<ChildProcess>();
let exitHook = false;

/**
 * A test file that dies (a throw at its top level, a missing browser) never runs its teardowns, and
 * a daemon it started would run on for hours, loading the machine and holding ports: every child
 * spawned here gets SIGKILL when this process exits.
 */
function killOnExit(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

/**
 * Spawns `node [flags] <bin>` (flags from its `#!` line, {@link nodeFlagsOf}) and waits for its
 * ready line on stdout (`<name> ready …`), keeping stderr's lines; a process that exits first, or
 * is not ready in time (then killed), rejects with its stderr.
 */
export async function spawnUntilReady(opts: {
  name: string;
  bin: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<ReadyProcess> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeFlagsOf(opts.bin), opts.bin], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(proc);
  const stderr: string[] = [];
  createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on('line', (l) => {
    if (stderr.length < 5000) stderr.push(l);
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)),
  );
  let readyMs = 0;
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        proc.kill('SIGKILL');
        reject(new Error(`${opts.name} not ready in time; stderr:\n${stderr.join('\n')}`));
      },
      // Ready in < 1 s alone; 2 cores running the whole suite (and Chromium) can take far longer.
      opts.timeoutMs ?? 45_000,
    );
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      if (l.startsWith(`${opts.name} ready `)) {
        readyMs = performance.now() - t0;
        clearTimeout(timer);
        resolve(l);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited (${code}) before ready; stderr:\n${stderr.join('\n')}`));
    });
  });
  return {
    proc,
    line,
    readyMs,
    stderr,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
