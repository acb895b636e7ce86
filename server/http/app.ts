import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlibConstants } from 'node:zlib';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { AppContext } from '../context.ts';
import { isDatabaseUnavailable } from '../db/database.ts';
import { AppError } from '../lib/errors.ts';
import { registerAssessmentRoutes } from '../modules/assessment/assessment.routes.ts';
import { registerAttachmentRoutes } from '../modules/attachments/attachments.routes.ts';
import { registerAuthRoutes } from '../modules/auth/auth.routes.ts';
import { resolveSession } from '../modules/auth/auth.service.ts';
import { registerCalendarRoutes } from '../modules/calendar/calendar.routes.ts';
import { registerCaseRoutes } from '../modules/cases/cases.routes.ts';
import { registerCategoryRoutes } from '../modules/categories/categories.routes.ts';
import { publicCategoryTree } from '../modules/categories/categories.service.ts';
import { registerCitizenRoutes } from '../modules/citizens/citizens.routes.ts';
import { registerGridRoutes } from '../modules/grids/grids.routes.ts';
import { registerHealthRoutes } from '../modules/health/health.routes.ts';
import { registerCatalogueRoutes } from '../modules/integrations/catalogue.routes.ts';
import { registerIotRoutes } from '../modules/iot/iot.routes.ts';
import { registerLiveRoutes } from '../modules/live/live.routes.ts';
import { registerNotificationRoutes } from '../modules/notifications/notifications.routes.ts';
import { registerOpen311Routes } from '../modules/open311/open311.routes.ts';
import { registerOrgRoutes } from '../modules/orgs/orgs.routes.ts';
import { registerPatrolRoutes } from '../modules/patrols/patrols.routes.ts';
import { registerPublicRoutes } from '../modules/public/public.routes.ts';
import { registerUserRoutes } from '../modules/users/users.routes.ts';
import { registerWebhookRoutes } from '../modules/webhooks/webhooks.routes.ts';
import { checkAuthenticated, checkPermission } from './access.ts';
import { createPortalHtml, JS_COOKIE, type PortalHtml } from './portal-html.ts';
import { databaseRateLimitStore } from './rate-limit-store.ts';
import {
  contentSecurityPolicyHeader,
  DOCS_CSP,
  helmetOptions,
  PERMISSIONS_POLICY,
} from './security-headers.ts';

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export const SESSION_COOKIE = 'gz_session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Chooses Chinese or English messages from Accept-Language (Chinese unless English comes first). */
export function langOf(req: FastifyRequest): 'zh' | 'en' {
  const al = String(req.headers['accept-language'] ?? '').toLowerCase();
  return al.startsWith('en') ? 'en' : 'zh';
}

export interface AppState {
  /** Set once migrations and seeding are done; health answers 503 before. */
  ready: boolean;
}

/** Builds the HTTP application: API, OpenAPI docs at /docs, and the web UI, on one port. */
export async function buildApp(ctx: AppContext, state: AppState = { ready: true }): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.log,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(given) ? given : randomUUID();
    },
    trustProxy: process.env.TRUST_PROXY === '1',
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' } },
    // The router's own refusals (a malformed percent-encoding, a path parameter over 100 characters)
    // answer in the one error format too, not Fastify's default body with its internal code.
    frameworkErrors: (err, req, reply) => sendError(err, req, reply),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.decorateRequest('actor', null as never);
  app.decorateRequest('csrfToken', undefined);
  app.decorateRequest('sessionToken', undefined);

  // Every route must say who may call it.
  app.addHook('onRoute', (route) => {
    const url = route.url;
    if (!url.startsWith('/api/')) return;
    if (!route.config?.access) throw new Error(`route ${route.method} ${url} declares no access rule`);
    const existing = route.preHandler;
    route.preHandler = existing
      ? [...(Array.isArray(existing) ? existing : [existing]), checkPermission]
      : [checkPermission];
  });

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, helmetOptions(ctx.config));
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: () => new AppError('RATE_LIMITED'),
    // On PostgreSQL the counts live in the database, shared by every app process (decision 0032).
    ...(ctx.database.engine === 'postgres'
      ? { store: databaseRateLimitStore(ctx.database.db), skipOnError: true }
      : {}),
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gongzhi 共治 API',
        version: '0.1.0',
        description:
          '县域基层社会治理平台接口。会话使用 HTTP-only Cookie（gz_session），所有修改请求需携带 X-CSRF-Token。' +
          ' Errors answer `{ error: { code, message, details? }, requestId }`.',
      },
      components: {
        securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('permissions-policy', PERMISSIONS_POLICY);
    // Swagger UI (its own bundle and inline styles) gets its own policy, only under /docs.
    if (req.url === '/docs' || req.url.startsWith('/docs/'))
      reply.header('content-security-policy', DOCS_CSP);
    // Personal data must not sit in caches; public region data sets its own max-age.
    if (req.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
  });

  // Session, then CSRF, then the route's sign-in rule — all before the body is validated.
  app.addHook('onRequest', async (req) => {
    const token = req.cookies[SESSION_COOKIE];
    const resolved = token ? await resolveSession(ctx, token) : null;
    req.actor = resolved?.actor ?? { kind: 'anonymous', countyCode: ctx.config.countyCode };
    req.csrfToken = resolved?.csrfToken;
    req.sessionToken = resolved ? token : undefined;
    if (!req.url.startsWith('/api/')) return;
    if (UNSAFE.has(req.method)) {
      // A cross-site form can never reach a mutating endpoint (covers login CSRF too).
      if (req.headers['sec-fetch-site'] === 'cross-site') throw new AppError('CSRF_INVALID');
      if (resolved && req.headers['x-csrf-token'] !== resolved.csrfToken) throw new AppError('CSRF_INVALID');
    }
    const access = req.routeOptions.config?.access;
    if (access) checkAuthenticated(req, access);
  });

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => sendError(err, req, reply));
  const portalHtml = createPortalHtml(ctx.config.webDir);
  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith('/api/') || req.method !== 'GET') {
      return sendError(new AppError('ROUTE_NOT_FOUND'), req, reply);
    }
    if (req.url.startsWith('/staff')) return sendIndexHtml(ctx, reply, 'staff.html');
    return sendPortalHtml(ctx, portalHtml, req, reply);
  });

  registerHealthRoutes(app, ctx, state);
  registerPublicRoutes(app, ctx);
  registerAuthRoutes(app, ctx);
  registerOrgRoutes(app, ctx);
  registerGridRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerCitizenRoutes(app, ctx);
  registerCaseRoutes(app, ctx);
  registerCategoryRoutes(app, ctx);
  registerCalendarRoutes(app, ctx);
  registerNotificationRoutes(app, ctx);
  registerAssessmentRoutes(app, ctx);
  registerIotRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerCatalogueRoutes(app, ctx);
  registerAttachmentRoutes(app, ctx);
  registerPatrolRoutes(app, ctx);
  registerLiveRoutes(app, ctx);
  registerOpen311Routes(app, ctx);

  if (fs.existsSync(ctx.config.webDir)) {
    await app.register(fastifyStatic, {
      root: ctx.config.webDir,
      prefix: '/',
      wildcard: false,
      index: false,
      // The build writes .br and .gz copies (web/compress.plugin.ts): phones on weak networks get
      // a third of the bytes, and nothing is compressed per request.
      preCompressed: true,
      setHeaders(reply, file) {
        // Vite puts a content hash in every name under assets/: such a file never changes.
        if (file.includes(`${path.sep}assets${path.sep}`))
          reply.header('cache-control', 'public, max-age=31536000, immutable');
        else reply.header('cache-control', 'no-cache');
      },
    });
  }
  app.get('/', { schema: { hide: true } }, (req, reply) => sendPortalHtml(ctx, portalHtml, req, reply));
  return app;
}

/** Compressed copies of the portal's HTML variants (a handful: page × first visit or not × data version). */
const htmlCopies = new Map<string, Promise<{ br: Buffer; gzip: Buffer }>>();
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * The portal's HTML for the requested path, naming that page's code and carrying its first data
 * (server/http/portal-html.ts) — on a first visit (no `gz_js` cookie with this build's id) with the
 * code itself inside and the CSP that lets its loader run; compressed here, since it is not a file
 * of the build. Both variants are `no-cache` and vary on the cookie, so no cache hands one to a
 * browser that should get the other.
 */
async function sendPortalHtml(ctx: AppContext, portal: PortalHtml, req: FastifyRequest, reply: FastifyReply) {
  const pathname = new URL(req.url, 'http://localhost').pathname;
  const type = portal.categoriesFor(pathname);
  // The data is an optimisation: without it (database busy) the page asks for it itself.
  const categories = type ? await publicCategoryTree(ctx, type).catch(() => undefined) : undefined;
  const page = portal.document(pathname, { categories }, req.cookies[JS_COOKIE]);
  if (page === null) return sendIndexHtml(ctx, reply);
  const { html, scriptSrc } = page;
  reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('vary', 'accept-encoding, cookie');
  if (scriptSrc.length)
    reply.header('content-security-policy', contentSecurityPolicyHeader(ctx.config, scriptSrc));
  const accept = String(req.headers['accept-encoding'] ?? '');
  const encoding = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : null;
  if (!encoding || html.length < 1024) return reply.send(html);
  let copies = htmlCopies.get(html);
  if (!copies) {
    // Once per variant, so the strongest settings (the first-visit variant carries ~160 KB of
    // code: 45 KB at brotli 11, 50 KB at 6, ~0.1 s less on 3G), off the event loop.
    copies = Promise.all([
      brotliAsync(html, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(html),
        },
      }),
      gzipAsync(html, { level: 9 }),
    ]).then(([br, gz]) => ({ br, gzip: gz }));
    if (htmlCopies.size >= 32) htmlCopies.delete(htmlCopies.keys().next().value!);
    htmlCopies.set(html, copies);
    copies.catch(() => htmlCopies.delete(html));
  }
  return reply.header('content-encoding', encoding).send((await copies)[encoding]);
}

/** Serves an HTML entry: the portal (index.html) or, under /staff, the staff workbench. */
function sendIndexHtml(ctx: AppContext, reply: FastifyReply, entry = 'index.html') {
  const index = path.join(ctx.config.webDir, entry);
  if (fs.existsSync(index)) {
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile(entry);
  }
  return reply
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>共治 Gongzhi</title>' +
        '<p>网页界面尚未构建。请运行 <code>npm run build:web</code>。API 文档见 <a href="/docs">/docs</a>。</p></html>',
    );
}

function sendError(err: FastifyError | AppError, req: FastifyRequest, reply: FastifyReply) {
  const lang = langOf(req);
  let appErr: AppError;
  if (err instanceof AppError) {
    appErr = err;
  } else if ((err as FastifyError).validation) {
    const v = (err as FastifyError).validation ?? [];
    appErr = new AppError('VALIDATION_FAILED', {
      details: v.map((e) => ({
        field: fieldOf(
          e.instancePath,
          e.params as Record<string, unknown>,
          (err as FastifyError).validationContext,
        ),
        message: validationMessage(e.keyword, e.params as Record<string, unknown>, lang),
      })),
    });
  } else if ((err as FastifyError).statusCode === 429) {
    appErr = new AppError('RATE_LIMITED');
  } else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    appErr = new AppError('PAYLOAD_TOO_LARGE');
  } else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    appErr = new AppError('UNSUPPORTED_MEDIA_TYPE');
  } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
    appErr = new AppError('BAD_REQUEST');
  } else if (isDataException(err)) {
    // SQLSTATE class 22 (a NUL character, a number out of range, a malformed value): the input
    // reached the database without a schema catching it. The client's fault, so 400, and logged so
    // the schema gets the rule it lacks; the statement failed, so nothing was written.
    req.log.warn(
      { code: (err as { code?: string }).code, message: (err as Error).message },
      'data exception',
    );
    appErr = new AppError('BAD_REQUEST');
  } else if (isDatabaseUnavailable(err)) {
    // Expected while PostgreSQL restarts: a short line, not a stack per request.
    req.log.warn(
      { code: (err as { code?: string }).code, message: (err as Error).message },
      'database unavailable',
    );
    appErr = new AppError('DB_UNAVAILABLE');
  } else {
    req.log.error({ err }, 'unhandled error');
    appErr = new AppError('INTERNAL');
  }
  if (appErr.code === 'RATE_LIMITED') reply.header('retry-after', '60');
  if (appErr.code === 'DB_UNAVAILABLE') reply.header('retry-after', '5');
  return reply.status(appErr.status).send({
    error: {
      code: appErr.code,
      message: appErr.messageFor(lang),
      ...(appErr.details ? { details: appErr.details } : {}),
    },
    requestId: String(req.id),
  });
}

/** A PostgreSQL data exception (SQLSTATE class 22), on either engine. */
function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

function fieldOf(instancePath: string, params: Record<string, unknown>, context: string | undefined): string {
  const base = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = params.missingProperty ?? params.additionalProperty;
  const field = missing ? (base ? `${base}.${String(missing)}` : String(missing)) : base;
  return field || String(context ?? 'body');
}

function validationMessage(keyword: string, params: Record<string, unknown>, lang: 'zh' | 'en'): string {
  const zh: Record<string, string> = {
    required: '此项必填',
    additionalProperties: '不允许的字段',
    type: '类型不正确',
    minLength: `至少需要 ${params.limit} 个字符`,
    maxLength: `不能超过 ${params.limit} 个字符`,
    pattern: '格式不正确',
    format: '格式不正确',
    enum: '取值不在允许范围内',
    minimum: `不能小于 ${params.limit}`,
    maximum: `不能大于 ${params.limit}`,
    minItems: `至少需要 ${params.limit} 项`,
    maxItems: `不能超过 ${params.limit} 项`,
  };
  const en: Record<string, string> = {
    required: 'Required',
    additionalProperties: 'Unknown field',
    type: 'Wrong type',
    minLength: `At least ${params.limit} characters`,
    maxLength: `At most ${params.limit} characters`,
    pattern: 'Wrong format',
    format: 'Wrong format',
    enum: 'Not an allowed value',
    minimum: `Must be at least ${params.limit}`,
    maximum: `Must be at most ${params.limit}`,
    minItems: `At least ${params.limit} items`,
    maxItems: `At most ${params.limit} items`,
  };
  return (lang === 'en' ? en : zh)[keyword] ?? (lang === 'en' ? 'Invalid value' : '取值无效');
}
