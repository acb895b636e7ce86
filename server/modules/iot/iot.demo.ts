/**
 * Demo devices of the demo county: 30 devices — smart public toilets, environment sensors and smoke
 * sensors — at the centres of real demo-county grids spread over the county, each looked after by
 * the department that would own it. Their secrets derive from the installation's field keys, so
 * `gongzhi simulate iot` can sign for them without opening the database (PGlite allows one process).
 */
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { IotDeviceType } from '../../db/schema.ts';
import type { FieldCipher } from '../../lib/crypto.ts';
import { buildDemoCounty, villageShortName } from '../orgs/demo-county.ts';
import { createDevice } from './devices.service.ts';
import type { SimDevice } from './simulator.ts';

/** How many demo devices, and of which kinds, in a cycle of ten. */
export const DEMO_DEVICE_COUNT = 30;
const CYCLE: { type: IotDeviceType; prefix: string; noun: string; owner: string }[] = [
  ...Array.from({ length: 4 }, () => ({
    type: 'smart_toilet' as const,
    prefix: 'WC',
    noun: '公厕',
    owner: 'urban_mgmt',
  })),
  ...Array.from({ length: 3 }, () => ({
    type: 'environment_sensor' as const,
    prefix: 'ENV',
    noun: '环境监测点',
    owner: 'ecology_env',
  })),
  ...Array.from({ length: 3 }, () => ({
    type: 'smoke_sensor' as const,
    prefix: 'SMK',
    noun: '烟感报警器',
    owner: 'fire_rescue',
  })),
];

export interface DemoDeviceSeed {
  code: string;
  type: IotDeviceType;
  name: string;
  lon: number;
  lat: number;
  ownerOrgId: string;
}

/** The demo devices of a county built by `buildDemoCounty` (deterministic). */
export function demoDevices(countyCode: string): DemoDeviceSeed[] {
  const demo = buildDemoCounty(countyCode);
  const villages = new Map(demo.orgs.filter((o) => o.kind === 'village').map((o) => [o.id, o.name]));
  const departments = new Map(
    demo.orgs.filter((o) => o.kind === 'department').map((o) => [o.subtype ?? '', o.id]),
  );
  const serials = new Map<string, number>();
  const out: DemoDeviceSeed[] = [];
  for (let i = 0; i < DEMO_DEVICE_COUNT && demo.grids.length > 0; i++) {
    // Grids spread evenly over the county (the list runs township by township).
    const grid = demo.grids[Math.floor(((i + 0.5) * demo.grids.length) / DEMO_DEVICE_COUNT)]!;
    const kind = CYCLE[i % CYCLE.length]!;
    const n = (serials.get(kind.prefix) ?? 0) + 1;
    serials.set(kind.prefix, n);
    const ring = grid.geometry.coordinates[0]!;
    const [x0, y0] = ring[0]!;
    const [x1, y1] = ring[2]!;
    const owner = departments.get(kind.owner) ?? departments.values().next().value;
    if (!owner) break;
    out.push({
      code: `${kind.prefix}-${String(n).padStart(4, '0')}`,
      type: kind.type,
      name: `${villageShortName(villages.get(grid.villageId) ?? '')}${kind.noun}`,
      lon: Math.round(((x0! + x1!) / 2) * 1e6) / 1e6,
      lat: Math.round(((y0! + y1!) / 2) * 1e6) / 1e6,
      ownerOrgId: owner,
    });
  }
  return out;
}

/**
 * A demo device's secret: an HMAC of its code with the installation's blind-index key — secret to
 * anyone without the key file or GONGZHI_SECRET, the same for the server and the simulator.
 * Rotate it (`/api/devices/:id/rotate-secret`) before using a demo device for real.
 */
export function demoDeviceSecret(cipher: FieldCipher, code: string): string {
  return cipher.blindIndex(`iot-demo-device:${code}`);
}

/** The demo devices with their secrets, for the simulator. */
export function demoSimDevices(cipher: FieldCipher, countyCode: string): SimDevice[] {
  return demoDevices(countyCode).map((d) => ({
    code: d.code,
    type: d.type,
    secret: demoDeviceSecret(cipher, d.code),
  }));
}

/**
 * Registers the demo devices that are not there yet (and, with the first, the default alarm
 * rules). Idempotent: called at every start of a demo county. Returns how many were added.
 */
export async function seedDemoDevices(ctx: AppContext): Promise<number> {
  const county = ctx.config.countyCode;
  const seeds = demoDevices(county);
  const existing = new Set(
    (
      await ctx.database.db
        .selectFrom('iot_devices')
        .select('code')
        .where('county_code', '=', county)
        .execute()
    ).map((d) => d.code),
  );
  let added = 0;
  for (const d of seeds) {
    if (existing.has(d.code)) continue;
    await createDevice(ctx, systemActor(county), { ...d, secret: demoDeviceSecret(ctx.cipher, d.code) });
    added++;
  }
  return added;
}
