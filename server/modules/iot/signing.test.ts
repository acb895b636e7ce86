/**
 * The signing recipe (the vectors are the ones in docs/channels/iot.md, also checked there with
 * openssl), the default rules against the category taxonomy, and rule picking by level.
 */
import { describe, expect, it } from 'vitest';
import { CATEGORY_TAXONOMY } from '../categories/taxonomy.ts';
import { DEFAULT_RULES, DEVICE_TYPES, OFFLINE, OFFLINE_FALLBACK, pickRule } from './rules.ts';
import {
  deviceTopic,
  httpCanonical,
  mqttCanonical,
  parseAt,
  signatureMatches,
  signedPayload,
  withinWindow,
} from './signing.ts';

const SECRET = 'demo-secret-please-rotate';

describe('signing', () => {
  it('MQTT: the canonical text and its HMAC are the documented ones', () => {
    const topic = deviceTopic('gongzhi', '360121', 'WC-0001', 'alarm');
    const fields = {
      alarmType: 'ammonia',
      level: 3,
      value: 12.5,
      message: '男厕氨气偏高',
      at: '2026-11-30T08:00:00Z',
      nonce: 'n8Fz2kQ1xLm0',
    };
    expect(mqttCanonical(topic, fields)).toBe(
      'GONGZHI-IOT-V1\ngongzhi/360121/devices/WC-0001/alarm\n2026-11-30T08:00:00Z\nn8Fz2kQ1xLm0\nammonia\n3\n12.5\n男厕氨气偏高',
    );
    const payload = JSON.parse(signedPayload(topic, SECRET, fields));
    expect(payload.sig).toBe('fe94d7b03b0f4eb95c4460835379b5985abf0d9abeb734bc16b1b9bc88d3c3b5');
    // A heartbeat leaves the alarm lines empty.
    expect(mqttCanonical('t', { at: 'A', nonce: 'N' })).toBe('GONGZHI-IOT-V1\nt\nA\nN\n\n\n\n');
    // A value sent as a string is signed as it is.
    expect(mqttCanonical('t', { at: 'A', nonce: 'N', value: '35.50' })).toContain('\n35.50\n');
  });

  it('HTTP: timestamp, path and raw body; "sha256=" prefix and upper case accepted; anything else fails', () => {
    const body = Buffer.from(
      '{"alarmType":"smoke","level":3,"at":"2026-11-30T08:00:00Z","nonce":"k2Jd8s0aPq1z"}',
    );
    const data = httpCanonical('1764489600', '/api/iot/alarms', body);
    const sig = '76c32e750b9bada2d6cb6f034ad3ff9c640ea56d8ee7c04643e75c94672f0073';
    expect(signatureMatches(SECRET, data, sig)).toBe(true);
    expect(signatureMatches(SECRET, data, `sha256=${sig.toUpperCase()}`)).toBe(true);
    expect(signatureMatches(SECRET, data, sig.replace(/.$/, '4'))).toBe(false);
    expect(signatureMatches(SECRET, data, sig.slice(0, 63))).toBe(false);
    expect(signatureMatches(SECRET, data, 'zz'.repeat(32))).toBe(false);
    expect(signatureMatches('other-secret', data, sig)).toBe(false);
    expect(signatureMatches(SECRET, httpCanonical('1764489601', '/api/iot/alarms', body), sig)).toBe(false);
    expect(signatureMatches(SECRET, httpCanonical('1764489600', '/api/iot/camera-events', body), sig)).toBe(
      false,
    );
  });

  it('times: ISO 8601 with seconds and a zone, within 5 minutes either way', () => {
    expect(parseAt('2026-11-30T08:00:00Z')).toEqual(new Date('2026-11-30T08:00:00Z'));
    expect(parseAt('2026-11-30T16:00:00.250+08:00')).toEqual(new Date('2026-11-30T08:00:00.250Z'));
    for (const bad of [
      '2026-11-30 08:00:00',
      '2026-11-30T08:00Z',
      '2026-11-30T08:00:00',
      '1764489600',
      '2026-13-40T08:00:00Z',
    ]) {
      expect(parseAt(bad), bad).toBeUndefined();
    }
    const now = new Date('2026-11-30T08:00:00Z');
    expect(withinWindow(new Date(now.getTime() - 300_000), now)).toBe(true);
    expect(withinWindow(new Date(now.getTime() + 300_001), now)).toBe(false);
  });
});

describe('default rules', () => {
  const byCode = new Map(CATEGORY_TAXONOMY.map((c) => [c.code, c]));

  it('point at categories of the taxonomy that take events', () => {
    const bad = [...DEFAULT_RULES, { ...OFFLINE_FALLBACK, alarmType: OFFLINE, deviceType: 'fallback' }]
      .filter((r) => !byCode.get(r.categoryId)?.caseTypes.includes('event'))
      .map((r) => `${r.deviceType}/${r.alarmType} → ${r.categoryId}`);
    expect(bad).toEqual([]);
  });

  it('give every device type an offline rule, and no two rules one key', () => {
    for (const t of DEVICE_TYPES) {
      expect(
        DEFAULT_RULES.some((r) => r.deviceType === t && r.alarmType === OFFLINE),
        t,
      ).toBe(true);
    }
    const keys = DEFAULT_RULES.map((r) => `${r.deviceType}/${r.alarmType}/${r.minLevel}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('pick the rule with the highest level not above the alarm’s, among active ones', () => {
    const rules = [
      { id: 'a', min_level: 2, active: true },
      { id: 'b', min_level: 4, active: true },
      { id: 'c', min_level: 5, active: false },
    ];
    expect(pickRule(rules, 1)).toBeUndefined();
    expect(pickRule(rules, 2)?.id).toBe('a');
    expect(pickRule(rules, 3)?.id).toBe('a');
    expect(pickRule(rules, 5)?.id).toBe('b');
    expect(pickRule(rules, null)).toBeUndefined();
    expect(pickRule([{ id: 'x', min_level: 1, active: true }], undefined)?.id).toBe('x');
  });
});
