/**
 * Values from a route's JSON Schema (TypeBox writes plain JSON Schema): `valid` builds fast-check
 * arbitraries that pass the schema, `hostile` ones that look like the field but attack it.
 */
import fc from 'fast-check';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  additionalItems?: boolean;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  default?: unknown;
}

/** Field names whose valid values must name real records: the caller supplies them. */
export type Hints = Record<string, unknown>;

const typeOf = (s: JsonSchema): string | undefined => {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
  if (s.type) return s.type;
  if (s.properties) return 'object';
  return undefined;
};

function validString(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, Math.max(min, 40));
  if (s.format === 'uuid') return fc.uuid();
  if (s.format === 'date-time')
    return fc
      .date({ min: new Date('2025-01-01'), max: new Date('2027-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (s.format === 'date')
    return fc
      .date({ min: new Date('2025-01-01'), max: new Date('2027-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
  if (s.pattern) {
    const re = new RegExp(s.pattern, 'u');
    return fc
      .stringMatching(re)
      .filter((v) => [...v].length >= min && [...v].length <= (s.maxLength ?? Number.POSITIVE_INFINITY));
  }
  return fc.string({ minLength: min, maxLength: max, unit: 'grapheme' });
}

/** An arbitrary of values that the schema accepts (hints override named properties). */
export function valid(
  s: JsonSchema | undefined,
  hints: Hints = {},
  requiredOnly = false,
): fc.Arbitrary<unknown> {
  if (!s) return fc.constant(undefined);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => valid(a, hints, requiredOnly)));
  switch (typeOf(s)) {
    case 'string':
      return validString(s);
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
      return fc.integer({ min, max: Math.max(min, s.maximum ?? min + 1000) });
    }
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? 0;
      const max = s.maximum ?? min + 1000;
      return fc
        .double({ min, max, noNaN: true, noDefaultInfinity: true })
        .filter((v) => s.exclusiveMinimum === undefined || v > s.exclusiveMinimum);
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (Array.isArray(s.items)) return fc.tuple(...s.items.map((i) => valid(i, hints, requiredOnly)));
      const item = valid(s.items ?? {}, hints, requiredOnly);
      const minLength = s.minItems ?? 0;
      const maxLength = Math.min(s.maxItems ?? 3, Math.max(minLength, 3));
      return s.uniqueItems
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, p] of Object.entries(props)) {
        record[name] = name in hints ? fc.constant(hints[name]) : valid(p, hints, requiredOnly);
      }
      const requiredKeys = Object.keys(props).filter(
        (k) => required.has(k) || (requiredOnly && k in hints && hints[k] !== undefined),
      );
      if (requiredOnly) {
        const only: Record<string, fc.Arbitrary<unknown>> = {};
        for (const k of requiredKeys) only[k] = record[k]!;
        return fc.record(only);
      }
      return fc.record(record, { requiredKeys });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** One fixed valid value: required properties (and hinted ones) only, from a fixed seed. */
export function sample(s: JsonSchema | undefined, hints: Hints = {}, seed = 1): unknown {
  if (!s) return undefined;
  return fc.sample(valid(s, hints, true), { seed, numRuns: 1 })[0];
}

/** Strings that attack a field: injection, markup, control and bidi characters, bad Unicode. */
export const HOSTILE_STRINGS = [
  "' OR '1'='1",
  "'; drop table cases; --",
  "1' union select password_hash, null from users --",
  '" or ""="',
  "\\'; select pg_sleep(0); --",
  '$1',
  '%',
  '_',
  '\\',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(document.cookie)>',
  'javascript:alert(1)',
  '{{constructor.constructor("return process")()}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '${process.env.DATABASE_URL}',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  'file:///etc/passwd',
  '\u0000',
  'a\u0000b',
  '\u0007\u0008\u001b[31m',
  '\r\nSet-Cookie: gz_session=evil',
  '\u202eevil\u202c',
  '\ufeff',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '😀'.repeat(60),
  '𠜎𠜱𠝹𠱓',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '9999999999999999999999999',
  '-1',
  '0x1F',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  ' ',
  '',
  '2026-02-30T25:61:61Z',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '360121',
  '/360121/',
  '%00',
  '%E0%A4%A',
];

/** A string of about `bytes` UTF-8 bytes (huge values: 1 MB is the body limit). */
export const huge = (bytes: number) => 'A'.repeat(bytes);

/** Any hostile string, from the list, from the whole of Unicode (lone surrogates included), or control characters. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 20,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(huge(64 * 1024), huge(900 * 1024)) },
);

/** Values of the wrong type, or of the right type but absurd. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0,
      -1,
      2 ** 31,
      2 ** 53 + 1,
      -(2 ** 63),
      1e308,
      -1e-308,
      0.5,
      true,
      false,
      null,
      [],
      {},
      [null],
      { $gt: '' },
      JSON.parse('{"__proto__":{"polluted":true}}'),
      JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A schema-shaped value with some leaves, keys or the whole replaced by hostile ones. */
export function hostile(s: JsonSchema | undefined, hints: Hints = {}): fc.Arbitrary<unknown> {
  if (!s) return hostileValue;
  const t = typeOf(s);
  if (t === 'object' && s.properties) {
    const props = s.properties;
    const names = Object.keys(props);
    return fc
      .tuple(
        valid(s, hints),
        fc.subarray(names, { maxLength: Math.min(3, names.length) }),
        fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype'), hostileString),
            hostileValue,
          ),
          {
            maxLength: 2,
          },
        ),
        fc.array(hostileValue, { minLength: 3, maxLength: 3 }),
        fc.boolean(),
      )
      .chain(([base, mutate, extra, leaves, dropRequired]) => {
        const v: Record<string, unknown> = { ...(base as Record<string, unknown>) };
        mutate.forEach((name, i) => {
          v[name] = leaves[i];
        });
        if (dropRequired && s.required?.length) delete v[s.required[0]!];
        for (const [k, val] of extra)
          Object.defineProperty(v, k, { value: val, enumerable: true, writable: true });
        // Nested objects and arrays get their own hostile values half of the time.
        const nested = names.filter((n) => typeOf(props[n]!) === 'object' || typeOf(props[n]!) === 'array');
        if (nested.length === 0) return fc.constant(v);
        return fc
          .tuple(fc.constantFrom(...nested), fc.boolean())
          .chain(([n, go]) =>
            go ? hostile(props[n], hints).map((inner) => ({ ...v, [n]: inner })) : fc.constant(v),
          );
      });
  }
  if (t === 'array') {
    const item = Array.isArray(s.items) ? s.items[0] : s.items;
    return fc.oneof(
      fc.array(hostile(item, hints), { maxLength: 4 }),
      fc.constant(Array.from({ length: 5000 }, (_, i) => i)),
      hostileValue,
    );
  }
  return fc.oneof({ weight: 1, arbitrary: valid(s, hints) }, { weight: 3, arbitrary: hostileValue });
}
