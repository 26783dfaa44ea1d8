import type { AlarmMessage, Notifier } from './notifier.js';

/** Sends one SMS through a modem; rejects with a log-safe error (no number, no text). */
export type SmsSender = (to: string, text: string) => Promise<unknown>;

/**
 * Alarm SMS in Chinese to the on-duty phones of the level being alerted, through the house's GSM
 * modem. A send fails if any recipient's SMS fails (the dispatcher retries the whole message: a
 * retry may repeat an SMS that already went out, which beats one that never did).
 */
export class SmsNotifier implements Notifier {
  readonly channel: string;

  constructor(
    modemId: string,
    private readonly sendSms: SmsSender,
  ) {
    this.channel = `sms:${modemId}`;
  }

  async send(msg: AlarmMessage): Promise<void> {
    const phones = [...new Set(msg.recipients.flatMap((r) => (r.phone ? [r.phone] : [])))];
    const failures: string[] = [];
    for (const phone of phones) {
      try {
        await this.sendSms(phone, msg.text);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length > 0)
      throw new Error(`${failures.length} of ${phones.length} SMS failed: ${failures[0]}`);
  }
}
