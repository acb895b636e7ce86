/**
 * AI-camera events (DESIGN §5 "camera events"): a camera — a device of type `camera` — reports what
 * it recognised with a snapshot. The event goes through the same pipeline as any alarm (rules,
 * folding into the open case of this camera and event type, idempotency); the snapshot is stored
 * by the attachments module (checked by content, re-encoded, EXIF stripped) and attached to the case.
 */
import type { AppContext } from '../../context.ts';
import { AppError } from '../../lib/errors.ts';
import { claimForCase } from '../attachments/attachments.repository.ts';
import { storeImage } from '../attachments/attachments.service.ts';
import type { DeviceRow } from './devices.repository.ts';
import { acceptMessage, type IngestResult, logRejection, Refused } from './ingest.service.ts';
import { parseAt } from './signing.ts';

export interface CameraEvent {
  eventType: string;
  at: string;
  nonce: string;
  level?: number | undefined;
  confidence?: number | undefined;
  lon?: number | undefined;
  lat?: number | undefined;
  message?: string | undefined;
  snapshot: { data: string; contentType?: string | undefined };
}

/**
 * Handles an authenticated camera event. The nonce is checked before the snapshot is decoded (a
 * replay costs no image work) and recorded with the event after it is stored.
 */
export async function ingestCameraEvent(
  ctx: AppContext,
  device: DeviceRow,
  e: CameraEvent,
  source: string,
): Promise<IngestResult & { attachmentId: string }> {
  const refuse = (reason: 'not_camera' | 'replayed') =>
    logRejection(ctx, {
      countyCode: device.county_code,
      via: 'camera',
      reason,
      deviceCode: device.code,
      deviceId: device.id,
      source,
      detail: { nonce: e.nonce, eventType: e.eventType },
    });
  if (device.type !== 'camera') {
    await refuse('not_camera');
    throw new AppError('FORBIDDEN', { message: '该设备不是摄像头，不能上报摄像头事件' });
  }
  const at = parseAt(e.at);
  if (!at) throw new AppError('VALIDATION_FAILED', { details: [{ field: 'at', message: '时间格式不正确' }] });
  const seen = await ctx.database.db
    .selectFrom('iot_nonces')
    .select('nonce')
    .where('device_id', '=', device.id)
    .where('nonce', '=', e.nonce)
    .executeTakeFirst();
  const unfinished = seen
    ? await ctx.database.db
        .selectFrom('iot_alarms')
        .select('id')
        .where('device_id', '=', device.id)
        .where('nonce', '=', e.nonce)
        .where('outcome', '=', 'received')
        .executeTakeFirst()
    : undefined;
  if (seen && !unfinished) {
    await refuse('replayed');
    throw new AppError('DEVICE_REPLAY');
  }
  const bytes = Buffer.from(e.snapshot.data, 'base64');
  const photo = await storeImage(ctx, {
    countyCode: device.county_code,
    bytes,
    uploader: { kind: 'system', id: `camera:${device.id}` },
  });
  let result: IngestResult;
  try {
    result = await acceptMessage(
      ctx,
      device,
      {
        kind: 'alarm',
        alarmType: e.eventType,
        level: e.level,
        ...(e.confidence !== undefined ? { value: e.confidence } : {}),
        message: e.message,
        at,
        nonce: e.nonce,
        lon: e.lon,
        lat: e.lat,
        attachmentId: photo.id,
      },
      'camera',
    );
  } catch (err) {
    if (err instanceof Refused) {
      await refuse('replayed');
      throw new AppError('DEVICE_REPLAY');
    }
    throw err;
  }
  // A repeat folded into the open case brings its picture along.
  if (result.outcome === 'folded' && result.caseId) {
    await claimForCase(ctx.database.db, device.county_code, result.caseId, [photo.id], 'system');
  }
  return { ...result, attachmentId: photo.id };
}
