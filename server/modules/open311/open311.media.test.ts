/**
 * multipart/form-data with `media` files: photos go through the attachments module (sniffed,
 * re-encoded, metadata stripped) into the case; media_url points at /open311/v2/media/{id}, which
 * serves only photos of public-safe requests received through Open311.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, COUNTY, createStaff, createVillage } from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { receiveCase } from '../../engine/intake.ts';
import { storeImage } from '../attachments/attachments.service.ts';
import { open311 } from './fixtures/georeport-client.ts';

let env: TestEnv;
let key: string;
let villageId: string;
let photo: Buffer;

const db = () => env.ctx.database.db;
const countRows = async (table: 'cases' | 'attachments') =>
  Number(
    (
      await db()
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const fields = (extra: Record<string, string> = {}) => ({
  api_key: key,
  service_code: 'SC01',
  address_string: '向塘镇',
  description: '路边堆了建筑垃圾',
  ...extra,
});

/** Resolves a POST answer's token to the case. */
async function caseOf(res: { statusCode: number; body: string; json: () => unknown }) {
  expect(res.statusCode, res.body).toBe(200);
  const [{ token }] = res.json() as [{ token: string }];
  const row = await db()
    .selectFrom('open311_requests as o')
    .innerJoin('cases as c', 'c.id', 'o.case_id')
    .selectAll('c')
    .where('o.token', '=', token)
    .executeTakeFirstOrThrow();
  return row;
}

beforeAll(async () => {
  env = await createTestEnv();
  const admin = await createStaff(env, 'admin');
  const res = await as(env, admin).post('/api/integrations/api-keys', {
    name: '随手拍',
    system: '随手拍 App',
  });
  key = res.json().key;
  villageId = await createVillage(env.ctx);
  // A photo carrying EXIF (a camera owner's name) that must never come back out.
  photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'secret-camera-owner', Artist: 'secret-camera-owner' } })
    .toBuffer();
  expect(photo.includes('secret-camera-owner')).toBe(true);
});
afterAll(() => env.close());

describe('POST requests with media (multipart/form-data)', () => {
  it('stores the photo re-encoded without metadata, gives it to the case and shows it as media_url', async () => {
    const res = await open311(env).postMultipart('requests.json', fields(), [
      { name: 'media', bytes: photo, type: 'image/jpeg' },
    ]);
    const c = await caseOf(res);
    const ids = c.attachments as string[];
    expect(ids).toHaveLength(1);
    const att = await db()
      .selectFrom('attachments')
      .selectAll()
      .where('id', '=', ids[0]!)
      .executeTakeFirstOrThrow();
    expect(att).toMatchObject({ case_id: c.id, uploader_kind: 'system', content_type: 'image/jpeg' });
    expect(att.uploader_id).toMatch(/^open311:/);

    const [r] = (await open311(env).get(`requests/${c.code}.json`)).json();
    expect(r.media_url).toBe(`http://localhost:80/open311/v2/media/${ids[0]}`);
    const img = await open311(env).get(`media/${ids[0]}`);
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/jpeg');
    expect(img.rawPayload.includes('secret-camera-owner')).toBe(false);
    const meta = await sharp(img.rawPayload).metadata();
    expect(meta.exif).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([64, 48]);
    // The XML answer carries the same URL.
    expect((await open311(env).get(`requests/${c.code}.xml`)).body).toContain(
      `<media_url>http://localhost:80/open311/v2/media/${ids[0]}</media_url>`,
    );
  });

  it('takes several photos and the form fields of a multipart body', async () => {
    const other = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#a33' } })
      .png()
      .toBuffer();
    const res = await open311(env).postMultipart('requests.xml', fields({ 'attribute[title]': '建筑垃圾' }), [
      { name: 'media', bytes: photo, type: 'image/jpeg' },
      { name: 'media', bytes: other, type: 'application/octet-stream' },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const token = /<token>([^<]+)<\/token>/.exec(res.body)![1]!;
    const c = await db()
      .selectFrom('open311_requests as o')
      .innerJoin('cases as c', 'c.id', 'o.case_id')
      .selectAll('c')
      .where('o.token', '=', token)
      .executeTakeFirstOrThrow();
    expect(c.title).toBe('建筑垃圾');
    expect(c.attachments as string[]).toHaveLength(2);
  });

  it('refuses what is not an image (400), a file too large (413) and a missing key (403), storing nothing', async () => {
    const cases = await countRows('cases');
    const files = await countRows('attachments');
    const text = await open311(env).postMultipart('requests.json', fields(), [
      { name: 'media', bytes: Buffer.from('hello'), type: 'text/plain' },
    ]);
    expect(text.statusCode).toBe(400);
    const junk = await open311(env).postMultipart('requests.xml', fields(), [
      { name: 'media', bytes: Buffer.from('not an image at all'), type: 'image/jpeg' },
    ]);
    expect(junk.statusCode).toBe(400);
    expect(junk.body).toContain('<code>400</code>');
    const big = await open311(env).postMultipart('requests.json', fields(), [
      { name: 'media', bytes: Buffer.alloc(10 * 1024 * 1024 + 1, 1), type: 'image/jpeg' },
    ]);
    expect(big.statusCode).toBe(413);
    expect(big.json()[0].code).toBe(413);
    const noKey = await open311(env).postMultipart('requests.json', { ...fields(), api_key: '' }, [
      { name: 'media', bytes: photo, type: 'image/jpeg' },
    ]);
    expect(noKey.statusCode).toBe(403);
    expect(await countRows('cases')).toBe(cases);
    expect(await countRows('attachments')).toBe(files);
  });

  it('does not store the photos of a retry again', async () => {
    const send = () =>
      open311(env).postMultipart(
        'requests.json',
        fields({ description: '重试带图' }),
        [{ name: 'media', bytes: photo, type: 'image/jpeg' }],
        { 'idempotency-key': 'photo-retry' },
      );
    const first = await caseOf(await send());
    const files = await countRows('attachments');
    const again = await caseOf(await send());
    expect(again.id).toBe(first.id);
    expect(await countRows('attachments')).toBe(files);
    expect(again.attachments as string[]).toHaveLength(1);
  });

  it('makes concurrent retries with a photo one case with one photo', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        open311(env).postMultipart(
          'requests.json',
          fields({ description: '并发重试带图' }),
          [{ name: 'media', bytes: photo, type: 'image/jpeg' }],
          { 'idempotency-key': 'photo-burst' },
        ),
      ),
    );
    const found = await Promise.all(answers.map((a) => caseOf(a)));
    expect(new Set(found.map((c) => c.id)).size).toBe(1);
    expect(found[0]!.attachments as string[]).toHaveLength(1);
  });
});

describe('GET media/{id}', () => {
  it('is 404 for photos of other channels, of confidential requests and for unknown ids', async () => {
    const secret = await open311(env).postMultipart(
      'requests.json',
      fields({ 'attribute[confidential]': 'true' }),
      [{ name: 'media', bytes: photo, type: 'image/jpeg' }],
    );
    const s = await caseOf(secret);
    const secretPhoto = (s.attachments as string[])[0]!;
    expect((await open311(env).get(`media/${secretPhoto}`)).statusCode).toBe(404);

    const stored = await storeImage(env.ctx, {
      countyCode: COUNTY,
      bytes: photo,
      uploader: { kind: 'system', id: 'hotline' },
    });
    const { case: phone } = await receiveCase(env.ctx, systemActor(COUNTY), {
      type: 'appeal',
      channel: 'phone',
      categoryId: 'SC01',
      description: '电话反映，附照片',
      villageId,
      attachments: [stored.id],
    });
    expect(phone.attachments).toEqual([stored.id]);
    expect((await open311(env).get(`media/${stored.id}`)).statusCode).toBe(404);
    const [r] = (await open311(env).get(`requests/${phone.code}.json`)).json();
    expect(r.media_url).toBeNull();

    expect((await open311(env).get('media/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await open311(env).get('media/not-a-uuid')).statusCode).toBe(404);
  });
});
