import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { App } from '../../http/app.ts';
import { errors } from '../../http/schemas.ts';
import { AppError } from '../../lib/errors.ts';
import { ingestCameraEvent } from './camera.service.ts';
import type { DeviceRow } from './devices.repository.ts';
import { authenticateRequest, ingestHttp } from './ingest.service.ts';
import { CameraEventBody, CameraResult, HttpAlarmBody, IngestResult } from './iot.schemas.ts';

/** What the device-auth hook learned about a request: its raw body and, once checked, its device. */
interface Signed {
  raw: Buffer;
  parseFailed: boolean;
  device?: DeviceRow;
}
const signed = new WeakMap<FastifyRequest, Signed>();

/** Largest camera event (base64 snapshot in JSON). */
const CAMERA_BODY_LIMIT = 8 * 1024 * 1024;

const DEVICE_HEADERS = {
  type: 'object',
  properties: {
    'x-device-id': { type: 'string', description: 'The device code' },
    'x-timestamp': { type: 'string', description: 'Unix seconds; within 5 minutes of the server' },
    'x-signature': {
      type: 'string',
      description: 'hex HMAC-SHA256(secret, X-Timestamp + "\\n" + path + "\\n" + raw body)',
    },
  },
} as const;

const DEVICE_ERRORS_TEXT =
  ' Errors: 401 DEVICE_AUTH_REQUIRED (headers missing), DEVICE_AUTH_FAILED (unknown or deactivated device, ' +
  'wrong signature), DEVICE_CLOCK_SKEW (X-Timestamp more than 5 minutes off); 400 VALIDATION_FAILED; ' +
  '409 DEVICE_REPLAY (nonce used before: nothing was done). See docs/channels/iot.md.';

/**
 * The signed device endpoints. They read the raw body (the signature covers its exact bytes), so
 * they live in their own plugin scope with a JSON parser that keeps it; the device is checked
 * before the body is validated (401 before 400).
 */
export function registerIngestRoutes(app: App, ctx: AppContext): void {
  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      const raw = body as Buffer;
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        signed.set(req, { raw, parseFailed: false });
        done(null, parsed);
      } catch {
        // Reported after the signature check, so an unauthenticated caller learns nothing.
        signed.set(req, { raw, parseFailed: true });
        done(null, {});
      }
    });
    scope.addHook('preValidation', async (req) => {
      const s = signed.get(req) ?? { raw: Buffer.alloc(0), parseFailed: true };
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const camera = req.url.startsWith('/api/iot/camera-events');
      s.device = await authenticateRequest(ctx, {
        deviceCode: header('x-device-id'),
        timestamp: header('x-timestamp'),
        signature: header('x-signature'),
        path: req.url.split('?')[0]!,
        body: s.raw,
        via: camera ? 'camera' : 'http',
        source: req.ip,
      });
      signed.set(req, s);
      if (s.parseFailed) throw new AppError('BAD_REQUEST', { message: '请求体不是有效的 JSON' });
    });

    scope.post(
      '/api/iot/alarms',
      {
        config: { access: { who: 'public' }, rateLimit: { max: 1200, timeWindow: '1 minute' } },
        schema: {
          summary: 'A device alarm, recovery or heartbeat over HTTP',
          description:
            'For devices that speak HTTP instead of MQTT. Signed with the device secret: headers X-Device-Id, ' +
            'X-Timestamp, X-Signature. An alarm joins the open case of its device and alarm type, or opens a case ' +
            'when a rule applies; a recovery may close it; a heartbeat keeps the device online.' +
            DEVICE_ERRORS_TEXT,
          tags: ['iot'],
          headers: DEVICE_HEADERS,
          body: HttpAlarmBody,
          response: { 200: IngestResult, ...errors(400, 401, 403, 409, 429) },
        },
      },
      (req) => {
        const s = signed.get(req)!;
        return ingestHttp(ctx, s.device!, req.body, req.ip);
      },
    );

    scope.post(
      '/api/iot/camera-events',
      {
        bodyLimit: CAMERA_BODY_LIMIT,
        config: { access: { who: 'public' }, rateLimit: { max: 600, timeWindow: '1 minute' } },
        schema: {
          summary: 'An AI-camera event with a snapshot',
          description:
            'A camera (a device of type camera, signed like an alarm) reports what it recognised — street_occupation, ' +
            'overflowing_bin, illegal_parking, … — with a snapshot in base64 (at most 8 MB of JSON). The snapshot is ' +
            'checked by content, re-encoded and stripped of EXIF, and attached to the case: a new event, or the ' +
            'open one of this camera and event type. A device that is not a camera gets 403.' +
            DEVICE_ERRORS_TEXT +
            ' 413 PAYLOAD_TOO_LARGE, 422 UPLOAD_INVALID (not a usable image).',
          tags: ['iot'],
          headers: DEVICE_HEADERS,
          body: CameraEventBody,
          response: { 200: CameraResult, ...errors(400, 401, 403, 409, 413, 422, 429) },
        },
      },
      (req) => {
        const s = signed.get(req)!;
        return ingestCameraEvent(ctx, s.device!, req.body, req.ip);
      },
    );
  });
}
