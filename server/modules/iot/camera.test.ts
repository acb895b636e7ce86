/**
 * AI-camera events (`POST /api/iot/camera-events`): a signed camera reports an event with a
 * snapshot; the event becomes a case (channel camera) with the picture attached — re-encoded,
 * without EXIF — and repeats fold into it with their pictures. Refusals: not a camera (403), bad
 * image (422), replay (409), unsigned (401), too large (413).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as } from '../../../test/factories.ts';
import { FixedClock } from '../../lib/clock.ts';
import { createTestDevice, createTestGrid, signedPost, staffAt, type TestDevice } from './iot.fixtures.ts';
import { newNonce } from './signing.ts';

let env: TestEnv;
let clock: FixedClock;
let cam: TestDevice;
const URL = '/api/iot/camera-events';

/** A JPEG with an EXIF block that carries a GPS-like comment and a camera make. */
async function photoWithExif(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: colour } })
    .jpeg()
    .withExif({ IFD0: { Make: 'SecretCam', ImageDescription: 'GPS 28.5N 115.9E' } })
    .toBuffer();
}

const event = async (over: Record<string, unknown> = {}, colour = '#3a6') => ({
  eventType: 'street_occupation',
  at: clock.now().toISOString(),
  nonce: newNonce(),
  confidence: 0.91,
  message: '占道摆摊',
  snapshot: { contentType: 'image/jpeg', data: (await photoWithExif(colour)).toString('base64') },
  ...over,
});

beforeAll(async () => {
  env = await createTestEnv();
  clock = new FixedClock(new Date('2026-12-05T03:00:00Z'));
  env.ctx.clock = clock;
  cam = await createTestDevice(env.ctx, { type: 'camera' });
});
afterAll(() => env.close());

const photosOf = (caseId: string) =>
  env.ctx.database.db
    .selectFrom('attachments')
    .select(['id', 'data', 'uploader_kind'])
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .execute();

describe('camera events', () => {
  let caseId: string;

  it('become an event (channel camera) with the snapshot attached, re-encoded and without EXIF', async () => {
    const res = await signedPost(env, cam, URL, await event());
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ outcome: 'opened', attachmentId: expect.any(String) });
    caseId = body.caseId;
    const c = await env.ctx.database.db
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    expect(c).toMatchObject({ type: 'event', channel: 'camera', category_id: 'SR03', grid_id: cam.gridId });
    expect(c.description).toContain('读数 0.91');
    const photos = await photosOf(caseId);
    expect(photos.map((p) => p.id)).toEqual([body.attachmentId]);
    expect(photos[0]!.uploader_kind).toBe('system');
    const meta = await sharp(photos[0]!.data).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeUndefined();
    expect(photos[0]!.data.includes(Buffer.from('SecretCam'))).toBe(false);

    // Staff who see the case see the photo in its detail.
    const dispatcher = await staffAt(env, 'county_dispatcher');
    const detail = await as(env, dispatcher).get(`/api/cases/${caseId}`);
    expect(detail.statusCode).toBe(200);
    expect(JSON.stringify(detail.json())).toContain(body.attachmentId);
  });

  it('repeats fold into the open case and bring their pictures along', async () => {
    clock.advance(60_000);
    const res = await signedPost(env, cam, URL, await event({}, '#a63'));
    expect(res.json()).toMatchObject({ outcome: 'folded', caseId });
    expect((await photosOf(caseId)).map((p) => p.id)).toContain(res.json().attachmentId);
    expect(await photosOf(caseId)).toHaveLength(2);
  });

  it('uses the event’s own position when it gives one (the camera looks across the road)', async () => {
    const g = await createTestGrid(env.ctx);
    const res = await signedPost(
      env,
      cam,
      URL,
      await event({ eventType: 'overflowing_bin', lon: g.lon, lat: g.lat }),
    );
    const c = await env.ctx.database.db
      .selectFrom('cases')
      .select(['grid_id', 'category_id', 'urgency'])
      .where('id', '=', res.json().caseId)
      .executeTakeFirstOrThrow();
    expect(c).toEqual({ grid_id: g.id, category_id: 'SR01', urgency: 'urgent' });
  });
});

describe('refusals', () => {
  it('401 unsigned, before the body is looked at', async () => {
    const res = await signedPost(env, { code: cam.code, secret: 'wrong' }, URL, { nonsense: true });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('DEVICE_AUTH_FAILED');
  });

  it('403 for a device that is not a camera, logged', async () => {
    const toilet = await createTestDevice(env.ctx, { type: 'smart_toilet' });
    const res = await signedPost(env, toilet, URL, await event());
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    const log = await env.ctx.database.db
      .selectFrom('iot_rejections')
      .select(['reason', 'via'])
      .where('device_id', '=', toilet.id)
      .execute();
    expect(log).toEqual([{ reason: 'not_camera', via: 'camera' }]);
  });

  it('422 UPLOAD_INVALID for a snapshot that is not an image; nothing is recorded', async () => {
    const before = await env.ctx.database.db
      .selectFrom('iot_alarms')
      .select('id')
      .where('device_id', '=', cam.id)
      .execute();
    const res = await signedPost(
      env,
      cam,
      URL,
      await event({ snapshot: { data: Buffer.from('not a picture').toString('base64') } }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('UPLOAD_INVALID');
    const after = await env.ctx.database.db
      .selectFrom('iot_alarms')
      .select('id')
      .where('device_id', '=', cam.id)
      .execute();
    expect(after).toEqual(before);
  });

  it('409 DEVICE_REPLAY for a nonce used before, without storing the picture again', async () => {
    const body = await event({ eventType: 'illegal_parking' });
    expect((await signedPost(env, cam, URL, body)).statusCode).toBe(200);
    const count = async () =>
      (await env.ctx.database.db.selectFrom('attachments').select('id').execute()).length;
    const before = await count();
    const replay = await signedPost(env, cam, URL, body);
    expect(replay.statusCode).toBe(409);
    expect(replay.json().error.code).toBe('DEVICE_REPLAY');
    expect(await count()).toBe(before);
  });

  it('413 for a body over 8 MB', async () => {
    const big = await event({ snapshot: { data: 'A'.repeat(9 * 1024 * 1024) } });
    const res = await signedPost(env, cam, URL, big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
