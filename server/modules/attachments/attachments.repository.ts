import type { Kysely, Selectable } from 'kysely';
import type { AttachmentsTable, DB } from '../../db/schema.ts';

export interface Uploader {
  kind: 'staff' | 'citizen' | 'system';
  id: string;
}

export interface NewImage {
  countyCode: string;
  uploader: Uploader;
  sha256: string;
  width: number;
  height: number;
  data: Buffer;
  thumb: Buffer;
}

const META = ['id', 'content_type', 'width', 'height', 'size', 'case_id', 'created_at'] as const;

/**
 * Stores an image, or finds the same bytes this uploader already sent and no case has taken yet.
 * If a case takes that earlier upload between the two steps, the image is stored afresh.
 */
export async function insertImage(db: Kysely<DB>, img: NewImage) {
  for (let attempt = 0; ; attempt++) {
    const inserted = await db
      .insertInto('attachments')
      .values({
        county_code: img.countyCode,
        uploader_kind: img.uploader.kind,
        uploader_id: img.uploader.id,
        content_type: 'image/jpeg',
        width: img.width,
        height: img.height,
        size: img.data.length,
        sha256: img.sha256,
        data: img.data,
        thumb: img.thumb,
      })
      .onConflict((oc) =>
        oc
          .columns(['county_code', 'uploader_kind', 'uploader_id', 'sha256'])
          .where('case_id', 'is', null)
          .doNothing(),
      )
      .returning(META)
      .executeTakeFirst();
    if (inserted) return { ...inserted, replayed: false };
    const existing = await db
      .selectFrom('attachments')
      .select(META)
      .where('county_code', '=', img.countyCode)
      .where('uploader_kind', '=', img.uploader.kind)
      .where('uploader_id', '=', img.uploader.id)
      .where('sha256', '=', img.sha256)
      .where('case_id', 'is', null)
      .executeTakeFirst();
    if (existing) return { ...existing, replayed: true };
    if (attempt >= 3) throw new Error('attachment insert kept racing with intake');
  }
}

/**
 * Gives pending uploads to a case. Only uploads of this uploader (any system upload for the system)
 * that no case has taken yet; returns how many were taken.
 */
export async function claimForCase(
  db: Kysely<DB>,
  countyCode: string,
  caseId: string,
  ids: string[],
  uploader: Uploader | 'system',
): Promise<number> {
  if (ids.length === 0) return 0;
  let q = db
    .updateTable('attachments')
    .set({ case_id: caseId })
    .where('county_code', '=', countyCode)
    .where('id', 'in', ids)
    .where('case_id', 'is', null);
  q =
    uploader === 'system'
      ? q.where('uploader_kind', '=', 'system')
      : q.where('uploader_kind', '=', uploader.kind).where('uploader_id', '=', uploader.id);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function findAttachment(db: Kysely<DB>, countyCode: string, id: string) {
  return db
    .selectFrom('attachments')
    .select(['id', 'case_id', 'uploader_kind', 'uploader_id', 'content_type', 'created_at'])
    .where('county_code', '=', countyCode)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function attachmentBytes(db: Kysely<DB>, id: string, size: 'full' | 'thumb') {
  const row = await db
    .selectFrom('attachments')
    .select(size === 'thumb' ? 'thumb as bytes' : 'data as bytes')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.bytes;
}

/** A case's photo as the case detail lists it. */
export type CasePhoto = Pick<
  Selectable<AttachmentsTable>,
  'id' | 'width' | 'height' | 'size' | 'uploader_kind' | 'created_at'
>;

/** Photos of one case, oldest first (metadata only). */
export async function listCaseAttachments(db: Kysely<DB>, caseId: string): Promise<CasePhoto[]> {
  return db
    .selectFrom('attachments')
    .select(['id', 'width', 'height', 'size', 'uploader_kind', 'created_at'])
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Removes uploads that no case took within the grace period (abandoned forms). */
export async function deleteOrphans(db: Kysely<DB>, olderThan: Date): Promise<number> {
  const r = await db
    .deleteFrom('attachments')
    .where('case_id', 'is', null)
    .where('created_at', '<', olderThan)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
