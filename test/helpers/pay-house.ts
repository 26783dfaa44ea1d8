/**
 * A house that takes payments, for the payments browser tests: the built daemon as a real process,
 * a bank terminal on one end of a socat pty pair and the real BankTerminalSimulator on the other,
 * a paired kiosk device and an admin token. Timings are scaled down through the environment.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BankTerminalSimulator } from '../../firmware-bridge/bank-terminal/simulator.js';
import { api, type EdgeProcess, login, startEdge, tempDir } from './edge-process.js';
import { type PtyPair, ptyPair } from './pty.js';

export const TERMINAL = 'pos-1';
export const KIOSK = 'kiosk-1';

/**
 * The edge's payment timings, scaled for tests: a lost result becomes `unknown` after a few
 * seconds instead of 90, and the query backoff starts small (`edge/config/config-keys.ts`).
 */
export const PAYMENT_ENV: Record<string, string> = {
  LINLI_SERIAL_BACKOFF_MS: '50',
  LINLI_SERIAL_BACKOFF_MAX_MS: '200',
  LINLI_ECR_RESULT_TIMEOUT_MS: '4000',
  LINLI_PAYMENT_QUERY_BACKOFF_MS: '300',
  LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS: '1000',
};

export interface PayHouse {
  edge: EdgeProcess;
  pty: PtyPair;
  sim: BankTerminalSimulator;
  admin: string;
  kioskToken: string;
  /** Calls a kiosk route with the kiosk's cookie. */
  kioskApi<T>(
    method: string,
    path: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body: T }>;
  /** Polls `GET /api/payments/{id}` until its state is one of `states`. */
  waitState(
    id: string,
    states: string[],
    timeoutMs?: number,
  ): Promise<{ state: string } & Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startPayHouse(
  opts: { env?: Record<string, string>; delays?: { cardMs: number; pinMs: number; hostMs: number } } = {},
): Promise<PayHouse> {
  const dir = await tempDir('linli-pay-');
  const pty = await ptyPair(join(dir, 'pty'));
  const edge = await startEdge({ ...PAYMENT_ENV, ...opts.env }, { dataDir: join(dir, 'data') });
  const sim = new BankTerminalSimulator({
    path: pty.b,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    balanceFen: 100_000_000,
    cardNumber: '6222021234567890123',
    delays: opts.delays ?? { cardMs: 1500, pinMs: 500, hostMs: 300 },
  });
  await sim.open();
  const admin = await login(edge.httpUrl);
  const term = await api(edge.httpUrl, admin, 'POST', '/api/devices', {
    id: TERMINAL,
    type: 'bank-terminal',
    transport: 'serial',
    path: pty.a,
    baudRate: 9600,
  });
  if (term.status !== 201)
    throw new Error(`registering the terminal: ${term.status} ${JSON.stringify(term.body)}`);
  const kiosk = await api<{ token: string }>(edge.httpUrl, admin, 'POST', '/api/devices', {
    id: KIOSK,
    type: 'kiosk',
    transport: 'http',
  });
  if (kiosk.status !== 201) throw new Error(`registering the kiosk: ${kiosk.status}`);
  for (let i = 0; ; i++) {
    const d = await api<{ online: boolean }>(edge.httpUrl, admin, 'GET', `/api/devices/${TERMINAL}`);
    if (d.body.online) break;
    if (i > 300) throw new Error('the bank terminal never came online');
    await sleep(50);
  }
  const kioskToken = kiosk.body.token;
  const kioskApi = async <T>(method: string, path: string, body?: unknown, key?: string) => {
    const res = await fetch(`${edge.httpUrl}${path}`, {
      method,
      headers: {
        cookie: `linli_kiosk=${kioskToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(method === 'POST' ? { 'idempotency-key': key ?? randomUUID() } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const waitState = async (id: string, states: string[], timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const got = await api<{ state: string } & Record<string, unknown>>(
        edge.httpUrl,
        admin,
        'GET',
        `/api/payments/${id}`,
      );
      if (states.includes(got.body?.state)) return got.body;
      if (Date.now() > until)
        throw new Error(`payment ${id} stayed ${got.body?.state}, not ${states.join('|')}`);
      await sleep(100);
    }
  };
  return {
    edge,
    pty,
    sim,
    admin,
    kioskToken,
    kioskApi,
    waitState,
    async stop() {
      await sim.close().catch(() => undefined);
      await edge.stop();
      await pty.kill();
    },
  };
}
