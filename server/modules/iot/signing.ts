/**
 * How devices sign what they send (docs/channels/iot.md, "Signing"). Every device holds its own
 * secret; the signature is HMAC-SHA256 with the secret's UTF-8 bytes as the key, written as 64
 * lowercase hex digits.
 *
 * - MQTT: the payload carries `sig` over a canonical text of the topic and the fields (below), so
 *   that a signed alarm cannot be moved to another device, county or kind (alarm → recovery).
 * - HTTP (alarms and camera events): `X-Signature` over `X-Timestamp`, the request path and the raw
 *   body bytes, so nothing is re-serialised before checking.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** First line of every MQTT canonical text: a new scheme gets a new version line. */
export const SIGNATURE_VERSION = 'GONGZHI-IOT-V1';
/** A message whose time is further than this from the server's clock is refused (replays, skew). */
export const TIME_WINDOW_MS = 5 * 60_000;

/** The fields of an MQTT message that the signature covers (all but `sig`). */
export interface SignedFields {
  at: string;
  nonce: string;
  alarmType?: string | undefined;
  level?: number | undefined;
  value?: number | string | undefined;
  message?: string | undefined;
}

/**
 * The canonical text of an MQTT message: eight lines joined by "\n" — version, topic, at, nonce,
 * alarmType, level, value, message — with an absent field as an empty line. A number is written as
 * JavaScript's `String(n)` (shortest form: 35.5, 120); a device that cannot promise that form sends
 * the value as a JSON string, which is signed as it is. The message comes last, so a line break
 * inside it cannot shift another field.
 */
export function mqttCanonical(topic: string, f: SignedFields): string {
  return [
    SIGNATURE_VERSION,
    topic,
    f.at,
    f.nonce,
    f.alarmType ?? '',
    f.level === undefined ? '' : String(f.level),
    f.value === undefined ? '' : String(f.value),
    f.message ?? '',
  ].join('\n');
}

/** The bytes an HTTP request's signature covers: `<X-Timestamp>\n<path>\n<raw body>`. */
export function httpCanonical(timestamp: string, path: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${path}\n`, 'utf8'), body]);
}

/** HMAC-SHA256 of the data with the device secret, as lowercase hex. */
export function sign(secret: string, data: string | Buffer): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(data).digest('hex');
}

/**
 * Whether `signature` (hex, optionally prefixed `sha256=`) is the HMAC of the data under the
 * secret. Compared in constant time; anything that is not 64 hex digits never matches.
 */
export function signatureMatches(secret: string, data: string | Buffer, signature: string): boolean {
  const hex = signature
    .trim()
    .replace(/^sha256=/i, '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) return false;
  const expected = Buffer.from(sign(secret, data), 'hex');
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

/** A fresh device secret: 32 random bytes, base64url (43 characters, safe in shells and files). */
export function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A fresh nonce for a message (16 characters). */
export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

/** Nonces: 8–64 letters, digits, '-', '_' or '.' (the monitor's own nonces contain ':'). */
export const NONCE_PATTERN = '^[A-Za-z0-9_.-]{8,64}$';
/** Alarm and event types: lower-case words joined by '_' (smoke, ammonia, street_occupation). */
export const ALARM_TYPE_PATTERN = '^[a-z][a-z0-9_]{1,39}$';
/** ISO 8601 date-time with seconds and a zone: 2026-11-30T08:00:00Z, 2026-11-30T16:00:00.123+08:00. */
export const AT_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})$';
/** Device codes: also a single MQTT topic level, so no '/', '+' or '#'. */
export const DEVICE_CODE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$';

/** Parses a message time; undefined when it is not a valid date-time of the form above. */
export function parseAt(at: string): Date | undefined {
  if (!new RegExp(AT_PATTERN).test(at)) return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Whether a time lies within the window around now. */
export function withinWindow(t: Date, now: Date): boolean {
  return Math.abs(t.getTime() - now.getTime()) <= TIME_WINDOW_MS;
}

/** The topic of a device's messages: `{prefix}/{county}/devices/{code}/{alarm|recovery|heartbeat}`. */
export function deviceTopic(
  prefix: string,
  countyCode: string,
  deviceCode: string,
  kind: 'alarm' | 'recovery' | 'heartbeat',
): string {
  return `${prefix}/${countyCode}/devices/${deviceCode}/${kind}`;
}

/** A signed MQTT payload for a topic (what a device, the simulator and the tests send). */
export function signedPayload(topic: string, secret: string, fields: SignedFields): string {
  const body: Record<string, unknown> = {};
  if (fields.alarmType !== undefined) body.alarmType = fields.alarmType;
  if (fields.level !== undefined) body.level = fields.level;
  if (fields.value !== undefined) body.value = fields.value;
  if (fields.message !== undefined) body.message = fields.message;
  body.at = fields.at;
  body.nonce = fields.nonce;
  body.sig = sign(secret, mqttCanonical(topic, fields));
  return JSON.stringify(body);
}
