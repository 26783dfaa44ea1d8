import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails loudly under CI when the third-party MQTT clients are missing (TESTBED.md). */
export function requireMosquittoClients(): void {
  const paths = (process.env.PATH ?? '').split(':');
  if (!paths.some((p) => existsSync(`${p}/mosquitto_pub`))) {
    throw new Error('mosquitto_pub/mosquitto_sub are required: apt-get install -y mosquitto-clients');
  }
}

/** Runs `mosquitto_pub` (MQTT 3.1.1) and resolves with its exit code and output. */
export function mosquittoPub(port: number, args: string[], timeoutMs = 5000): Promise<ClientResult> {
  return new Promise((resolve) => {
    execFile(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', ...args],
      { timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 124) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A running `mosquitto_sub`: collects lines, resolves `exited` when it ends. */
export interface Subscriber {
  lines: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves once the broker has answered the SUBSCRIBE (SUBACK), whatever it granted. */
  subscribed: Promise<void>;
  waitLines(n: number, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<number | null>;
}

// `-d` makes mosquitto_sub print its protocol exchange on stdout: the SUBACK line tells a test the
// subscription is in place (instead of sleeping and hoping, which fails on a loaded machine), and
// these lines are kept out of the message lines.
const DEBUG_LINE = /^(Client \S+ (sending|received) [A-Z]+|Subscribed \(mid: )/;

export function mosquittoSub(port: number, args: string[]): Subscriber {
  // stdbuf: into a pipe, mosquitto_sub's stdio would hold the debug lines until it exits.
  const sub = ['mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-d'];
  const child = spawn('stdbuf', ['-oL', ...sub, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stderr: string[] = [];
  let buf = '';
  let onSuback: () => void = () => {};
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const subscribed = new Promise<void>((resolve, reject) => {
    onSuback = resolve;
    const early = (code: number | null) => new Error(`mosquitto_sub exited (${code}) before SUBACK`);
    void exited.then((code) => reject(early(code)));
  });
  subscribed.catch(() => {}); // a test that never awaits it must not see an unhandled rejection
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const line of parts) {
      if (!DEBUG_LINE.test(line)) lines.push(line);
      else if (/ received SUBACK/.test(line)) onSuback();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  return {
    lines,
    stderr,
    exited,
    subscribed,
    async waitLines(n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (lines.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return lines;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
