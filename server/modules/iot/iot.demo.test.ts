/**
 * The demo devices: 30 toilets, environment and smoke sensors at real demo-county grid positions,
 * owned by fitting departments, registered once by the demo seed, with secrets the simulator can
 * derive without the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { seedDemoCounty } from '../demo/demo.seed.ts';
import { unsafeFindDeviceByCode } from './devices.repository.ts';
import { ingestHttp } from './ingest.service.ts';
import { DEMO_DEVICE_COUNT, demoDevices, demoSimDevices, seedDemoDevices } from './iot.demo.ts';
import { newNonce } from './signing.ts';

process.env.DEMO_CASES = '0';
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
  await seedDemoCounty(env.ctx);
}, 300_000);
afterAll(() => env.close());

describe('demo devices', () => {
  it('are registered by the demo seed: 30, each in a grid of the demo county, once', async () => {
    const rows = await env.ctx.database.db
      .selectFrom('iot_devices as d')
      .innerJoin('org_units as o', 'o.id', 'd.owner_org_id')
      .select(['d.code', 'd.type', 'd.grid_id', 'd.village_id', 'o.subtype'])
      .orderBy('d.code')
      .execute();
    expect(rows).toHaveLength(DEMO_DEVICE_COUNT);
    expect(rows.every((r) => r.grid_id && r.village_id && r.grid_id.startsWith(r.village_id))).toBe(true);
    const count = (t: string) => rows.filter((r) => r.type === t).length;
    expect([count('smart_toilet'), count('environment_sensor'), count('smoke_sensor')]).toEqual([12, 9, 9]);
    const owners = new Set(rows.map((r) => `${r.type}:${r.subtype}`));
    expect(owners).toEqual(
      new Set(['smart_toilet:urban_mgmt', 'environment_sensor:ecology_env', 'smoke_sensor:fire_rescue']),
    );
    // Spread over many villages, not bunched in one.
    expect(new Set(rows.map((r) => r.village_id)).size).toBeGreaterThan(20);
    expect(await seedDemoDevices(env.ctx)).toBe(0);
  });

  it('are signed for by the simulator’s derived secrets', async () => {
    const [sim] = demoSimDevices(env.ctx.cipher, env.ctx.config.countyCode);
    const device = (await unsafeFindDeviceByCode(env.ctx.database.db, env.ctx.config.countyCode, sim!.code))!;
    expect(env.ctx.cipher.decrypt(device.secret_enc)).toBe(sim!.secret);
    const r = await ingestHttp(
      env.ctx,
      device,
      { kind: 'heartbeat', at: new Date().toISOString(), nonce: newNonce() },
      'test',
    );
    expect(r.outcome).toBe('heartbeat');
  });

  it('are the same list every time (deterministic positions and codes)', () => {
    expect(demoDevices('360121')).toEqual(demoDevices('360121'));
  });
});
