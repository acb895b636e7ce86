import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  countCases,
  createCitizen,
  createStaff,
  createVillage,
  type StaffSession,
  signInCitizen,
} from '../../../test/factories.ts';
import { FixedClock } from '../../lib/clock.ts';
import { MAX_UPLOAD_BYTES, sweepOrphanUploads } from './attachments.service.ts';

let env: TestEnv;
let villageA: string;
let villageB: string;
let handlerA: StaffSession;
let handlerB: StaffSession;
let operator: StaffSession;
let citizen: { cookie: string; csrf: string };
let other: { cookie: string; csrf: string };

/** A phone photo: rotated by EXIF, with a camera make and a GPS position in its metadata. */
async function phonePhoto(colour = '#3a7', width = 640, height = 480): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'GZCam', Model: 'Secret-Serial-0042' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '28/1 40/1 12/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '115/1 53/1 30/1',
      },
    })
    .toBuffer();
}

function upload(s: { cookie: string; csrf: string } | null, bytes: Buffer, type = 'image/jpeg') {
  return env.app.inject({
    method: 'POST',
    url: '/api/uploads',
    headers: {
      'content-type': type,
      ...(s ? { cookie: s.cookie, 'x-csrf-token': s.csrf } : {}),
    },
    payload: bytes,
  });
}

function fetchPhoto(s: { cookie: string; csrf: string } | null, id: string, size?: 'thumb') {
  return env.app.inject({
    method: 'GET',
    url: `/api/attachments/${id}${size ? `?size=${size}` : ''}`,
    headers: s ? { cookie: s.cookie } : {},
  });
}

const count = async () =>
  Number(
    (
      await env.ctx.database.db
        .selectFrom('attachments')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  env = await createTestEnv();
  villageA = await createVillage(env.ctx);
  villageB = await createVillage(env.ctx);
  handlerA = await createStaff(env, 'village_handler', { orgId: villageA });
  handlerB = await createStaff(env, 'village_handler', { orgId: villageB });
  operator = await createStaff(env, 'operator');
  const a = await createCitizen(env.ctx);
  const b = await createCitizen(env.ctx);
  citizen = await signInCitizen(env, a.phone);
  other = await signInCitizen(env, b.phone);
});
afterAll(() => env?.close());

describe('POST /api/uploads', () => {
  it('needs a session (401) and stores nothing', async () => {
    const before = await count();
    const res = await upload(null, await phonePhoto());
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('AUTH_REQUIRED');
    expect(await count()).toBe(before);
  });

  it('re-encodes the photo upright and strips EXIF, GPS position and camera serial', async () => {
    const original = await phonePhoto();
    const before = await sharp(original).metadata();
    expect(before.exif?.toString('latin1')).toContain('GZCam');
    expect(before.orientation).toBe(6);

    const res = await upload(citizen, original);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    // Orientation 6 means "turn a quarter": the stored picture is upright, so 480 × 640.
    expect(body).toMatchObject({ contentType: 'image/jpeg', width: 480, height: 640, replayed: false });

    const got = await fetchPhoto(citizen, body.id);
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/jpeg');
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['content-security-policy']).toContain("default-src 'none'");
    const stored = await sharp(got.rawPayload).metadata();
    expect(stored.exif).toBeUndefined();
    expect(stored.xmp).toBeUndefined();
    expect(stored.orientation).toBeUndefined();
    expect(got.rawPayload.toString('latin1')).not.toContain('GZCam');
    expect(got.rawPayload.toString('latin1')).not.toContain('Secret-Serial');

    const thumb = await fetchPhoto(citizen, body.id, 'thumb');
    expect(thumb.statusCode).toBe(200);
    const t = await sharp(thumb.rawPayload).metadata();
    expect(Math.max(t.width!, t.height!)).toBe(320);
  });

  it('decides the type by content: a PNG sent as octet-stream is accepted, a script named .jpg is not', async () => {
    const png = await sharp({ create: { width: 20, height: 10, channels: 4, background: '#f00a' } })
      .png()
      .toBuffer();
    const ok = await upload(operator, png, 'application/octet-stream');
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ contentType: 'image/jpeg', width: 20, height: 10 });

    const before = await count();
    const fake = await upload(operator, Buffer.from('<script>alert(1)</script>'), 'image/jpeg');
    expect(fake.statusCode).toBe(422);
    expect(fake.json().error).toMatchObject({ code: 'UPLOAD_INVALID' });
    expect(fake.json().error.message).toMatch(/图片/);
    const empty = await upload(operator, Buffer.alloc(0), 'image/jpeg');
    expect([400, 422]).toContain(empty.statusCode);
    expect(await count()).toBe(before);
  });

  it('refuses other content types (415), oversize bodies (413) and decompression bombs (422)', async () => {
    const before = await count();
    const html = await env.app.inject({
      method: 'POST',
      url: '/api/uploads',
      headers: { 'content-type': 'text/html', cookie: operator.cookie, 'x-csrf-token': operator.csrf },
      payload: '<html></html>',
    });
    expect(html.statusCode).toBe(415);
    expect(html.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const big = await upload(operator, Buffer.alloc(MAX_UPLOAD_BYTES + 1, 1));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');

    // 10,000 × 10,000 pixels of one colour: a few kilobytes of PNG, 300 MB once decoded.
    const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#fff' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(MAX_UPLOAD_BYTES);
    const res = await upload(operator, bomb, 'image/png');
    expect(res.statusCode).toBe(422);
    expect(await count()).toBe(before);
  });

  it('answers a repeated upload of the same bytes with the same id (offline retry)', async () => {
    const bytes = await phonePhoto('#123456');
    const first = await upload(handlerA, bytes);
    const again = await upload(handlerA, bytes);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, replayed: true });
    // Another person's identical photo is their own upload.
    const theirs = await upload(handlerB, bytes);
    expect(theirs.json().id).not.toBe(first.json().id);
  });

  it('refuses a cross-site upload (CSRF) and one without the CSRF token', async () => {
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/uploads',
      headers: { 'content-type': 'image/jpeg', cookie: citizen.cookie },
      payload: await phonePhoto('#654321'),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('CSRF_INVALID');
  });
});

describe('photos on a case', () => {
  it('a citizen submits an appeal with photos; the case and the jurisdiction decide who sees them', async () => {
    const p1 = (await upload(citizen, await phonePhoto('#aa0000'))).json().id;
    const p2 = (await upload(citizen, await phonePhoto('#00aa00'))).json().id;

    // Before a case takes them, nobody but the uploader sees them.
    expect((await fetchPhoto(other, p1)).statusCode).toBe(404);
    expect((await fetchPhoto(handlerA, p1)).statusCode).toBe(404);

    const res = await as(env, citizen).post('/api/my/cases', {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '路灯坏了一个星期，晚上很黑',
      villageId: villageA,
      attachments: [p1, p2],
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json().case;
    expect(c.attachments.map((a: { id: string }) => a.id)).toEqual([p1, p2]);

    expect((await fetchPhoto(citizen, p1)).statusCode).toBe(200);
    expect((await fetchPhoto(handlerA, p2, 'thumb')).statusCode).toBe(200);
    // Another village's handler and another citizen: 404, as if it did not exist.
    expect((await fetchPhoto(handlerB, p1)).statusCode).toBe(404);
    expect((await fetchPhoto(other, p1)).statusCode).toBe(404);
    expect((await fetchPhoto(null, p1)).statusCode).toBe(401);

    const staffView = await as(env, handlerA).get(`/api/cases/${c.id}`);
    expect(staffView.json().case.attachments).toHaveLength(2);
  });

  it("refuses someone else's upload, an unknown id and a photo already used; nothing is written", async () => {
    const mine = (await upload(citizen, await phonePhoto('#0000aa'))).json().id;
    const theirs = (await upload(other, await phonePhoto('#00aaaa'))).json().id;
    const cases = () => countCases(env);
    const before = await cases();
    for (const ids of [[mine, theirs], ['00000000-0000-4000-8000-000000000000']]) {
      const res = await as(env, citizen).post('/api/my/cases', {
        type: 'appeal',
        channel: 'web',
        categoryId: 'SR01',
        description: '小区门口积水很深，出行困难',
        villageId: villageA,
        attachments: ids,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.details[0].field).toBe('attachments');
    }
    expect(await cases()).toBe(before);
    // My photo was not taken by the refused appeal: it can still be used.
    const ok = await as(env, citizen).post('/api/my/cases', {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '小区门口积水很深，出行困难',
      villageId: villageA,
      attachments: [mine],
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const again = await as(env, citizen).post('/api/my/cases', {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '同一张照片再用一次',
      villageId: villageA,
      attachments: [mine],
    });
    expect(again.statusCode).toBe(400);
  });

  it('refuses more than 9 photos on one appeal (400 on attachments) and takes none of them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++)
      ids.push((await upload(citizen, await phonePhoto(`#10${i}0${i}0`, 40, 30))).json().id);
    const res = await as(env, citizen).post('/api/my/cases', {
      type: 'appeal',
      channel: 'web',
      categoryId: 'SR01',
      description: '十张照片一起上传试试看',
      villageId: villageA,
      attachments: ids,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toMatch(/^attachments/);
    const taken = await env.ctx.database.db
      .selectFrom('attachments')
      .select('id')
      .where('id', 'in', ids)
      .where('case_id', 'is not', null)
      .execute();
    expect(taken).toHaveLength(0);
  });

  it('ids are not paths: traversal and encoded traversal answer 400 or 404, never a file', async () => {
    for (const id of [
      '..%2F..%2Fetc%2Fpasswd',
      '..%2f..%2fpackage.json',
      '%2e%2e%2f%2e%2e%2fsecrets.json',
      '....//....//etc/passwd',
    ]) {
      const res = await env.app.inject({
        method: 'GET',
        url: `/api/attachments/${id}`,
        headers: { cookie: citizen.cookie },
      });
      expect([400, 404], id).toContain(res.statusCode);
      expect(res.headers['content-type'], id).toContain('application/json');
      expect(res.body).not.toContain('root:');
      expect(res.body).not.toContain('"hmac"');
    }
    const raw = await env.app.inject({
      method: 'GET',
      url: '/api/attachments/../../package.json',
      headers: { cookie: citizen.cookie },
    });
    expect(raw.body).not.toContain('"dependencies"');
  });

  it('serves a photo as an inline, sandboxed, never-sniffed JPEG with no GPS left', async () => {
    const id = (await upload(citizen, await phonePhoto('#abcdef'))).json().id;
    const got = await fetchPhoto(citizen, id);
    expect(got.headers['content-disposition']).toBe(`inline; filename="${id}.jpg"`);
    expect(got.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(got.headers['cache-control']).toContain('private');
    const meta = await sharp(got.rawPayload).metadata();
    expect(meta.exif).toBeUndefined();
    // No EXIF block (where the GPS IFD lives) and no camera strings survive in the bytes themselves.
    const bytes = got.rawPayload.toString('latin1');
    for (const marker of ['Exif\0\0', 'GZCam', 'Secret-Serial']) expect(bytes).not.toContain(marker);
  });

  it('a malformed id is a 400 before anything is looked up', async () => {
    const res = await fetchPhoto(citizen, 'not-a-uuid');
    expect(res.statusCode).toBe(400);
  });
});

describe('orphan cleanup', () => {
  it('removes uploads no case took after 24 hours, and keeps the rest', async () => {
    const fresh = (await upload(operator, await phonePhoto('#777777'))).json().id;
    const clock = new FixedClock(new Date(Date.now() + 25 * 3600_000));
    const removed = await sweepOrphanUploads({ ...env.ctx, clock });
    expect(removed).toBeGreaterThan(0);
    const left = await env.ctx.database.db.selectFrom('attachments').select(['id', 'case_id']).execute();
    expect(left.every((r) => r.case_id !== null)).toBe(true);
    expect(left.some((r) => r.id === fresh)).toBe(false);
  });
});
