import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
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
import { AppError } from '../lib/errors.ts';
import { registerAssessmentRoutes } from '../modules/assessment/assessment.routes.ts';
import { registerAuthRoutes } from '../modules/auth/auth.routes.ts';
import { resolveSession } from '../modules/auth/auth.service.ts';
import { registerCalendarRoutes } from '../modules/calendar/calendar.routes.ts';
import { registerCaseRoutes } from '../modules/cases/cases.routes.ts';
import { registerCategoryRoutes } from '../modules/categories/categories.routes.ts';
import { registerCitizenRoutes } from '../modules/citizens/citizens.routes.ts';
import { registerGridRoutes } from '../modules/grids/grids.routes.ts';
import { registerHealthRoutes } from '../modules/health/health.routes.ts';
import { registerNotificationRoutes } from '../modules/notifications/notifications.routes.ts';
import { registerOrgRoutes } from '../modules/orgs/orgs.routes.ts';
import { registerPublicRoutes } from '../modules/public/public.routes.ts';
import { registerUserRoutes } from '../modules/users/users.routes.ts';
import { checkAuthenticated, checkPermission } from './access.ts';

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
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: () => new AppError('RATE_LIMITED'),
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
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
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
  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith('/api/') || req.method !== 'GET') {
      return sendError(new AppError('ROUTE_NOT_FOUND'), req, reply);
    }
    return sendIndexHtml(ctx, reply, req.url.startsWith('/staff') ? 'staff.html' : 'index.html');
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

  if (fs.existsSync(ctx.config.webDir)) {
    await app.register(fastifyStatic, {
      root: ctx.config.webDir,
      prefix: '/',
      wildcard: false,
      index: false,
    });
    app.get('/', { schema: { hide: true } }, (_req, reply) => sendIndexHtml(ctx, reply));
  } else {
    app.get('/', { schema: { hide: true } }, (_req, reply) => sendIndexHtml(ctx, reply));
  }
  return app;
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
  } else if (isDatabaseDown(err)) {
    req.log.warn({ err }, 'database unavailable');
    appErr = new AppError('NOT_READY');
  } else {
    req.log.error({ err }, 'unhandled error');
    appErr = new AppError('INTERNAL');
  }
  if (appErr.code === 'RATE_LIMITED') reply.header('retry-after', '60');
  return reply.status(appErr.status).send({
    error: {
      code: appErr.code,
      message: appErr.messageFor(lang),
      ...(appErr.details ? { details: appErr.details } : {}),
    },
    requestId: String(req.id),
  });
}

function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' ||
    code === '57P03' ||
    /Connection terminated|timeout exceeded when trying to connect/.test(String((err as Error).message))
  );
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
