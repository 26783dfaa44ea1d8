/**
 * Fan-out of server-sent events with a replay ring: every event gets an increasing id, the
 * last `capacity` are kept in memory, and a client that reconnects with `Last-Event-ID` gets
 * what it missed (DESIGN.md, `GET /api/events`).
 */
export interface SseEvent {
  id: number;
  event: string;
  data: unknown;
}

export type SseListener = (e: SseEvent) => void;

export class SseHub {
  private readonly ring: SseEvent[] = [];
  private nextId = 1;
  private readonly listeners = new Set<SseListener>();

  constructor(private readonly capacity: number) {}

  get clients(): number {
    return this.listeners.size;
  }

  publish(event: string, data: unknown): SseEvent {
    const e: SseEvent = { id: this.nextId++, event, data };
    if (this.capacity > 0) {
      this.ring.push(e);
      if (this.ring.length > this.capacity) this.ring.shift();
    }
    for (const l of this.listeners) l(e);
    return e;
  }

  /**
   * Subscribes; when `lastEventId` is given, first replays the kept events after it. Returns
   * the unsubscribe function. Replay and live delivery cannot interleave: both run synchronously.
   */
  subscribe(listener: SseListener, lastEventId?: number): () => void {
    if (lastEventId !== undefined && Number.isFinite(lastEventId)) {
      for (const e of this.ring) if (e.id > lastEventId) listener(e);
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Wire form of one event. `data` is one JSON line, so no `data:` continuation is needed. */
  static format(e: SseEvent): string {
    return `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
  }
}
