import fastifyFormbody from '@fastify/formbody';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import { type App, langOf } from '../../http/app.ts';
import { AppError } from '../../lib/errors.ts';
import { audit } from '../audit/audit.ts';
import { registerApiKeyRoutes } from './apikeys.routes.ts';
import { authenticateKey } from './apikeys.service.ts';
import { CONTENT_TYPE, FORMATS, type Format, type Open311ErrorItem, toXml } from './open311.format.ts';
import { MAX_MEDIA, MAX_UPLOAD_BYTES, mediaOf, publicMedia, storeMedia } from './open311.media.ts';
import {
  bothFormats,
  Discovery,
  FormatParam,
  ListQuery,
  open311Errors,
  PlainQuery,
  PostRequestFields,
  PostResponse,
  PostUpdateFields,
  RequestUpdates,
  Service,
  ServiceDefinition,
  ServiceRequests,
  TokenResponse,
  UpdatePostResponse,
  UpdatesQuery,
} from './open311.schemas.ts';
import {
  alreadyReceived,
  type Call,
  createRequest,
  discovery,
  getRequest,
  idempotencyKeyOf,
  listRequests,
  listServices,
  listUpdates,
  open311Error,
  parsePost,
  postUpdate,
  type RequestQuery,
  resolveToken,
  serviceDefinition,
} from './open311.service.ts';

/** Where GeoReport v2 lives: outside /api, so the app's session and CSRF rules do not apply. */
export const OPEN311_PREFIX = '/open311/v2';

/**
 * Rate limits per API key (per address for keyless GETs), per minute. Writes create cases and
 * notifications; reads are cheap but public.
 */
export const WRITE_LIMIT = 120;
export const READ_LIMIT = 600;

/** Per-request Open311 state: answer format, the key presented, and what the audit entry says. */
interface O311State {
  format: Format;
  key: { id: string; name: string; system: string } | null;
  trace: Call['trace'];
}

declare module 'fastify' {
  interface FastifyRequest {
    o311: O311State | null;
  }
  interface FastifyContextConfig {
    /** Open311 routes: whether the route needs an api_key (POSTs) or only checks one given. */
    open311?: { key: 'required' | 'optional' };
  }
}

const TAGS = ['open311'];

function rateLimit(max: number, group: string) {
  return {
    max,
    timeWindow: 60_000,
    // After the api_key check (a scope preHandler), so the bucket is the key, not the address.
    hook: 'preHandler' as const,
    groupId: group,
    keyGenerator: (req: FastifyRequest) => (req.o311?.key ? `key:${req.o311.key.id}` : `ip:${req.ip}`),
  };
}

/** Fastify's own errors (validation, body size, media type, rate limit) as AppErrors. */
function asAppError(err: FastifyError | AppError): AppError {
  if (err instanceof AppError) return err;
  if (err.validation) {
    const details = err.validation.map((v) => ({
      field: `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`,
      message: v.message ?? 'invalid',
    }));
    return new AppError('VALIDATION_FAILED', {
      message: details.map((d) => `${d.field}: ${d.message}`).join('; '),
      details,
    });
  }
  if (err.statusCode === 429) return new AppError('RATE_LIMITED');
  if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new AppError('PAYLOAD_TOO_LARGE');
  if (err.statusCode && err.statusCode < 500) return new AppError('BAD_REQUEST', { message: err.message });
  // A multipart body cut short or malformed is the client's (busboy throws plain errors).
  if (/multipart|boundary/i.test(err.message ?? ''))
    return new AppError('BAD_REQUEST', { message: err.message });
  return new AppError('INTERNAL');
}

/**
 * The HTTP status Open311 answers: 404 for what does not exist, 403 for the api_key, 413 and 429
 * as HTTP says, and "basically 400 for any other error" (spec, Errors).
 */
function open311Status(e: AppError): number {
  if ([403, 404, 413, 429].includes(e.status) || e.status >= 500) return e.status;
  return 400;
}

function send(reply: FastifyReply, format: Format, root: string, value: unknown, cache = 'no-store') {
  reply.header('cache-control', cache);
  if (format === 'json') return reply.type(CONTENT_TYPE.json).send(value);
  return reply.type(CONTENT_TYPE.xml).send(toXml(root, value));
}

/** The format a URL asks for when no route matched (`….json`), else XML — the required one. */
function formatOfUrl(url: string): Format {
  return /\.json(?:\?|$)/.test(url) ? 'json' : 'xml';
}

/** GeoReport v2 under /open311/v2, plus the admins' API-key endpoints under /api/integrations. */
export function registerOpen311Routes(app: App, ctx: AppContext): void {
  registerApiKeyRoutes(app, ctx);
  app.register(
    async (plugin) => {
      const scope = plugin as unknown as App;
      // Form and multipart parsing for these routes only; nothing else in the app changes.
      await scope.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
      await scope.register(fastifyMultipart, {
        attachFieldsToBody: 'keyValues',
        limits: {
          fileSize: MAX_UPLOAD_BYTES,
          files: MAX_MEDIA,
          fields: 100,
          fieldSize: 64 * 1024,
          parts: 110,
        },
      });
      scope.decorateRequest('o311', null);

      const callOf = (req: FastifyRequest): Call => ({
        countyCode: ctx.config.countyCode,
        baseUrl: `${req.protocol}://${req.host}${OPEN311_PREFIX}`,
        lang: langOf(req),
        key: req.o311?.key ?? null,
        meta: { ip: req.ip, requestId: String(req.id) },
        trace: req.o311!.trace,
      });

      // The format comes from the extension: services.xml, services/CJ01.json; anything else is 404.
      scope.addHook('onRequest', async (req) => {
        const given = (req.params as { format?: string } | undefined)?.format;
        req.o311 = { format: formatOfUrl(req.url), key: null, trace: {} };
        if (given === undefined) return;
        if (!(FORMATS as readonly string[]).includes(given))
          throw open311Error(
            404,
            `不支持的格式 .${given}，请用 .xml 或 .json`,
            `unknown format .${given}; use .xml or .json`,
          );
        req.o311.format = given as Format;
      });

      // jurisdiction_id (optional: one county here) and api_key, before the route's own checks.
      scope.addHook('preHandler', async (req) => {
        const query = (req.query ?? {}) as Record<string, unknown>;
        const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
        const arg = (name: string) => {
          const v = body[name] ?? query[name];
          return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
        };
        const jurisdiction = arg('jurisdiction_id');
        if (jurisdiction !== undefined) {
          const host = req.hostname.toLowerCase().replace(/^www\./, '');
          if (jurisdiction !== ctx.config.countyCode && jurisdiction.toLowerCase() !== host)
            throw open311Error(
              404,
              `jurisdiction_id ${jurisdiction} 不存在`,
              `jurisdiction_id ${jurisdiction} not found`,
            );
        }
        const rule = req.routeOptions.config?.open311;
        if (!rule) return;
        const key = arg('api_key');
        if (!key) {
          if (rule.key === 'required')
            throw open311Error(403, '缺少 api_key', 'api_key was not provided — cannot proceed');
          return;
        }
        const row = await authenticateKey(ctx, ctx.config.countyCode, key);
        if (!row)
          throw open311Error(403, 'api_key 无效或已吊销', 'invalid or revoked api_key — cannot proceed');
        req.o311!.key = { id: row.id, name: row.name, system: row.system };
      });

      // Every Open311 call is audited: key, endpoint, outcome (written before the answer leaves).
      scope.addHook('onSend', async (req, reply, payload) => {
        const s = req.o311;
        try {
          const status = reply.statusCode;
          await audit(ctx.database.db, systemActor(ctx.config.countyCode), {
            action: 'open311.request',
            ...(s?.key ? { targetType: 'open311_api_key', targetId: s.key.id } : {}),
            detail: {
              endpoint: `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`,
              format: s?.format ?? null,
              status,
              outcome: status < 400 ? (s?.trace.replayed ? 'replayed' : 'ok') : 'error',
              keyId: s?.key?.id ?? null,
              caseId: s?.trace.caseId ?? null,
              serviceRequestId: s?.trace.serviceRequestId ?? null,
            },
            ip: req.ip,
            requestId: String(req.id),
          });
        } catch (err) {
          req.log.error({ err }, 'open311 audit entry not written');
        }
        return payload;
      });

      scope.setErrorHandler((err: FastifyError | AppError, req, reply) => {
        const e = asAppError(err);
        const status = open311Status(e);
        if (status >= 500) req.log.error({ err }, 'open311 request failed');
        const description = e.messageFor(langOf(req));
        const items: Open311ErrorItem[] =
          e.details && e.details.length > 1
            ? e.details.map((d) => ({ code: status, description: `${d.field}: ${d.message}` }))
            : [{ code: status, description }];
        if (e.code === 'RATE_LIMITED') reply.header('retry-after', '60');
        reply.status(status);
        return send(reply, req.o311?.format ?? formatOfUrl(req.url), 'errors', items);
      });

      scope.setNotFoundHandler((req, reply) => {
        req.o311 ??= { format: formatOfUrl(req.url), key: null, trace: {} };
        reply.status(404);
        return send(reply, req.o311.format, 'errors', [
          { code: 404, description: '没有这个 Open311 资源（no such Open311 resource）' },
        ]);
      });

      const FormatOnly = Type.Object({ format: FormatParam });
      // Outside /api no session is involved: `public` as far as the app's guard goes; the api_key
      // rule of each route (`open311.key`) is enforced by the preHandler above.
      const readConfig = {
        access: { who: 'public' as const },
        open311: { key: 'optional' as const },
        rateLimit: rateLimit(READ_LIMIT, 'open311-read'),
      };
      const writeConfig = {
        access: { who: 'public' as const },
        open311: { key: 'required' as const },
        rateLimit: rateLimit(WRITE_LIMIT, 'open311-write'),
      };

      scope.get(
        '/discovery.:format',
        {
          config: readConfig,
          schema: {
            summary: 'Service discovery',
            description:
              'Where this GeoReport v2 endpoint is, which formats it speaks (XML and JSON), whom to ask for an API ' +
              'key, and a changeset that changes when the service list does.',
            tags: TAGS,
            params: FormatOnly,
            querystring: PlainQuery,
            response: {
              200: bothFormats(Discovery, '<discovery><changeset/>…<endpoints><endpoint>…'),
              ...open311Errors(400, 403, 404),
            },
          },
        },
        async (req, reply) =>
          send(
            reply,
            req.o311!.format,
            'discovery',
            await discovery(ctx, callOf(req)),
            'public, max-age=300',
          ),
      );

      scope.get(
        '/services.:format',
        {
          config: readConfig,
          schema: {
            summary: 'GET Service List',
            description:
              'The services: every active, public second-level category that takes appeals, with its group (the ' +
              'top-level category), keywords and usual answer time. Names in Chinese, English with ' +
              '`Accept-Language: en`. No key needed.',
            tags: TAGS,
            params: FormatOnly,
            querystring: PlainQuery,
            response: {
              200: bothFormats(Type.Array(Service), '<services><service><service_code>CJ01</service_code>…'),
              ...open311Errors(400, 403, 404),
            },
          },
        },
        async (req, reply) =>
          send(
            reply,
            req.o311!.format,
            'services',
            await listServices(ctx, callOf(req)),
            'public, max-age=300',
          ),
      );

      scope.get(
        '/services/:service_code.:format',
        {
          config: readConfig,
          schema: {
            summary: 'GET Service Definition',
            description:
              'The attributes of a service: an optional title, the confidential and anonymous choices, and (for ' +
              'reading) the usual answer time. 404 for a code that is not a service.',
            tags: TAGS,
            params: Type.Object({ service_code: Type.String(), format: FormatParam }),
            querystring: PlainQuery,
            response: {
              200: bothFormats(
                ServiceDefinition,
                '<service_definition><service_code/><attributes><attribute>…',
              ),
              ...open311Errors(400, 403, 404),
            },
          },
        },
        async (req, reply) =>
          send(
            reply,
            req.o311!.format,
            'service_definition',
            await serviceDefinition(ctx, callOf(req), req.params.service_code),
            'public, max-age=300',
          ),
      );

      scope.post(
        '/requests.:format',
        {
          config: writeConfig,
          schema: {
            summary: 'POST Service Request',
            description:
              'Creates a service request: it goes through the one entry (`receiveCase`, channel `open311`) as an ' +
              'appeal and is routed like any other. Form-encoded (`application/x-www-form-urlencoded`) or multipart ' +
              `with up to ${MAX_MEDIA} \`media\` image files (re-encoded, EXIF and position removed). \`api_key\` is ` +
              'required (403). `attribute[code]=value` pairs per the service definition. An `Idempotency-Key` header ' +
              'makes retries safe: the same key answers the first result and never makes a second case. Answers a ' +
              'token (services are `batch`): GET tokens/{token} gives the service_request_id at once.',
            tags: TAGS,
            params: FormatOnly,
            headers: Type.Object({
              'idempotency-key': Type.Optional(
                Type.String({ description: 'Visible ASCII, 1–100 characters; scoped to the API key' }),
              ),
            }),
            body: {
              content: {
                'application/x-www-form-urlencoded': { schema: Type.Object(PostRequestFields) },
                'multipart/form-data': {
                  schema: Type.Object({
                    ...PostRequestFields,
                    media: Type.Optional(
                      Type.Unsafe({ description: 'Image file(s): JPEG, PNG, WebP, HEIF …' }),
                    ),
                  }),
                },
              },
            },
            response: {
              200: bothFormats(
                PostResponse,
                '<service_requests><request><token/><service_notice/><account_id/>…',
              ),
              ...open311Errors(400, 403, 404, 413, 429),
            },
          },
        },
        async (req, reply) => {
          const call = callOf(req);
          const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
          const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key'], call.key!.id);
          const parsed = await parsePost(ctx, call, body);
          const files = mediaOf(body);
          // A retry of a request already received does not store its photos a second time.
          const received = () => alreadyReceived(ctx, call, idempotencyKey);
          const attachments =
            files.length && !(await received()) ? await storeMedia(ctx, call, files, received) : [];
          const out = await createRequest(ctx, call, parsed, { idempotencyKey, attachments });
          return send(reply, req.o311!.format, 'service_requests', out);
        },
      );

      scope.get(
        '/tokens/:token.:format',
        {
          config: readConfig,
          schema: {
            summary: 'GET service_request_id from a token',
            description:
              'The service_request_id (the case code) a token from POST requests stands for. Tokens are random; ' +
              'intake is synchronous, so a token resolves on the first call. 404 for an unknown token.',
            tags: TAGS,
            params: Type.Object({ token: Type.String(), format: FormatParam }),
            querystring: PlainQuery,
            response: {
              200: bothFormats(TokenResponse, '<service_requests><request><service_request_id/><token/>…'),
              ...open311Errors(400, 403, 404),
            },
          },
        },
        async (req, reply) =>
          send(
            reply,
            req.o311!.format,
            'service_requests',
            await resolveToken(ctx, callOf(req), req.params.token),
          ),
      );

      scope.get(
        '/requests.:format',
        {
          config: readConfig,
          schema: {
            summary: 'GET Service Requests',
            description:
              'Public-safe requests, newest first: appeals in public categories, never confidential ones, never ' +
              'the reporter’s name, phone or e-mail; requests from other channels without their text, position or ' +
              'photos. Filters: service_request_id (comma list; overrides the rest), service_code, status, ' +
              'start_date/end_date (at most 90 days apart). Defaults: the last 90 days, at most 1,000 (page and ' +
              'page_size page through more).',
            tags: TAGS,
            params: FormatOnly,
            querystring: ListQuery,
            response: {
              200: bothFormats(ServiceRequests, '<service_requests><request><service_request_id/>…'),
              ...open311Errors(400, 403, 404),
            },
          },
        },
        async (req, reply) =>
          send(
            reply,
            req.o311!.format,
            'service_requests',
            await listRequests(ctx, callOf(req), req.query as RequestQuery),
          ),
      );

      scope.get(
        '/requests/:service_request_id.:format',
        {
          config: readConfig,
          schema: {
            summary: 'GET Service Request',
            description:
              'One public-safe request by its id (the case code). A confidential appeal, an event or a request of ' +
              'a non-public category is 404, exactly like one that does not exist.',
            tags: TAGS,
            params: Type.Object({ service_request_id: Type.String(), format: FormatParam }),
            querystring: PlainQuery,
            response: {
              200: bothFormats(ServiceRequests, '<service_requests><request>…</request></service_requests>'),
              ...open311Errors(400, 403, 404),
            },
          },
        },
        async (req, reply) =>
          send(
            reply,
            req.o311!.format,
            'service_requests',
            await getRequest(ctx, callOf(req), req.params.service_request_id),
          ),
      );

      scope.get(
        '/servicerequestupdates.:format',
        {
          config: readConfig,
          schema: {
            summary: 'GET Service Request Updates (extension)',
            description:
              'mySociety’s servicerequestupdates extension, as FixMyStreet polls it: the citizen-visible steps ' +
              '(received, dispatched, accepted, answered, closed …) of requests received through Open311, oldest ' +
              'first, between start_date and end_date (at most 90 days; default the last 90 days), at most 1,000 ' +
              'a page. Status values: open, investigating, in_progress, fixed, closed, duplicate, no_further_action.',
            tags: TAGS,
            params: FormatOnly,
            querystring: UpdatesQuery,
            response: {
              200: bothFormats(RequestUpdates, '<service_request_updates><request_update><update_id/>…'),
              ...open311Errors(400, 403, 404),
            },
          },
        },
        async (req, reply) =>
          send(
            reply,
            req.o311!.format,
            'service_request_updates',
            await listUpdates(ctx, callOf(req), req.query as RequestQuery),
          ),
      );

      scope.post(
        '/servicerequestupdates.:format',
        {
          config: writeConfig,
          schema: {
            summary: 'POST Service Request Update (extension)',
            description:
              'A client’s update about one of its own requests (the reporter’s comment, or “fixed” from their ' +
              'side): stored once per update_id and sent to the handling unit’s inbox. It informs the handler; the ' +
              'case changes only through its workflow. `api_key` required; another key’s request is 404.',
            tags: TAGS,
            params: FormatOnly,
            body: {
              content: {
                'application/x-www-form-urlencoded': { schema: Type.Object(PostUpdateFields) },
                'multipart/form-data': { schema: Type.Object(PostUpdateFields) },
              },
            },
            response: {
              200: bothFormats(UpdatePostResponse, '<service_request_updates><request_update><update_id/>…'),
              ...open311Errors(400, 403, 404, 429),
            },
          },
        },
        async (req, reply) => {
          const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
          return send(
            reply,
            req.o311!.format,
            'service_request_updates',
            await postUpdate(ctx, callOf(req), body),
          );
        },
      );

      scope.get(
        '/media/:attachment_id',
        {
          config: readConfig,
          schema: {
            summary: 'A photo of an Open311 request',
            description:
              'The re-encoded JPEG (no EXIF, no position) of a photo sent with a request received through Open311, ' +
              'while the request is public-safe. Ids are random; any other photo is 404.',
            tags: TAGS,
            params: Type.Object({ attachment_id: Type.String() }),
            response: {
              200: {
                description: 'JPEG',
                content: {
                  'image/jpeg': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) },
                },
              },
              ...open311Errors(404),
            },
          },
        },
        async (req, reply) => {
          const m = await publicMedia(ctx, callOf(req), req.params.attachment_id);
          return reply.type(m.contentType).header('cache-control', 'public, max-age=86400').send(m.bytes);
        },
      );
    },
    { prefix: OPEN311_PREFIX },
  );
}
