import type { WebhookTarget } from '../../state/edge-state.js';
import type { AlarmMessage, Notifier } from './notifier.js';

/**
 * Posts alarms to a webhook: the group-robot formats Chinese community staff use (WeCom 企业微信
 * and DingTalk 钉钉 "text" messages, mentioning the on-duty phones) or plain JSON. Robots answer
 * HTTP 200 with `errcode` 0 when they took the message; anything else is a failure to retry.
 */
export class WebhookNotifier implements Notifier {
  readonly channel: string;

  constructor(
    private readonly target: WebhookTarget,
    private readonly timeoutMs = 5000,
  ) {
    this.channel = `webhook:${target.name}`;
  }

  async send(msg: AlarmMessage): Promise<void> {
    if (this.target.levels && !this.target.levels.includes(msg.level)) return;
    const phones = msg.recipients.flatMap((r) => (r.phone ? [r.phone] : []));
    const body =
      this.target.format === 'wecom'
        ? { msgtype: 'text', text: { content: msg.text, mentioned_mobile_list: phones } }
        : this.target.format === 'dingtalk'
          ? { msgtype: 'text', text: { content: msg.text }, at: { atMobiles: phones, isAtAll: false } }
          : {
              type: 'linli.alarm',
              level: msg.level,
              text: msg.text,
              alarm: msg.alarm,
              recipients: msg.recipients.map((r) => ({
                name: r.name,
                ...(r.phone ? { phone: r.phone } : {}),
                level: r.level,
              })),
            };
    let res: Response;
    try {
      res = await fetch(this.target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new Error(`webhook ${this.target.name} unreachable: ${(err as Error).name}`);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new Error(`webhook ${this.target.name} answered HTTP ${res.status}`);
    if (this.target.format !== 'json') {
      let errcode: unknown;
      try {
        errcode = (JSON.parse(text) as { errcode?: unknown }).errcode;
      } catch {
        errcode = 'no JSON';
      }
      if (errcode !== 0) throw new Error(`webhook ${this.target.name} answered errcode ${String(errcode)}`);
    }
  }
}
