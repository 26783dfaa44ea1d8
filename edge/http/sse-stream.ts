import type { FastifyReply, FastifyRequest } from 'fastify';
import { type SseEvent, SseHub } from '../events/sse-hub.js';

/**
 * Streams a hub's events to one HTTP client: replays from `Last-Event-ID`, writes a comment
 * every `keepaliveMs`, and cleans up when the client goes. `filter` picks what this client may see.
 */
export function streamSse(
  req: FastifyRequest,
  reply: FastifyReply,
  hub: SseHub,
  keepaliveMs: number,
  filter: (e: SseEvent) => boolean = () => true,
  onClose?: () => void,
  /** The current state a new client needs first (sent without ids: not replayable). */
  initial: { event: string; data: unknown }[] = [],
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  req.raw.socket.setNoDelay(true);
  res.write('retry: 2000\n: connected\n\n');
  for (const e of initial) res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
  const header = req.headers['last-event-id'];
  const last = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
  const unsubscribe = hub.subscribe((e) => {
    if (filter(e)) res.write(SseHub.format(e));
  }, last);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), keepaliveMs);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    unsubscribe();
    onClose?.();
  };
  req.raw.on('close', close);
  res.on('close', close);
}
