import { NoResultError } from 'kysely';
import type { AppContext } from '../../context.ts';
import { MAX_UPLOAD_BYTES, storeImage } from '../attachments/attachments.service.ts';
import { unsafeFindPublicMedia } from './open311.repository.ts';
import type { Call } from './open311.service.ts';
import { open311Error } from './open311.service.ts';

/** At most this many `media` files in one multipart POST. */
export const MAX_MEDIA = 4;
export { MAX_UPLOAD_BYTES };

/** The `media` files of a multipart body (Buffers); a text value under `media` is a 400. */
export function mediaOf(body: Record<string, unknown>): Buffer[] {
  const v = body.media;
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => Buffer.isBuffer(x)))
    throw open311Error(
      400,
      'media 须为图片文件（multipart 文件）',
      'media must be an image file part',
      'media',
    );
  if (list.length > MAX_MEDIA)
    throw open311Error(400, `最多 ${MAX_MEDIA} 张图片`, `at most ${MAX_MEDIA} media files`, 'media');
  return list as Buffer[];
}

/**
 * Stores the photos of a request through the attachments module (content sniffed, re-encoded,
 * EXIF and position stripped) as uploads of this key; the case takes them in `receiveCase`.
 *
 * Concurrent retries of one request send the same bytes at once. The attachments module stores
 * them once while no case has taken them; if a case takes them between its insert and its read
 * (seen on PostgreSQL under load), its read finds nothing. Then either the retry's case already
 * exists (`received()`: no photos needed, the intake replays) or the upload is tried once more.
 */
export async function storeMedia(
  ctx: AppContext,
  call: Call,
  files: Buffer[],
  received: () => Promise<boolean>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const bytes of files) {
    const input = {
      countyCode: call.countyCode,
      bytes,
      uploader: { kind: 'system' as const, id: `open311:${call.key!.id}` },
    };
    let stored: Awaited<ReturnType<typeof storeImage>>;
    try {
      stored = await storeImage(ctx, input);
    } catch (err) {
      if (!(err instanceof NoResultError)) throw err;
      if (await received()) return [];
      stored = await storeImage(ctx, input);
    }
    ids.push(stored.id);
  }
  return ids;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The JPEG of a photo Open311 may show (of a public-safe request received through Open311), or 404. */
export async function publicMedia(ctx: AppContext, call: Call, id: string) {
  const row = UUID.test(id) ? await unsafeFindPublicMedia(ctx.database.db, call.countyCode, id) : undefined;
  if (!row) throw open311Error(404, '图片不存在', 'media not found');
  return { contentType: row.content_type, bytes: row.data };
}
