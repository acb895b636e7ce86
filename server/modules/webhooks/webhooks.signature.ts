import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * The signature header value: `sha256=` and the hex HMAC-SHA-256 of `<timestamp>.<body>` keyed with
 * the subscription's secret. Signing the timestamp with the body lets a receiver refuse old
 * replays (it should accept only timestamps within five minutes of its clock).
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a signature header in constant time (what a receiver does; used by tests and docs). */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string,
  header: string | undefined,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Whether a URL may receive webhooks: http or https only, a host, no credentials in it. Anything
 * else (file:, ftp:, data:, javascript:, gopher:) is refused. Which hosts a deployment may reach is
 * for its egress firewall or proxy to decide (docs/channels/webhooks.md).
 */
export function webhookUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '地址格式不正确';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '只允许 http 或 https 地址';
  if (!url.hostname) return '地址缺少主机名';
  if (url.username || url.password) return '地址中不能包含用户名或密码';
  return null;
}
