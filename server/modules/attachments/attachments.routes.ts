import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import type { App } from '../../http/app.ts';
import { errors } from '../../http/schemas.ts';
import { AppError } from '../../lib/errors.ts';
import { MAX_UPLOAD_BYTES, readAttachment, storeImage, uploaderOf } from './attachments.service.ts';

/** Body types read as raw bytes; the server decides what the bytes are, not this header. */
const RAW_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/tiff',
  'application/octet-stream',
];

const Stored = Type.Object({
  id: Type.String({ format: 'uuid' }),
  contentType: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  size: Type.Integer(),
  replayed: Type.Boolean(),
});

/** Photo upload and download. Uploads are raw image bodies (no multipart), one photo a request. */
export function registerAttachmentRoutes(app: App, ctx: AppContext): void {
  app.register(async (scope) => {
    scope.addContentTypeParser(
      RAW_TYPES,
      { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
      (_req, body, done) => done(null, body),
    );

    scope.post(
      '/api/uploads',
      {
        config: { access: { who: 'signed_in' }, rateLimit: { max: 120, timeWindow: '1 minute' } },
        bodyLimit: MAX_UPLOAD_BYTES,
        schema: {
          summary: 'Upload one photo',
          description:
            'Send the image bytes as the body (`Content-Type: image/jpeg`, `image/png`, `image/webp`, … or `application/octet-stream`; at most 10 MB). ' +
            'The type is decided by the content. The picture is re-encoded as JPEG (at most 2048 px), turned upright, and every metadata block — EXIF, the GPS position, the camera serial — is removed before it is stored. ' +
            'Pass the returned `id` in `attachments` when submitting the appeal or report (up to 9). The same bytes sent again by the same person answer the same id (`replayed: true`), so an offline retry stores nothing twice. ' +
            'Uploads that no case takes within 24 hours are deleted. Errors: 413 `PAYLOAD_TOO_LARGE`, 415 `UNSUPPORTED_MEDIA_TYPE`, 422 `UPLOAD_INVALID`.',
          tags: ['attachments'],
          response: { 201: Stored, 200: Stored, ...errors(400, 401, 403, 413, 415, 422, 429) },
        },
      },
      async (req, reply) => {
        // A JSON or form body is parsed by the app's own parsers before it gets here: not image bytes.
        if (!Buffer.isBuffer(req.body)) throw new AppError('UNSUPPORTED_MEDIA_TYPE');
        const stored = await storeImage(ctx, {
          countyCode: req.actor.countyCode,
          bytes: req.body as Buffer,
          uploader: uploaderOf(req.actor),
        });
        return reply.status(stored.replayed ? 200 : 201).send(stored);
      },
    );
  });

  app.get(
    '/api/attachments/:id',
    {
      config: { access: { who: 'signed_in' } },
      schema: {
        summary: 'One photo',
        description:
          'The stored JPEG (`size=thumb` for a 320 px thumbnail). Before a case takes it only its uploader may fetch it; then staff who can see the case and the citizen whose appeal it is. Anyone else gets 404.',
        tags: ['attachments'],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object(
          { size: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('thumb')])) },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'The picture',
            content: { 'image/jpeg': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
          },
          ...errors(400, 401, 404),
        },
      },
    },
    async (req, reply) => {
      const bytes = await readAttachment(ctx, req.actor, req.params.id, req.query.size ?? 'full');
      return reply
        .type('image/jpeg')
        .header('cache-control', 'private, max-age=86400, immutable')
        .header('content-disposition', `inline; filename="${req.params.id}.jpg"`)
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cross-origin-resource-policy', 'same-origin')
        .send(bytes);
    },
  );
}
