import type { Logger } from 'pino';

/** Sends text messages to citizens. Swap the adapter for a real SMS gateway in production. */
export interface SmsSender {
  /** `log` when codes go to the log (development), `sms` for a real gateway. */
  readonly delivery: 'sms' | 'log';
  send(phone: string, text: string): Promise<void>;
}

/**
 * Development sender: writes the message to the log. It never logs in production mode, where a
 * real gateway must be configured.
 */
export class LogSmsSender implements SmsSender {
  readonly delivery = 'log' as const;
  readonly sent: { phone: string; text: string; at: Date }[] = [];
  constructor(private readonly log: Logger) {}

  async send(phone: string, text: string): Promise<void> {
    this.sent.push({ phone, text, at: new Date() });
    if (this.sent.length > 1000) this.sent.shift();
    this.log.info({ sms: { to: phone, text } }, `[SMS 开发模式] 发送至 ${phone}: ${text}`);
  }
}
