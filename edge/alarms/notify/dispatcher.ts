import type { Alarm } from '../alarm-model.js';
import type { AlarmMessage, Notifier } from './notifier.js';

export interface DeliveryLog {
  id: string;
  channel: string;
  level: number;
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Sends each alarm notification through every channel on its own: a channel that fails is
 * retried on its schedule and reported, and never holds the others up. Every final outcome goes
 * to the delivery log (the alarm stream), so a silent failure cannot hide.
 */
export class NotificationDispatcher {
  private stopped = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly channels: () => Notifier[],
    private readonly message: (alarm: Alarm, level: number) => AlarmMessage,
    private readonly log: (d: DeliveryLog) => Promise<void>,
    /** Delays before each retry, in ms; its length is the number of retries. */
    private readonly retryDelaysMs: readonly number[],
  ) {}

  dispatch(alarm: Alarm, level: number): void {
    const msg = this.message(alarm, level);
    for (const n of this.channels()) {
      const p = this.deliver(n, msg).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /** Stops retrying; waits for deliveries in flight to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.pending]);
  }

  private async deliver(n: Notifier, msg: AlarmMessage): Promise<void> {
    let attempts = 0;
    let error = '';
    for (let i = 0; i <= this.retryDelaysMs.length && !this.stopped; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, this.retryDelaysMs[i - 1]).unref());
      if (this.stopped) break;
      attempts++;
      try {
        await n.send(msg);
        await this.log({ id: msg.alarm.id, channel: n.channel, level: msg.level, ok: true, attempts }).catch(
          () => undefined,
        );
        return;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    await this.log({
      id: msg.alarm.id,
      channel: n.channel,
      level: msg.level,
      ok: false,
      attempts,
      error,
    }).catch(() => undefined);
  }
}
