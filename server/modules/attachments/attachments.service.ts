import { createHash } from 'node:crypto';
import type { OutputInfo } from 'sharp';
import type { Actor } from '../../authz/actor.ts';
import { roleCan } from '../../authz/permissions.ts';
import { caseVisibleTo } from '../../authz/scope.ts';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../lib/errors.ts';
import {
  attachmentBytes,
  deleteOrphans,
  findAttachment,
  insertImage,
  type Uploader,
} from './attachments.repository.ts';

export type { Uploader } from './attachments.repository.ts';

/** Largest upload accepted (bytes as sent). Phones shrink photos first; cameras send ~1 MB. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Longer side of the stored picture and of its thumbnail. */
const FULL_SIDE = 2048;
const THUMB_SIDE = 320;
/** Refuses decompression bombs: a small file that would expand to a huge bitmap. */
const MAX_PIXELS = 40_000_000;
/** Formats decided by content, whatever the name or declared type says. */
const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);
/** Uploads no case takes within this time are removed. */
export const ORPHAN_GRACE_MS = 24 * 3600_000;

export interface StoredAttachment {
  id: string;
  contentType: string;
  width: number;
  height: number;
  size: number;
  /** True when the same uploader had already sent these bytes (nothing new was stored). */
  replayed: boolean;
}

/**
 * sharp (libvips) is loaded on the first upload, not at start: it adds ~25 MB to the resident
 * memory of a server that may never receive a photo (docs/PERFORMANCE.md, Memory).
 */
let sharpModule: Promise<typeof import('sharp')> | undefined;
async function loadSharp() {
  sharpModule ??= import('sharp');
  return (await sharpModule).default;
}

function invalid(message: string): AppError {
  return new AppError('UPLOAD_INVALID', { message, details: [{ field: 'file', message }] });
}

/**
 * Stores an image: the type is decided by its content, then it is re-encoded as JPEG, turned
 * upright and stripped of every metadata block (EXIF, GPS position, camera serial, XMP, ICC
 * comments) before anyone else can see it. A thumbnail is kept beside it.
 */
export async function storeImage(
  ctx: AppContext,
  input: { countyCode: string; bytes: Buffer; uploader: Uploader },
): Promise<StoredAttachment> {
  const { bytes } = input;
  if (bytes.length === 0) throw invalid('文件是空的');
  if (bytes.length > MAX_UPLOAD_BYTES) throw new AppError('PAYLOAD_TOO_LARGE');
  const sharp = await loadSharp();
  let format: string | undefined;
  try {
    format = (await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata()).format;
  } catch {
    throw invalid('不是可以识别的图片');
  }
  if (!format || !ACCEPTED.has(format)) throw invalid('只接受照片（JPEG、PNG、WebP 等图片）');
  let full: { data: Buffer; info: OutputInfo };
  let thumb: Buffer;
  try {
    // `rotate()` applies the EXIF orientation; sharp writes no metadata unless asked to.
    const base = sharp(bytes, { limitInputPixels: MAX_PIXELS, pages: 1 }).rotate();
    full = await base
      .clone()
      .resize(FULL_SIDE, FULL_SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 82, mozjpeg: true })
      .toBuffer({ resolveWithObject: true });
    thumb = await sharp(full.data)
      .resize(THUMB_SIDE, THUMB_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 70 })
      .toBuffer();
  } catch (cause) {
    if (cause instanceof Error && /pixel limit/i.test(cause.message)) throw invalid('图片尺寸太大');
    throw invalid('图片已损坏，无法读取');
  }
  const row = await insertImage(ctx.database.db, {
    countyCode: input.countyCode,
    uploader: input.uploader,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    width: full.info.width,
    height: full.info.height,
    data: full.data,
    thumb,
  });
  return {
    id: row.id,
    contentType: row.content_type,
    width: row.width,
    height: row.height,
    size: row.size,
    replayed: row.replayed,
  };
}

/** Who is uploading, as recorded on the attachment. */
export function uploaderOf(actor: Actor): Uploader {
  if (actor.kind === 'staff') return { kind: 'staff', id: actor.userId };
  if (actor.kind === 'citizen') return { kind: 'citizen', id: actor.citizenId };
  if (actor.kind === 'system') return { kind: 'system', id: 'system' };
  throw new AppError('AUTH_REQUIRED');
}

/**
 * The bytes of a photo for this actor, or 404: before a case takes it only its uploader sees it;
 * after, staff who can see the case (jurisdiction) and the citizen whose appeal it is.
 */
export async function readAttachment(
  ctx: AppContext,
  actor: Actor,
  id: string,
  size: 'full' | 'thumb',
): Promise<Buffer> {
  const { db } = ctx.database;
  const att = await findAttachment(db, actor.countyCode, id);
  if (!att) throw new AppError('NOT_FOUND');
  let allowed = false;
  if (att.case_id === null) {
    const me = actor.kind === 'staff' || actor.kind === 'citizen' ? uploaderOf(actor) : null;
    allowed = !!me && me.kind === att.uploader_kind && me.id === att.uploader_id;
  } else if (actor.kind === 'staff') {
    allowed =
      roleCan(actor.role, 'case.read') &&
      !!(await db
        .selectFrom('cases')
        .select('id')
        .where('id', '=', att.case_id)
        .where(caseVisibleTo(actor, 'cases'))
        .executeTakeFirst());
  } else if (actor.kind === 'citizen') {
    allowed = !!(await db
      .selectFrom('cases')
      .select('id')
      .where('id', '=', att.case_id)
      .where('citizen_id', '=', actor.citizenId)
      .executeTakeFirst());
  }
  if (!allowed) throw new AppError('NOT_FOUND');
  return attachmentBytes(db, id, size);
}

/** Background cleanup: uploads that were never sent with a report. */
export async function sweepOrphanUploads(ctx: AppContext): Promise<number> {
  return deleteOrphans(ctx.database.db, new Date(ctx.clock.now().getTime() - ORPHAN_GRACE_MS));
}
