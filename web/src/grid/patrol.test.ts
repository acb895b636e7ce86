import { describe, expect, it } from 'vitest';
import { addFix, type PatrolState, walked } from './patrol.ts';

const on: PatrolState = {
  owner: 'u1',
  active: true,
  startedAt: 0,
  stoppedAt: null,
  points: [],
  last: null,
  error: null,
  clientId: 'p-1',
  serverId: null,
  syncedUntil: 0,
  endSent: false,
};
const fix = (lon: number, lat: number, at: number, accuracy = 10) => ({ lon, lat, at, accuracy });

describe('patrol track', () => {
  it('keeps accurate fixes that moved, skips jitter and poor fixes, and measures the walk', () => {
    let s = addFix(on, fix(115.9, 28.5, 1_000));
    s = addFix(s, fix(115.90002, 28.50002, 2_000)); // ~3 m: jitter
    s = addFix(s, fix(115.9, 28.501, 3_000, 250)); // 250 m accuracy: shown, not recorded
    expect(s.last?.accuracy).toBe(250);
    s = addFix(s, fix(115.9, 28.501, 4_000)); // ~111 m north
    expect(s.points).toHaveLength(2);
    expect(walked(s)).toBeGreaterThan(105);
    expect(walked(s)).toBeLessThan(116);
    // Standing still for a minute still leaves a point (the track shows the wait).
    s = addFix(s, fix(115.9, 28.501, 65_000));
    expect(s.points).toHaveLength(3);
  });

  it('records nothing while no patrol is on', () => {
    const s = addFix({ ...on, active: false }, fix(115.9, 28.5, 1_000));
    expect(s.points).toHaveLength(0);
    expect(s.last).not.toBeNull();
  });
});
