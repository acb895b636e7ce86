/**
 * Test helpers of the IoT module: devices placed in fresh grids, and signed requests and messages
 * exactly as a device would build them. Used only by the IoT test files.
 */

import type { StaffRole } from '../../../common/roles.ts';
import type { TestEnv } from '../../../test/context.ts';
import {
  COUNTY,
  createCentre,
  createDepartment,
  createTownship,
  createVillage,
  PASSWORD,
  type StaffSession,
} from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { IotDeviceType } from '../../db/schema.ts';
import { upsertGrids } from '../orgs/orgs.loader.ts';
import { createUser } from '../users/users.service.ts';
import { createDevice } from './devices.service.ts';
import { httpCanonical, newNonce, sign } from './signing.ts';

let serial = 0;

/**
 * A grid of its own: a 0.005° square on a row no other factory uses (115°E and up at 27.5°N), so a
 * device's position always falls in exactly this grid.
 */
export async function createTestGrid(ctx: AppContext, villageId?: string) {
  const village = villageId ?? (await createVillage(ctx));
  const k = ++serial;
  const id = `${village}${String(k % 1000).padStart(3, '0')}`;
  const x = 115 + k * 0.01;
  const y = 27.5;
  const geometry = {
    type: 'Polygon' as const,
    coordinates: [
      [
        [x, y],
        [x + 0.005, y],
        [x + 0.005, y + 0.005],
        [x, y + 0.005],
        [x, y],
      ],
    ],
  };
  await upsertGrids(
    ctx.database.db,
    COUNTY,
    [{ id, villageId: village, name: `设备网格${k}`, geometry }],
    new Date(),
  );
  return { id, villageId: village, lon: x + 0.0025, lat: y + 0.0025 };
}

export interface TestDevice {
  id: string;
  code: string;
  secret: string;
  type: IotDeviceType;
  gridId: string;
  villageId: string;
  ownerOrgId: string;
  lon: number;
  lat: number;
}

/** A device in a fresh grid (or the one given), looked after by a fresh department unless told. */
export async function createTestDevice(
  ctx: AppContext,
  opts: {
    type?: IotDeviceType;
    gridId?: string;
    villageId?: string;
    ownerOrgId?: string;
    heartbeatIntervalS?: number;
    code?: string;
  } = {},
): Promise<TestDevice> {
  const grid = opts.gridId
    ? await ctx.database.db
        .selectFrom('grids')
        .select(['id', 'village_id as villageId', 'min_lon', 'min_lat', 'max_lon', 'max_lat'])
        .where('id', '=', opts.gridId)
        .executeTakeFirstOrThrow()
        .then((g) => ({ ...g, lon: (g.min_lon + g.max_lon) / 2, lat: (g.min_lat + g.max_lat) / 2 }))
    : await createTestGrid(ctx, opts.villageId);
  const { lon, lat } = grid;
  const gridId = grid.id;
  const ownerOrgId = opts.ownerOrgId ?? (await createDepartment(ctx));
  const type = opts.type ?? 'smart_toilet';
  const code = opts.code ?? `T${process.pid}-${++serial}`;
  const { device, secret } = await createDevice(ctx, systemActor(COUNTY), {
    code,
    type,
    name: `测试设备${serial}`,
    lon,
    lat,
    ownerOrgId,
    ...(opts.heartbeatIntervalS ? { heartbeatIntervalS: opts.heartbeatIntervalS } : {}),
  });
  return { id: device.id, code, secret, type, gridId, villageId: grid.villageId, ownerOrgId, lon, lat };
}

/** ISO time of the context's clock (what a device with a synchronised clock writes in `at`). */
export function isoNow(ctx: AppContext, offsetMs = 0): string {
  return new Date(ctx.clock.now().getTime() + offsetMs).toISOString();
}

/** Sends a signed request as the device (override any header to test refusals). */
export function signedPost(
  env: TestEnv,
  device: { code: string; secret: string },
  url: string,
  body: unknown,
  opts: { timestamp?: string; headers?: Record<string, string | undefined>; raw?: string } = {},
) {
  const raw = opts.raw ?? JSON.stringify(body);
  const ts = opts.timestamp ?? String(Math.floor(env.ctx.clock.now().getTime() / 1000));
  const sig = sign(device.secret, httpCanonical(ts, url.split('?')[0]!, Buffer.from(raw)));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-device-id': device.code,
    'x-timestamp': ts,
    'x-signature': sig,
  };
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  return env.app.inject({ method: 'POST', url, headers, payload: raw, remoteAddress: '10.88.0.1' });
}

/** An alarm body with a fresh nonce and the clock's time. */
export function alarmBody(ctx: AppContext, fields: Record<string, unknown> = {}) {
  return { alarmType: 'ammonia', level: 3, value: 12.5, at: isoNow(ctx), nonce: newNonce(), ...fields };
}

/** A tiny valid JPEG for camera snapshots. */
export async function tinyJpeg(colour = '#4a7'): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp({ create: { width: 16, height: 12, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
}

let ipSerial = 0;

/**
 * A staff account signed in from an address of its own (the sign-in limit is per address), in a
 * fresh unit fitting the role unless `orgId` is given.
 */
export async function staffAt(env: TestEnv, role: StaffRole, orgId?: string): Promise<StaffSession> {
  const n = ++ipSerial;
  const session = await createStaffWithoutSignIn(env, role, orgId);
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: session.username, password: PASSWORD },
    remoteAddress: `10.89.${Math.floor(n / 250)}.${(n % 250) + 1}`,
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'gz_session')!;
  return { ...session, cookie: `gz_session=${cookie.value}`, csrf: res.json().csrfToken };
}

async function createStaffWithoutSignIn(env: TestEnv, role: StaffRole, orgId?: string) {
  const unit =
    orgId ??
    (role === 'township_dispatcher'
      ? await createCentre(env.ctx, await createTownship(env.ctx))
      : role === 'department_handler'
        ? await createDepartment(env.ctx)
        : role === 'village_handler'
          ? await createVillage(env.ctx)
          : role === 'admin'
            ? COUNTY
            : await createCentre(env.ctx, COUNTY));
  const username = `iot${role.replace(/_/g, '')}${++serial}`;
  const { id } = await createUser(env.ctx, systemActor(COUNTY), {
    username,
    displayName: `${role} ${username}`,
    role,
    orgId: unit,
    password: PASSWORD,
  });
  return { userId: id, username, orgId: unit };
}
