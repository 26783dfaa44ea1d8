/**
 * A server-sent-events stream that keeps itself connected. The browser's EventSource retries by
 * itself after a dropped connection (sending Last-Event-ID), but gives up for good when the server
 * answers with anything other than an event stream (401, 403, 502 …). Then this module asks the
 * server for the status with a plain request (to `probeUrl`): 401/403 ends in state `denied`, anything else is
 * retried after `retryMs`.
 */

export type ConnState = 'connecting' | 'open' | 'denied';

export type SseHandlers<M> = { [K in keyof M]?: (data: M[K]) => void };

export interface SseOptions<M> {
  url: string;
  handlers: SseHandlers<M>;
  onState: (state: ConnState, status?: number) => void;
  /** Where to ask for the status after a refused connection; defaults to `url`. A cheap
   * "who am I" route is better where one exists: probing the stream itself opens one. */
  probeUrl?: string;
  /** Called on every (re)connection: the place to re-fetch what may have been missed. */
  onOpen?: () => void;
  retryMs?: number;
}

async function probeStatus(url: string): Promise<number> {
  const controller = new AbortController();
  try {
    const res = await fetch(url, {
      headers: { Accept: 'text/event-stream' },
      credentials: 'same-origin',
      signal: controller.signal,
    });
    return res.status;
  } catch {
    return 0;
  } finally {
    controller.abort();
  }
}

/** Opens the stream; the returned function closes it for good. */
export function connectSse<M>(options: SseOptions<M>): () => void {
  const { url, handlers, onState, onOpen, probeUrl = url, retryMs = 3000 } = options;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const retryOrDeny = async (): Promise<void> => {
    const status = await probeStatus(probeUrl);
    if (stopped) return;
    if (status === 401 || status === 403) {
      onState('denied', status);
      return;
    }
    onState('connecting', status);
    timer = setTimeout(start, retryMs);
  };

  function start(): void {
    if (stopped) return;
    const es = new EventSource(url, { withCredentials: true });
    source = es;
    es.onopen = () => {
      onState('open');
      onOpen?.();
    };
    es.onerror = () => {
      if (stopped) return;
      if (es.readyState === EventSource.CONNECTING) {
        onState('connecting');
        return;
      }
      es.close();
      onState('connecting');
      void retryOrDeny();
    };
    for (const name of Object.keys(handlers) as (keyof M & string)[]) {
      const handler = handlers[name];
      es.addEventListener(name, (event) => {
        let data: M[typeof name];
        try {
          data = JSON.parse((event as MessageEvent<string>).data) as M[typeof name];
        } catch {
          return; // A malformed event cannot be shown; the next re-fetch repairs the view.
        }
        handler?.(data);
      });
    }
  }

  onState('connecting');
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
