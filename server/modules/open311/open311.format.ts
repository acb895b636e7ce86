import { XMLBuilder } from 'fast-xml-parser';

/** The two response formats of GeoReport v2, chosen by the extension (`services.xml`). */
export type Format = 'xml' | 'json';
export const FORMATS: readonly Format[] = ['xml', 'json'];

export const CONTENT_TYPE: Record<Format, string> = {
  xml: 'text/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/**
 * Singular element names for lists, as the spec's XML writes them (Spark convention: a JSON array
 * under `services` is `<services><service>…</service></services>` in XML). Anything else drops a
 * final "s".
 */
const SINGULAR: Record<string, string> = {
  service_requests: 'request',
  service_request_updates: 'request_update',
};

function singular(name: string): string {
  return SINGULAR[name] ?? name.replace(/s$/, '');
}

/** Characters XML 1.0 cannot carry at all (control characters other than tab, LF, CR). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what must go
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

type XmlValue = string | XmlObject | XmlObject[] | string[];
interface XmlObject {
  [key: string]: XmlValue;
}

function xmlify(value: unknown): string | XmlObject {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.replace(NOT_XML, '');
  if (value instanceof Date) return value.toISOString();
  const out: XmlObject = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? { [singular(k)]: v.map(xmlify) as XmlObject[] } : xmlify(v);
  }
  return out;
}

const builder = new XMLBuilder({ format: true, indentBy: '  ', suppressEmptyNode: true });

/**
 * The XML form of a document: `root` is the outer element (`services`, `service_requests`,
 * `discovery` …), a list becomes repeated singular elements. Nulls are empty elements, as in the
 * spec's examples (`<account_id/>`).
 */
export function toXml(root: string, value: unknown): string {
  const body = Array.isArray(value) ? { [singular(root)]: value.map(xmlify) } : xmlify(value);
  return `<?xml version="1.0" encoding="utf-8"?>\n${builder.build({ [root]: body })}`;
}

/** One error of the spec's error list: a code (the HTTP status here) and a description for people. */
export interface Open311ErrorItem {
  code: number;
  description: string;
}

/** W3C date-time with the offset of China (UTC+8, no daylight saving), e.g. 2026-11-30T09:05:00+08:00. */
export function w3(date: Date | null | undefined): string | null {
  if (!date) return null;
  const local = new Date(date.getTime() + 8 * 3600_000).toISOString();
  return `${local.slice(0, 19)}+08:00`;
}

const W3_DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a W3C date-time; the spec requires the time zone (Z or ±hh:mm). A `+` that a client left
 * unencoded in a query string arrives as a space and is read as `+`. Undefined when invalid.
 */
export function parseW3(text: string): Date | undefined {
  const m = W3_DATETIME.exec(text.trim().replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}${m[2]}`);
  return Number.isNaN(t) ? undefined : new Date(t);
}
