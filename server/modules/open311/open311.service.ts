import { randomBytes } from 'node:crypto';
import { systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { LimitUnitColumn } from '../../db/schema.ts';
import { type IntakeInput, receiveCase } from '../../engine/intake.ts';
import { enqueueNotifications } from '../../engine/notify.ts';
import { AppError, type FieldError } from '../../lib/errors.ts';
import { parseW3, w3 } from './open311.format.ts';
import {
  countyName,
  findCaseByIdempotencyKey,
  findOwnRequest,
  insertClientUpdate,
  latestAnswers,
  OPEN311_CHANNEL,
  type PublicRequestRow,
  recordOpen311Request,
  replyDeadlines,
  type ServiceRow,
  servicesChangedAt,
  unsafeFindService,
  unsafeFindToken,
  unsafeListPublicRequests,
  unsafeListServices,
  unsafeListUpdates,
} from './open311.repository.ts';
import { type Open311Status, open311StatusOf, STATES_BY_STATUS, updateStatusOf } from './open311.status.ts';

/** What a service call knows about the HTTP call it serves. */
export interface Call {
  countyCode: string;
  /** Absolute URL of the endpoint, e.g. https://gz.example.cn/open311/v2 (no trailing slash). */
  baseUrl: string;
  lang: 'zh' | 'en';
  /** The caller's API key, when it presented a valid one. */
  key: { id: string; name: string; system: string } | null;
  meta: { ip?: string | undefined; requestId?: string | undefined };
  /** Filled in by the service for the audit entry of the call. */
  trace: { caseId?: string; serviceRequestId?: string; replayed?: boolean };
}

/** GeoReport v2 defaults: a span of 90 days and at most 1,000 requests, whichever is smaller. */
export const DEFAULT_SPAN_DAYS = 90;
export const MAX_ITEMS = 1000;
const DAY = 24 * 3600_000;
/** Description of a request: free text limited to 4,000 characters (spec). */
const MAX_DESCRIPTION = 4000;
const SPEC_URL = 'http://wiki.open311.org/GeoReport_v2';

/**
 * An error in the spec's sense: 400 (bad or missing argument), 403 (api_key) or 404 (not found),
 * with a description in Chinese and English for the people who read the client's logs.
 */
export function open311Error(status: 400 | 403 | 404, zh: string, en: string, field?: string): AppError {
  const code = status === 400 ? 'VALIDATION_FAILED' : status === 403 ? 'FORBIDDEN' : 'NOT_FOUND';
  const message = `${zh}（${en}）`;
  return new AppError(code, { message, ...(field ? { details: [{ field, message }] } : {}) });
}

// ── Services ────────────────────────────────────────────────────────────────────────────────

const UNIT_TEXT: Record<LimitUnitColumn, [string, string]> = {
  hours: ['小时', 'hours'],
  working_hours: ['个工作小时', 'working hours'],
  working_days: ['个工作日', 'working days'],
  natural_days: ['天', 'days'],
};

/** "Usually answered within 7 working days" — the service notice of a category. */
function serviceNotice(s: { reply_limit_amount: number; reply_limit_unit: LimitUnitColumn }): string {
  const [zh, en] = UNIT_TEXT[s.reply_limit_unit];
  return `此类诉求一般在 ${s.reply_limit_amount} ${zh}内答复（usually answered within ${s.reply_limit_amount} ${en}）`;
}

const nameOf = (call: Call, zh: string, en: string) => (call.lang === 'en' && en ? en : zh);

/**
 * Every service is `batch`: POST answers with a token, and tokens/{token} answers the request id.
 * Intake is synchronous, so the token resolves at once — but the contract leaves room to queue
 * intake later without changing clients (docs/channels/open311.md, "Tokens").
 */
const SERVICE_TYPE = 'batch';

function presentService(call: Call, s: ServiceRow) {
  const group = nameOf(call, s.group_name, s.group_name_en);
  const name = nameOf(call, s.name, s.name_en);
  return {
    service_code: s.id,
    service_name: name,
    description: `${group} · ${name}。${serviceNotice(s)}`,
    metadata: true,
    type: SERVICE_TYPE,
    keywords: s.keywords.join(','),
    group,
  };
}

/** GET services: the public categories that take appeals, grouped by their top-level category. */
export async function listServices(ctx: AppContext, call: Call) {
  const rows = await unsafeListServices(ctx.database.db, call.countyCode);
  return rows.map((s) => presentService(call, s));
}

const YES_NO = [
  { key: 'false', name: '否（no）' },
  { key: 'true', name: '是（yes）' },
];

/** Attribute codes every service understands; anything else is kept and shown to the handlers. */
const BUILT_IN_ATTRIBUTES = new Set(['title', 'confidential', 'anonymous', 'time_limit']);

/**
 * GET services/{code}: the same attributes for every service — an optional title, the
 * confidential and anonymous choices, and (for reading only) the usual answer time.
 */
export async function serviceDefinition(ctx: AppContext, call: Call, code: string) {
  const s = await unsafeFindService(ctx.database.db, call.countyCode, code);
  if (!s) throw open311Error(404, `服务 ${code} 不存在`, `service_code ${code} not found`);
  return {
    service_code: s.id,
    attributes: [
      {
        variable: true,
        code: 'title',
        datatype: 'string',
        required: false,
        datatype_description: '不超过 50 个字（at most 50 characters）',
        order: 1,
        description: '标题，可不填，系统按描述生成（title; optional）',
        values: [],
      },
      {
        variable: true,
        code: 'confidential',
        datatype: 'singlevaluelist',
        required: false,
        datatype_description: null,
        order: 2,
        description: '保密：保密的诉求不出现在任何公开查询中（confidential: never listed publicly）',
        values: YES_NO,
      },
      {
        variable: true,
        code: 'anonymous',
        datatype: 'singlevaluelist',
        required: false,
        datatype_description: null,
        order: 3,
        description: '匿名：不保存反映人的姓名和电话（anonymous: name and phone are not kept）',
        values: YES_NO,
      },
      {
        variable: false,
        code: 'time_limit',
        datatype: 'text',
        required: false,
        datatype_description: null,
        order: 4,
        description: serviceNotice(s),
        values: [],
      },
    ],
  };
}

/** GET discovery: where the endpoint is, what it speaks, whom to ask for a key. */
export async function discovery(ctx: AppContext, call: Call) {
  const db = ctx.database.db;
  const [name, changedAt] = await Promise.all([
    countyName(db, call.countyCode),
    servicesChangedAt(db, call.countyCode),
  ]);
  const changeset = w3(changedAt ?? ctx.clock.now())!;
  return {
    changeset,
    contact: `${name}社会治理中心（${name} social governance centre）`,
    key_service:
      'API 密钥由县平台管理员在“管理 → 接口密钥”中签发（API keys are issued by the county administrators）',
    endpoints: [
      {
        specification: SPEC_URL,
        url: call.baseUrl,
        changeset,
        type: ctx.config.env === 'production' ? 'production' : 'test',
        formats: ['text/xml', 'application/json'],
      },
    ],
  };
}

// ── POST requests ──────────────────────────────────────────────────────────────────────────

type Body = Record<string, unknown>;

/** A single text field of a form, or undefined when absent or empty ("optional" per the spec). */
function field(body: Body, name: string, max: number): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string')
    throw open311Error(400, `${name} 只能有一个文本值`, `${name} must be a single text value`, name);
  const t = v.trim();
  if (t.length > max)
    throw open311Error(400, `${name} 不能超过 ${max} 个字符`, `${name} exceeds ${max} characters`, name);
  return t || undefined;
}

const ATTRIBUTE_KEY = /^attribute\[([A-Za-z0-9_.-]{1,50})\](\[\])?$/;
const MAX_ATTRIBUTES = 30;
const MAX_ATTRIBUTE_VALUE = 500;

/** `attribute[code]=value` and `attribute[code][]=v1&attribute[code][]=v2` (multivaluelist). */
function attributesOf(body: Body): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (code: string, raw: unknown, many: boolean) => {
    const list = (Array.isArray(raw) ? raw : [raw]).map((x) => {
      if (typeof x !== 'string' && typeof x !== 'number')
        throw open311Error(400, `attribute[${code}] 的值无效`, `attribute[${code}] has an invalid value`);
      const s = String(x).trim();
      if (s.length > MAX_ATTRIBUTE_VALUE)
        throw open311Error(400, `attribute[${code}] 太长`, `attribute[${code}] is too long`);
      return s;
    });
    out[code] = many || list.length > 1 ? list : (list[0] ?? '');
  };
  for (const [k, v] of Object.entries(body)) {
    const m = ATTRIBUTE_KEY.exec(k);
    if (m) add(m[1]!, v, Boolean(m[2]));
    else if (k.startsWith('attribute['))
      throw open311Error(400, `无法识别的属性 ${k}`, `unrecognised attribute ${k}`, k);
  }
  // A JSON body may carry { attribute: { code: value } }.
  if (body.attribute && typeof body.attribute === 'object' && !Buffer.isBuffer(body.attribute)) {
    for (const [k, v] of Object.entries(body.attribute as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9_.-]{1,50}$/.test(k))
        throw open311Error(400, `无法识别的属性 ${k}`, `unrecognised attribute ${k}`);
      add(k, v, Array.isArray(v));
    }
  }
  if (Object.keys(out).length > MAX_ATTRIBUTES)
    throw open311Error(400, `属性不能超过 ${MAX_ATTRIBUTES} 个`, `at most ${MAX_ATTRIBUTES} attributes`);
  return out;
}

function yes(v: string | string[] | undefined): boolean {
  return typeof v === 'string' && ['true', '1', 'yes', '是'].includes(v.toLowerCase());
}

function coordinate(text: string | undefined, name: 'lat' | 'long', limit: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || Math.abs(n) > limit)
    throw open311Error(400, `${name} 不是有效的 WGS84 坐标`, `${name} is not a valid WGS84 coordinate`, name);
  return n;
}

const PHONE = /^\+?[0-9][0-9 ()-]{4,24}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;
const HTTP_URL = /^https?:\/\/[^\s]{1,990}$/;
/** Idempotency keys: what the IETF draft and common practice use — visible ASCII, bounded. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;

/** The reporter's name as people here write it: family name first when the name is Chinese. */
function fullName(first: string | undefined, last: string | undefined): string | undefined {
  if (!first && !last) return undefined;
  const cjk = /[\u3400-\u9fff]/.test(`${first ?? ''}${last ?? ''}`);
  return cjk ? `${last ?? ''}${first ?? ''}` : [first, last].filter(Boolean).join(' ');
}

/** A POST requests body, checked and mapped onto the one entry. */
export interface ParsedPost {
  service: ServiceRow;
  intake: Omit<IntakeInput, 'attachments' | 'idempotencyKey'>;
  accountId: string | undefined;
  email: string | undefined;
  mediaUrl: string | undefined;
  attributes: Record<string, string | string[]>;
}

/**
 * Checks a POST requests body against the spec: service_code (400 when missing, 404 when not a
 * service), a location (lat & long, address_string or address_id), a description of at most 4,000
 * characters, and the optional reporter fields. Field problems answer 400.
 */
export async function parsePost(ctx: AppContext, call: Call, body: Body): Promise<ParsedPost> {
  const code = field(body, 'service_code', 20);
  if (!code) throw open311Error(400, '缺少 service_code', 'service_code was not provided', 'service_code');
  const problems: FieldError[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof AppError && err.details) problems.push(...err.details);
      else throw err;
      return undefined;
    }
  };
  const lat = collect(() => coordinate(field(body, 'lat', 40), 'lat', 90));
  const lon = collect(() => coordinate(field(body, 'long', 40), 'long', 180));
  const addressString = collect(() => field(body, 'address_string', 200));
  const addressId = collect(() => field(body, 'address_id', 100));
  const description = collect(() => field(body, 'description', MAX_DESCRIPTION));
  const phone = collect(() => field(body, 'phone', 30));
  const email = collect(() => field(body, 'email', 254));
  const first = collect(() => field(body, 'first_name', 50));
  const last = collect(() => field(body, 'last_name', 50));
  const accountId = collect(() => field(body, 'account_id', 100));
  const mediaUrl = collect(() => field(body, 'media_url', 1000));
  collect(() => field(body, 'device_id', 200)); // accepted, checked, not kept (docs: personal data)
  const attributes = collect(() => attributesOf(body)) ?? {};
  if ((lat === undefined) !== (lon === undefined))
    problems.push({ field: 'lat', message: 'lat 与 long 须同时提供（lat and long must both be sent）' });
  if (lat === undefined && lon === undefined && !addressString && !addressId)
    problems.push({
      field: 'lat',
      message: '须提供位置：lat 和 long、address_string 或 address_id（a location is required）',
    });
  if (phone && !PHONE.test(phone))
    problems.push({ field: 'phone', message: '电话号码格式不正确（invalid phone）' });
  if (email && !EMAIL.test(email))
    problems.push({ field: 'email', message: '电子邮件格式不正确（invalid email）' });
  if (mediaUrl && !HTTP_URL.test(mediaUrl))
    problems.push({ field: 'media_url', message: 'media_url 须为 http(s) 地址（must be an http(s) URL）' });
  const title = typeof attributes.title === 'string' ? attributes.title : undefined;
  if (title && title.length > 50)
    problems.push({
      field: 'attribute[title]',
      message: '标题不能超过 50 个字（title: at most 50 characters）',
    });
  if (problems.length)
    throw new AppError('VALIDATION_FAILED', {
      message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      details: problems,
    });
  const service = await unsafeFindService(ctx.database.db, call.countyCode, code);
  if (!service)
    throw open311Error(404, `服务 ${code} 不存在`, `service_code ${code} not found`, 'service_code');

  // What the case has no field for is written into its description, so the handler sees it.
  const extra = Object.entries(attributes)
    .filter(([k]) => !BUILT_IN_ATTRIBUTES.has(k))
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
  if (addressId) extra.push(`address_id: ${addressId}`);
  if (mediaUrl) extra.push(`media_url: ${mediaUrl}`);
  const text = [
    description ?? `（未填写描述）${nameOf(call, service.name, service.name_en)}`,
    ...(extra.length ? ['', '附加信息（attributes）：', ...extra] : []),
  ].join('\n');

  return {
    service,
    intake: {
      type: 'appeal',
      channel: OPEN311_CHANNEL,
      categoryId: service.id,
      title,
      description: text,
      lat,
      lon,
      address: addressString ?? (addressId ? `address_id ${addressId}` : undefined),
      contactName: fullName(first, last),
      contactPhone: phone,
      anonymous: yes(attributes.anonymous),
      confidential: yes(attributes.confidential),
    },
    accountId,
    email,
    mediaUrl,
    attributes,
  };
}

/** Checks the Idempotency-Key header; a client's keys live in their own namespace per API key. */
export function idempotencyKeyOf(header: unknown, keyId: string): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header))
    throw open311Error(
      400,
      'Idempotency-Key 须为 1 到 100 个可见 ASCII 字符',
      'invalid Idempotency-Key header',
    );
  return `open311:${keyId}:${header}`;
}

/**
 * POST requests: the case goes through the one entry (`receiveCase`, channel open311, system
 * actor). A repeated Idempotency-Key answers the first result (same token) and makes no second
 * case. Media ids (already stored, re-encoded) go with it.
 */
export async function createRequest(
  ctx: AppContext,
  call: Call,
  parsed: ParsedPost,
  opts: { idempotencyKey?: string | undefined; attachments?: string[] },
) {
  const key = call.key!;
  const result = await receiveCase(
    ctx,
    systemActor(call.countyCode),
    { ...parsed.intake, attachments: opts.attachments ?? [], idempotencyKey: opts.idempotencyKey },
    call.meta,
  );
  const c = result.case;
  const token = await recordOpen311Request(ctx.database.db, {
    caseId: c.id,
    countyCode: call.countyCode,
    apiKeyId: key.id,
    token: randomBytes(18).toString('base64url'),
    serviceCode: parsed.service.id,
    accountId: parsed.accountId ?? null,
    emailEnc: parsed.email ? ctx.cipher.encrypt(parsed.email) : null,
    clientMediaUrl: parsed.mediaUrl ?? null,
    attributes: parsed.attributes,
  });
  call.trace.caseId = c.id;
  call.trace.serviceRequestId = c.code;
  call.trace.replayed = result.replayed;
  return [{ token, service_notice: serviceNotice(parsed.service), account_id: parsed.accountId ?? null }];
}

/** Whether an Idempotency-Key already made a case (so a retry need not store its photos again). */
export async function alreadyReceived(ctx: AppContext, call: Call, idempotencyKey: string | undefined) {
  if (!idempotencyKey) return false;
  return Boolean(await findCaseByIdempotencyKey(ctx.database.db, call.countyCode, idempotencyKey));
}

/** GET tokens/{token}: the service request id the token stands for. */
export async function resolveToken(ctx: AppContext, call: Call, token: string) {
  const row = /^[A-Za-z0-9_-]{8,64}$/.test(token)
    ? await unsafeFindToken(ctx.database.db, call.countyCode, token)
    : undefined;
  if (!row) throw open311Error(404, '令牌不存在', 'token not found');
  call.trace.serviceRequestId = row.code;
  return [{ service_request_id: row.code, token: row.token }];
}

// ── GET requests ───────────────────────────────────────────────────────────────────────────

function list(text: string | undefined, name: string, max: number): string[] | undefined {
  if (text === undefined) return undefined;
  const items = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (items.length > max)
    throw open311Error(400, `${name} 最多 ${max} 个`, `at most ${max} values of ${name}`, name);
  return items;
}

function dateArg(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const d = parseW3(text);
  if (!d)
    throw open311Error(
      400,
      `${name} 须为带时区的 W3C 日期时间，如 2026-11-30T00:00:00+08:00`,
      `${name} must be a W3C date-time with a time zone, e.g. 2010-01-01T00:00:00Z`,
      name,
    );
  return d;
}

function intArg(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw open311Error(
      400,
      `${name} 须为 ${min} 到 ${max} 的整数`,
      `${name} must be an integer from ${min} to ${max}`,
      name,
    );
  return n;
}

/**
 * The window of a date-filtered list: both ends given (at most 90 days apart), one end (90 days
 * from it), or neither (the most recent 90 days).
 */
function windowOf(ctx: AppContext, startText: string | undefined, endText: string | undefined) {
  const start = dateArg(startText, 'start_date');
  const end = dateArg(endText, 'end_date');
  const span = DEFAULT_SPAN_DAYS * DAY;
  if (start && end) {
    if (end < start)
      throw open311Error(400, 'end_date 早于 start_date', 'end_date is before start_date', 'end_date');
    if (end.getTime() - start.getTime() > span)
      throw open311Error(
        400,
        '查询范围不能超过 90 天',
        'the range may not span more than 90 days',
        'end_date',
      );
    return { from: start, to: end };
  }
  if (start) return { from: start, to: new Date(start.getTime() + span) };
  if (end) return { from: new Date(end.getTime() - span), to: end };
  const now = ctx.clock.now();
  return { from: new Date(now.getTime() - span), to: now };
}

export interface RequestQuery {
  service_request_id?: string | undefined;
  service_code?: string | undefined;
  start_date?: string | undefined;
  end_date?: string | undefined;
  status?: string | undefined;
  page?: string | undefined;
  page_size?: string | undefined;
}

const q = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/**
 * GET requests: public-safe requests, newest first — by id list (which overrides every other
 * filter), or by service code, status and a date window (default the last 90 days), at most 1,000
 * (`page` and `page_size`, the common pagination extension, page through more).
 */
export async function listRequests(ctx: AppContext, call: Call, query: RequestQuery) {
  const codes = list(q(query.service_request_id), 'service_request_id', MAX_ITEMS);
  const pageSize = intArg(q(query.page_size), 'page_size', 1, MAX_ITEMS) ?? MAX_ITEMS;
  const page = intArg(q(query.page), 'page', 1, 100_000) ?? 1;
  let filter: Parameters<typeof unsafeListPublicRequests>[2];
  if (codes) {
    filter = { codes, limit: pageSize, offset: (page - 1) * pageSize };
  } else {
    const statuses = list(q(query.status), 'status', 2)?.map((s) => s.toLowerCase());
    for (const s of statuses ?? [])
      if (s !== 'open' && s !== 'closed')
        throw open311Error(400, 'status 只能是 open 或 closed', 'status must be open or closed', 'status');
    const window = windowOf(ctx, q(query.start_date), q(query.end_date));
    filter = {
      serviceCodes: list(q(query.service_code), 'service_code', 200),
      states: statuses?.flatMap((s) => STATES_BY_STATUS[s as Open311Status]),
      ...window,
      limit: pageSize,
      offset: (page - 1) * pageSize,
    };
  }
  const rows = await unsafeListPublicRequests(ctx.database.db, call.countyCode, filter);
  return presentRequests(ctx, call, rows);
}

/** GET requests/{id}: one public-safe request (404 for anything else, confidential included). */
export async function getRequest(ctx: AppContext, call: Call, code: string) {
  const rows = /^[A-Z0-9]{1,32}$/.test(code)
    ? await unsafeListPublicRequests(ctx.database.db, call.countyCode, { codes: [code], limit: 1, offset: 0 })
    : [];
  if (!rows.length)
    throw open311Error(404, `服务请求 ${code} 不存在`, `service_request_id ${code} not found`);
  call.trace.serviceRequestId = code;
  return presentRequests(ctx, call, rows);
}

/**
 * A request as anyone may see it. Never the reporter's name, phone or e-mail. Requests that came
 * in through other channels (portal, hotline, grid) show category, status, dates, the responsible
 * unit and their village — not their text, exact position or photos, which those citizens did not
 * publish. Open311 requests show what their client sent (the client published it).
 */
async function presentRequests(ctx: AppContext, call: Call, rows: PublicRequestRow[]) {
  const db = ctx.database.db;
  const ids = rows.map((r) => r.id);
  const own = rows.filter((r) => r.channel === OPEN311_CHANNEL).map((r) => r.id);
  const [deadlines, answers, services] = await Promise.all([
    replyDeadlines(db, ids),
    latestAnswers(db, own),
    unsafeListServices(db, call.countyCode),
  ]);
  const serviceById = new Map(services.map((s) => [s.id, s]));
  return rows.map((r) => {
    const published = r.channel === OPEN311_CHANNEL;
    const status = open311StatusOf(r.state);
    const answer = published ? answers.get(r.id) : undefined;
    const stateLabel = STATE_NOTES[r.state] ?? r.state;
    const photo = published ? (r.attachments as unknown[]).find((a) => typeof a === 'string') : undefined;
    const service = r.category_id ? serviceById.get(r.category_id) : undefined;
    return {
      service_request_id: r.code,
      status,
      status_notes: answer ? `${stateLabel}：${answer}` : stateLabel,
      service_name: r.category_name,
      service_code: r.category_id ?? '',
      description: published ? r.description : null,
      agency_responsible: r.lead_name ?? null,
      service_notice: service ? serviceNotice(service) : null,
      requested_datetime: w3(r.received_at)!,
      updated_datetime: w3(status === 'closed' ? (r.closed_at ?? r.updated_at) : r.updated_at),
      expected_datetime: w3(deadlines.get(r.id)),
      address: published ? r.address : (r.village_name ?? r.township_name ?? null),
      lat: published ? r.lat : null,
      long: published ? r.lon : null,
      media_url: photo ? `${call.baseUrl}/media/${photo}` : null,
    };
  });
}

/** The state shown as status_notes (Chinese first, as everywhere in the product). */
const STATE_NOTES: Record<string, string> = {
  received: '已受理（received）',
  answered_directly: '已直接答复（answered）',
  dispatched: '已派单（dispatched）',
  return_requested: '承办单位申请退单，等待重新派单（being re-dispatched）',
  signed: '承办单位已签收（accepted by the unit）',
  in_progress: '办理中（in progress）',
  replied: '已答复（answered）',
  audited: '答复已审核（answer checked）',
  revisited: '已回访（followed up）',
  closed: '已办结（closed）',
  suspended: '暂停办理（on hold）',
  voided: '已作废（void）',
  merged: '与其他诉求合并办理（duplicate）',
};

// ── servicerequestupdates ──────────────────────────────────────────────────────────────────

function updateText(action: string, payload: Record<string, unknown>, org: string | null): string {
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (action) {
    case 'receive':
      return '已受理（received）';
    case 'dispatch':
      return `已派单至${s(payload.leadName) || '承办单位'}（dispatched）`;
    case 'sign':
      return `${org ?? '承办单位'}已签收（accepted）`;
    case 'first_contact':
      return '承办单位已与反映人联系（contacted the reporter）';
    case 'answer_directly':
      return `答复（answer）：${s(payload.answer)}`;
    case 'reply':
      return `答复（answer）：${s(payload.reply)}`;
    case 'revisit':
    case 'rate':
      return '已回访（followed up）';
    case 'close':
      return '已办结（closed）';
    case 'redo':
      return '重新办理（reopened）';
    case 'merge':
      return `与 ${s(payload.intoCode)} 合并办理（duplicate）`;
    case 'void':
      return '已作废（void）';
    case 'suspend':
      return '暂停办理（on hold）';
    case 'resume':
      return '恢复办理（resumed）';
    default:
      return action;
  }
}

/**
 * GET servicerequestupdates (mySociety's extension, FixMyStreet's client polls it): the
 * citizen-visible steps of requests received through Open311, oldest first, in a window of at most
 * 90 days (default the last 90 days), at most 1,000 per page.
 */
export async function listUpdates(ctx: AppContext, call: Call, query: RequestQuery) {
  const window = windowOf(ctx, q(query.start_date), q(query.end_date));
  const pageSize = intArg(q(query.page_size), 'page_size', 1, MAX_ITEMS) ?? MAX_ITEMS;
  const page = intArg(q(query.page), 'page', 1, 100_000) ?? 1;
  const rows = await unsafeListUpdates(ctx.database.db, call.countyCode, {
    ...window,
    limit: pageSize,
    offset: (page - 1) * pageSize,
  });
  return rows.map((e) => ({
    update_id: String(e.id),
    service_request_id: e.code,
    status: updateStatusOf(e.to_state, e.action === 'close' ? e.resolved : null),
    updated_datetime: w3(e.at)!,
    description: updateText(e.action, e.payload as Record<string, unknown>, e.actor_org_name),
    media_url: '',
  }));
}

const UPDATE_STATUS = /^[A-Za-z][A-Za-z_ ]{0,39}$/;

/**
 * POST servicerequestupdates: a client's update about one of its own requests (another key's
 * request is 404). Stored once per client update id; the handling unit (or, before dispatch, the
 * county centre) is notified in the same transaction. The case itself changes only through the
 * engine — an update is information for the handler, not an action.
 */
export async function postUpdate(ctx: AppContext, call: Call, body: Body) {
  const key = call.key!;
  const problems: FieldError[] = [];
  const get = (name: string, max: number) => {
    try {
      return field(body, name, max);
    } catch (err) {
      if (err instanceof AppError && err.details) problems.push(...err.details);
      else throw err;
      return undefined;
    }
  };
  const code = get('service_request_id', 32);
  const clientId = get('update_id', 100) ?? get('update_id_ext', 100);
  const status = get('status', 40);
  const description = get('description', MAX_DESCRIPTION) ?? '';
  const updatedText = get('updated_datetime', 40);
  const mediaUrl = get('media_url', 1000);
  if (!code)
    problems.push({ field: 'service_request_id', message: '缺少 service_request_id（not provided）' });
  if (!clientId) problems.push({ field: 'update_id', message: '缺少 update_id（not provided）' });
  if (!status || !UPDATE_STATUS.test(status))
    problems.push({ field: 'status', message: '缺少或无效的 status（missing or invalid）' });
  const updatedAt = updatedText ? parseW3(updatedText) : undefined;
  if (!updatedAt)
    problems.push({
      field: 'updated_datetime',
      message: '须为带时区的 W3C 日期时间（a W3C date-time is required）',
    });
  if (mediaUrl && !HTTP_URL.test(mediaUrl))
    problems.push({ field: 'media_url', message: 'media_url 须为 http(s) 地址（must be an http(s) URL）' });
  if (problems.length)
    throw new AppError('VALIDATION_FAILED', {
      message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      details: problems,
    });
  const c = await findOwnRequest(ctx.database.db, call.countyCode, key.id, code!);
  if (!c) throw open311Error(404, `服务请求 ${code} 不存在`, `service_request_id ${code} not found`);
  call.trace.caseId = c.id;
  call.trace.serviceRequestId = c.code;
  const normalized = status!.toLowerCase().replaceAll(' ', '_');
  const stored = await ctx.database.transaction(async (trx) => {
    const r = await insertClientUpdate(trx, {
      countyCode: call.countyCode,
      caseId: c.id,
      apiKeyId: key.id,
      clientUpdateId: clientId!,
      status: normalized,
      description,
      clientMediaUrl: mediaUrl ?? null,
      updatedAt: updatedAt!,
    });
    if (r.created) {
      const said = ['closed', 'fixed'].includes(normalized) ? '，对方标记为已解决' : '';
      await enqueueNotifications(
        trx,
        ctx,
        c,
        [
          {
            to: c.lead_org_id ? 'lead' : 'supervisors',
            kind: 'open311_update',
            title: '反映人补充信息：{code}',
            body: `${key.system}转来反映人的补充${said}：${description || '（无文字）'}${mediaUrl ? `\n图片：${mediaUrl}` : ''}`,
          },
        ],
        ctx.clock.now(),
      );
    }
    return r;
  });
  call.trace.replayed = !stored.created;
  return [{ update_id: String(stored.id) }];
}
