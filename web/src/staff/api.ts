/**
 * Typed client for the staff workbench. Same conventions as the portal's client (`../api.ts`):
 * session in an HTTP-only cookie, the CSRF token from login / me kept in memory and sent as
 * `X-CSRF-Token` on writes, `Accept-Language` from the chosen language, every failure an
 * {@link ApiError}. It has its own `request` so the staff language and the 401 handling (back to the
 * sign-in page) stay in the workbench.
 */
import { ApiError, type FieldError, type Geometry, isAbort } from '../api.ts';
import { getStaffLang, tr } from './i18n.ts';

export type { FieldError, Geometry };
export { ApiError, isAbort };

const TIMEOUT_MS = 30_000;

let csrfToken: string | null = null;

/** Keeps the CSRF token of the session in memory (never in storage). */
export function setCsrf(token: string | null): void {
  csrfToken = token;
}

let onUnauthorized: (() => void) | null = null;

/** Called once when a signed-in call answers 401 (session expired elsewhere). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  headers?: Record<string, string>;
  /** Return the raw response (downloads) instead of parsed JSON. */
  raw?: boolean;
}

/** Sends one request; parsed JSON (undefined for 204), or the Response when `raw`. */
export async function request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
  const lang = getStaffLang();
  const headers: Record<string, string> = {
    Accept: opts.raw ? '*/*' : 'application/json',
    'Accept-Language': lang,
    ...opts.headers,
  };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, TIMEOUT_MS);
  const onAbort = () => controller.abort();
  if (opts.signal?.aborted) controller.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      signal: controller.signal,
    });
  } catch {
    if (timedOut) throw new ApiError(0, 'TIMEOUT', tr('error.timeout'));
    if (opts.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    throw new ApiError(0, 'NETWORK_ERROR', tr('error.network'));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }

  if (res.ok && opts.raw) return res as T;
  if (res.status === 204) return undefined as T;
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) {
    if (json === undefined) throw new ApiError(res.status, 'BAD_RESPONSE', tr('error.server'));
    return json as T;
  }
  const err = toApiError(res.status, json);
  if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized?.();
  throw err;
}

function toApiError(status: number, json: unknown): ApiError {
  const body = (json ?? {}) as {
    error?: { code?: unknown; message?: unknown; details?: unknown };
    requestId?: unknown;
  };
  const e = body.error;
  const requestId = typeof body.requestId === 'string' ? body.requestId : undefined;
  if (e && typeof e.code === 'string') {
    const details = Array.isArray(e.details)
      ? e.details.filter(
          (d): d is FieldError =>
            typeof d === 'object' &&
            d !== null &&
            typeof d.field === 'string' &&
            typeof d.message === 'string',
        )
      : [];
    const message = typeof e.message === 'string' && e.message ? e.message : tr('error.server');
    return new ApiError(status, e.code, message, details, requestId);
  }
  const key = status === 404 ? 'error.notFound' : status === 429 ? 'error.rateLimited' : 'error.server';
  return new ApiError(status, `HTTP_${status}`, tr(key), [], requestId);
}

/** True when the server has no such endpoint (yet): the screen shows "not available" instead of failing. */
export function isMissingEndpoint(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'ROUTE_NOT_FOUND' || err.code === 'HTTP_404');
}

/** Any thrown value as an ApiError, for display. */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'CLIENT_ERROR', err instanceof Error ? err.message : String(err));
}

const q = encodeURIComponent;

/** `?a=1&b=2` from the defined, non-empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  }
  const out = s.toString();
  return out ? `?${out}` : '';
}

// ---------------------------------------------------------------------------------------------
// Types (mirroring the route schemas on the server)

export interface StaffUser {
  id: string;
  username: string;
  displayName: string;
  role: string;
  org: { id: string; name: string; kind: string; scopeRootId: string };
}

export type MeResult =
  | { kind: 'staff'; user: StaffUser; csrfToken: string }
  | { kind: 'citizen'; citizen: { id: string; phoneMasked: string }; csrfToken: string }
  | { kind: 'anonymous' };

export const QUEUES = [
  'to_dispatch',
  'to_sign',
  'in_progress',
  'due_soon',
  'overdue',
  'returned',
  'whistled',
  'to_audit',
  'to_revisit',
  'redo',
  'unsatisfied',
  'red',
  'reported_by_me',
  'all',
] as const;
export type Queue = (typeof QUEUES)[number];

export interface CaseListItem {
  id: string;
  code: string;
  type: string;
  state: string;
  stateLabel: string;
  title: string;
  urgency: string;
  channel: string;
  categoryId: string | null;
  categoryName: string | null;
  leadOrgId: string | null;
  leadName: string | null;
  villageId: string | null;
  villageName: string | null;
  supervisionLevel: string;
  receivedAt: string;
  nextDueAt: string | null;
  version: number;
}

export interface CaseListQuery {
  queue: Queue;
  type?: string | undefined;
  state?: string | undefined;
  categoryId?: string | undefined;
  townshipId?: string | undefined;
  q?: string | undefined;
  limit?: number;
  offset?: number;
}

export interface Whistle {
  id: string;
  reasonClass: string;
  message: string;
  createdAt: string;
  whistlerOrgId: string;
  departmentId: string;
  departmentName: string;
  status: string;
  dueAt: string;
  reportedAt: string | null;
  responder: string | null;
  actionTaken: string | null;
  late: boolean;
  rating: number | null;
}

export interface RoutingDecision {
  gridId?: string | null;
  villageId?: string | null;
  townshipId?: string | null;
  level?: string;
  suggestedLeadOrgId?: string;
  /** Its name, sent with the case (the viewer may not be allowed to read that unit itself). */
  suggestedLeadOrgName?: string | null;
  reasons?: string[];
  [k: string]: unknown;
}

export interface CaseData {
  id: string;
  code: string;
  type: string;
  typeLabel: string;
  state: string;
  stateLabel: string;
  version: number;
  channel: string;
  category: { id: string; name: string } | null;
  urgency: string;
  title: string;
  description: string;
  location: {
    lon: number | null;
    lat: number | null;
    address: string | null;
    gridId: string | null;
    villageId: string | null;
    villageName: string | null;
    townshipId: string | null;
    townshipName: string | null;
  };
  routing: RoutingDecision | null;
  lead: { id: string; name: string } | null;
  units: { orgId: string; name: string; relation: string; status: string; reply: string | null }[];
  supervisionLevel: string;
  redoCount: number;
  extensionCount: number;
  returnCount: number;
  pending: {
    extension?: { days: number; reason: string; requestedBy: string; requestedAt: string };
    suspendedFrom?: string;
    returnFrom?: string;
    returnReason?: string;
    [k: string]: unknown;
  };
  contact: { anonymous: boolean; confidential: boolean; phoneMasked: string | null; hasName: boolean };
  resolved: boolean | null;
  satisfaction: string | null;
  attachments: {
    id: string;
    width: number;
    height: number;
    size: number;
    source: string;
    createdAt: string;
  }[];
  receivedAt: string;
  dispatchedAt: string | null;
  repliedAt: string | null;
  closedAt: string | null;
  mergedInto: string | null;
  deadlines: { stage: string; orgId: string | null; dueAt: string; status: string }[];
  whistles: Whistle[];
}

export interface CaseDetail {
  case: CaseData;
  abilities: { actions: string[]; revealContact: boolean };
  replayed?: boolean;
}

export interface TimelineItem {
  seq: number;
  at: string;
  action: string;
  label: string;
  fromState: string | null;
  toState: string;
  actor: { kind: string; name: string };
  details: Record<string, unknown>;
}

export interface DuplicateItem {
  id: string;
  code: string;
  title: string;
  state: string;
  receivedAt: string;
  score: number;
  reasons: string[];
}

export interface IntakeInput {
  type: 'appeal' | 'event';
  channel: string;
  categoryId: string;
  urgency?: 'normal' | 'urgent' | 'emergency';
  title?: string;
  description: string;
  lon?: number;
  lat?: number;
  address?: string;
  villageId?: string;
  contactName?: string;
  contactPhone?: string;
  anonymous?: boolean;
  confidential?: boolean;
}

export type OrgKind = 'county' | 'township' | 'village' | 'department' | 'centre';

export interface Org {
  id: string;
  name: string;
  kind: OrgKind | string;
  subtype: string | null;
  parentId: string | null;
  path: string;
  active: boolean;
  version: number;
}

export interface OrgDetail {
  org: Org;
  ancestors: { id: string; name: string; kind: string }[];
  children: { id: string; name: string; kind: string; subtype: string | null; active: boolean }[];
  abilities: { update: boolean };
}

export interface GridDetail {
  grid: { id: string; name: string; villageId: string; geometry: Geometry; areaM2: number; version: number };
  workers: { id: string; displayName: string; role: string }[];
  abilities: { update: boolean };
}

export interface GridFeature {
  type: 'Feature';
  id?: string;
  properties: { code: string; name: string; villageCode: string };
  geometry: Geometry | null;
}

export interface Regions {
  county: { code: string; name: string };
  townships: {
    code: string;
    name: string;
    subtype: string;
    villages: { code: string; name: string; subtype: string; gridCount: number }[];
  }[];
}

export interface UserRow {
  id: string;
  username: string;
  displayName: string;
  role: string;
  orgId: string;
  orgName: string;
  active: boolean;
  locked: boolean;
  lastLoginAt: string | null;
  version: number;
}

export type Rates = Record<
  'closure' | 'response' | 'resolution' | 'satisfaction' | 'onTime' | 'redo' | 'extension' | 'return',
  number | null
>;

export interface Figures {
  counts: Record<string, number> & { received: number; closed: number };
  overdueByStage: Record<string, number>;
  rates: Rates;
  whistle: {
    whistles: number;
    whistledDepartments: number;
    reports: number;
    lateReports: number;
    meanReportMinutes: number | null;
    ratings: number;
    meanRating: number | null;
  };
  score: number | null;
}

export interface Weights {
  response: number;
  resolution: number;
  satisfaction: number;
  basicWeight: number;
}

export interface Summary extends Figures {
  org: { id: string; name: string; kind: string };
  view: string;
  type: string;
  from: string;
  to: string;
  weights: Weights;
}

export interface Rankings {
  by: 'township' | 'department';
  type: string;
  from: string;
  to: string;
  weights: Weights;
  items: (Figures & { rank: number; org: { id: string; name: string; kind: string } })[];
}

export interface WeightsResult extends Weights {
  isDefault: boolean;
  updatedAt: string | null;
  defaults: Weights;
}

export interface Notification {
  id: string;
  kind: string;
  caseId: string | null;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export interface Category {
  id: string;
  parentId: string | null;
  name: string;
  nameEn: string | null;
  level?: string;
  defaultOrgId?: string | null;
  defaultOrgName?: string | null;
  urgency?: string;
  replyLimit?: { amount: number; unit: string } | null;
  caseTypes: string[];
  public?: boolean;
  active?: boolean;
  keywords?: string[];
  version?: number;
}

export interface TimeLimit {
  amount: number;
  unit: string;
}

export interface TimeLimits {
  limits: Record<string, Record<string, TimeLimit & { overridden: boolean; default: TimeLimit }>>;
  overrides: Record<string, Record<string, TimeLimit>>;
  updatedAt: string | null;
}

export interface CalendarDay {
  date: string;
  weekday: number;
  working: boolean;
  source: 'package' | 'override';
  kind: string;
  name: string | null;
  nameEn: string | null;
  note: string | null;
}

export interface CalendarYear {
  year: number;
  known: boolean;
  knownYears: number[];
  months: { month: number; days: CalendarDay[] }[];
}

// ---------------------------------------------------------------------------------------------
// Normalisers for endpoints still being written: accept camelCase or snake_case, plain or wrapped.

type Loose = Record<string, unknown>;
const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
const pick = (o: Loose, ...keys: string[]): unknown => {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
};

function itemsOf(body: unknown, ...keys: string[]): Loose[] {
  if (Array.isArray(body)) return body as Loose[];
  if (body && typeof body === 'object') {
    for (const k of ['items', ...keys]) {
      const v = (body as Loose)[k];
      if (Array.isArray(v)) return v as Loose[];
    }
  }
  return [];
}

function toCategory(o: Loose): Category {
  const amount = pick(o, 'replyLimitAmount', 'reply_limit_amount');
  const unit = pick(o, 'replyLimitUnit', 'reply_limit_unit');
  const limit = pick(o, 'replyLimit') as { amount: number; unit: string } | undefined;
  const types = pick(o, 'caseTypes', 'case_types');
  return {
    id: str(pick(o, 'id', 'code')) ?? '',
    parentId: str(pick(o, 'parentId', 'parent_id', 'parent')),
    name: str(o.name) ?? '',
    nameEn: str(pick(o, 'nameEn', 'name_en')),
    level: str(o.level) ?? undefined,
    defaultOrgId: str(pick(o, 'defaultOrgId', 'default_org_id')) ?? str((o.defaultOrg as Loose | null)?.id),
    defaultOrgName:
      str(pick(o, 'defaultOrgName', 'default_org_name')) ?? str((o.defaultOrg as Loose | null)?.name),
    urgency: str(o.urgency) ?? undefined,
    replyLimit: limit ?? (typeof amount === 'number' && typeof unit === 'string' ? { amount, unit } : null),
    caseTypes: Array.isArray(types) ? (types as string[]) : ['appeal', 'event'],
    public: typeof o.public === 'boolean' ? o.public : undefined,
    active: typeof o.active === 'boolean' ? o.active : undefined,
    keywords: Array.isArray(o.keywords) ? (o.keywords as string[]) : undefined,
    version: typeof o.version === 'number' ? o.version : undefined,
  };
}

function toNotification(o: Loose): Notification {
  return {
    id: str(o.id) ?? '',
    kind: str(o.kind) ?? '',
    caseId: str(pick(o, 'caseId', 'case_id')),
    title: str(o.title) ?? '',
    body: str(o.body) ?? '',
    createdAt: str(pick(o, 'createdAt', 'created_at')) ?? '',
    readAt: str(pick(o, 'readAt', 'read_at')),
  };
}

// ---------------------------------------------------------------------------------------------
// Endpoints

/** A fresh idempotency key for one intake form. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `k${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`;
}

export const staffApi = {
  async me(signal?: AbortSignal): Promise<MeResult> {
    const r = await request<MeResult>('GET', '/api/auth/me', { signal });
    setCsrf(r.kind === 'anonymous' ? null : r.csrfToken);
    return r;
  },
  async login(username: string, password: string) {
    const r = await request<{ user: StaffUser; csrfToken: string }>('POST', '/api/auth/login', {
      body: { username, password },
    });
    setCsrf(r.csrfToken);
    return r;
  },
  async logout(): Promise<void> {
    try {
      await request<void>('POST', '/api/auth/logout');
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    setCsrf(null);
  },

  cases: (f: CaseListQuery, signal?: AbortSignal) =>
    request<{ items: CaseListItem[]; hasMore: boolean }>('GET', `/api/cases${qs({ ...f })}`, { signal }),
  case: (id: string, signal?: AbortSignal) => request<CaseDetail>('GET', `/api/cases/${q(id)}`, { signal }),
  timeline: (id: string, signal?: AbortSignal) =>
    request<{ items: TimelineItem[] }>('GET', `/api/cases/${q(id)}/timeline`, { signal }),
  duplicatesOf: (id: string, signal?: AbortSignal) =>
    request<{ items: DuplicateItem[] }>('GET', `/api/cases/${q(id)}/duplicates`, { signal }),
  suggestDuplicates: (
    p: { categoryId: string; text: string; lon?: number | undefined; lat?: number | undefined },
    signal?: AbortSignal,
  ) => request<{ items: DuplicateItem[] }>('GET', `/api/cases/duplicates${qs(p)}`, { signal }),
  act: (id: string, action: string, version: number | undefined, input: Record<string, unknown>) =>
    request<CaseDetail>('POST', `/api/cases/${q(id)}/actions/${q(action)}`, { body: { version, input } }),
  revealContact: (id: string, reason: string) =>
    request<{ name: string | null; phone: string | null }>('POST', `/api/cases/${q(id)}/reveal-contact`, {
      body: { reason },
    }),
  intake: (input: IntakeInput, idempotencyKey: string) =>
    request<CaseDetail>('POST', '/api/cases', {
      body: input,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),

  orgs: (p: { kind?: string; q?: string; limit?: number; offset?: number }, signal?: AbortSignal) =>
    request<{ items: Org[]; total: number }>('GET', `/api/orgs${qs(p)}`, { signal }),
  org: (id: string, signal?: AbortSignal) => request<OrgDetail>('GET', `/api/orgs/${q(id)}`, { signal }),
  patchOrg: (id: string, body: { name?: string; active?: boolean; version: number }) =>
    request<{ org: Org }>('PATCH', `/api/orgs/${q(id)}`, { body }),

  grid: (id: string, signal?: AbortSignal) => request<GridDetail>('GET', `/api/grids/${q(id)}`, { signal }),
  publicGrids: (village: string, signal?: AbortSignal) =>
    request<{ type: 'FeatureCollection'; features: GridFeature[] }>(
      'GET',
      `/api/public/grids?village=${q(village)}`,
      { signal },
    ),
  regions: (signal?: AbortSignal) => request<Regions>('GET', '/api/public/regions', { signal }),

  users: (
    p: { role?: string; orgId?: string; q?: string; limit?: number; offset?: number },
    signal?: AbortSignal,
  ) => request<{ items: UserRow[]; hasMore: boolean }>('GET', `/api/users${qs(p)}`, { signal }),
  createUser: (body: {
    username: string;
    displayName: string;
    role: string;
    orgId: string;
    password: string;
  }) => request<{ user: UserRow }>('POST', '/api/users', { body }),
  patchUser: (
    id: string,
    body: {
      displayName?: string;
      role?: string;
      orgId?: string;
      active?: boolean;
      password?: string;
      unlock?: boolean;
      version: number;
    },
  ) => request<{ user: UserRow }>('PATCH', `/api/users/${q(id)}`, { body }),

  summary: (p: { from?: string; to?: string; orgId?: string; type?: string }, signal?: AbortSignal) =>
    request<Summary>('GET', `/api/assessment/summary${qs(p)}`, { signal }),
  rankings: (
    p: { from?: string; to?: string; by: 'township' | 'department'; type?: string },
    signal?: AbortSignal,
  ) => request<Rankings>('GET', `/api/assessment/rankings${qs(p)}`, { signal }),
  /** Downloads the rankings as a file; resolves with the blob and the server's file name. */
  async exportRankings(p: { from?: string; to?: string; by: string; format: 'csv' | 'xlsx' }) {
    const res = await request<Response>('GET', `/api/assessment/export${qs(p)}`, { raw: true });
    const cd = res.headers.get('content-disposition') ?? '';
    const star = /filename\*=UTF-8''([^;]+)/i.exec(cd)?.[1];
    const plain = /filename="?([^";]+)"?/i.exec(cd)?.[1];
    const name = star ? decodeURIComponent(star) : (plain ?? `rankings.${p.format}`);
    return { blob: await res.blob(), name };
  },
  weights: (signal?: AbortSignal) => request<WeightsResult>('GET', '/api/assessment/weights', { signal }),
  putWeights: (body: Weights) => request<WeightsResult>('PUT', '/api/assessment/weights', { body }),

  async notifications(unread: boolean, signal?: AbortSignal) {
    const body = await request<unknown>('GET', `/api/notifications${qs({ unread: unread || undefined })}`, {
      signal,
    });
    const items = itemsOf(body, 'notifications').map(toNotification);
    const raw = body as Loose | null;
    const unreadCount =
      raw && typeof raw === 'object' && typeof pick(raw, 'unread', 'unreadCount') === 'number'
        ? (pick(raw, 'unread', 'unreadCount') as number)
        : items.filter((n) => !n.readAt).length;
    return { items, unreadCount };
  },
  readNotification: (id: string) => request<unknown>('POST', `/api/notifications/${q(id)}/read`),
  readAllNotifications: () => request<{ updated: number }>('POST', '/api/notifications/read-all'),

  async categories(signal?: AbortSignal): Promise<Category[]> {
    return itemsOf(await request<unknown>('GET', '/api/categories', { signal }), 'categories').map(
      toCategory,
    );
  },
  /** The public tree (`{ groups: [{ code, name, nameEn, children }] }`) flattened into categories. */
  async publicCategories(type: string, signal?: AbortSignal): Promise<Category[]> {
    const body = await request<unknown>('GET', `/api/public/categories?type=${q(type)}`, { signal });
    const groups = (body as { groups?: Loose[] } | null)?.groups;
    if (!Array.isArray(groups)) return itemsOf(body, 'categories').map(toCategory);
    return groups.flatMap((g) => [
      toCategory({ ...g, id: g.code, parentId: null, caseTypes: [type] }),
      ...((g.children as Loose[] | undefined) ?? []).map((c) =>
        toCategory({ ...c, id: c.code, parentId: g.code, caseTypes: [type] }),
      ),
    ]);
  },
  patchCategory: (id: string, body: Record<string, unknown>) =>
    request<unknown>('PATCH', `/api/categories/${q(id)}`, { body }),

  calendar: (year: number, signal?: AbortSignal) =>
    request<CalendarYear>('GET', `/api/calendar?year=${year}`, { signal }),
  putCalendarOverride: (date: string, body: { working: boolean; note?: string }) =>
    request<unknown>('PUT', `/api/calendar/overrides/${q(date)}`, { body }),
  deleteCalendarOverride: (date: string) => request<unknown>('DELETE', `/api/calendar/overrides/${q(date)}`),

  timeLimits: (signal?: AbortSignal) => request<TimeLimits>('GET', '/api/settings/time-limits', { signal }),
  putTimeLimits: (body: { overrides: TimeLimits['overrides']; updatedAt: string | null }) =>
    request<TimeLimits>('PUT', '/api/settings/time-limits', { body }),
};
