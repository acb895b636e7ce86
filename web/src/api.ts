/**
 * Typed client for the Gongzhi HTTP API (same origin, session in an HTTP-only cookie).
 *
 * Every failure surfaces as an {@link ApiError}: server errors keep the server's code, message and
 * field details; network failures and timeouts get a code of their own and a message for people.
 */
import { bootCategoriesId } from '../../common/portal-pages.ts';
import { getLang, translate } from './i18n.ts';

/** Role codes; the list mirrors DESIGN.md §2 and should move to common/ once the server exports it. */
export const ROLES = [
  'citizen',
  'operator',
  'grid_worker',
  'cadre',
  'village_handler',
  'township_dispatcher',
  'department_handler',
  'county_dispatcher',
  'supervisor',
  'special_supervisor',
  'mediator',
  'expert',
  'lawyer',
  'revisit_agent',
  'leader',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/** Ids are compared as strings: the server may send numbers or strings. */
export type Id = string | number;

export interface StaffUser {
  id: Id;
  username: string;
  displayName: string;
  role: Role | (string & {});
  org: { id: Id; name: string; kind: string; scopeRootId: Id };
}

export interface Citizen {
  id: Id;
  phoneMasked: string;
}

export type TownshipSubtype = 'street' | 'town' | 'township';
export type VillageSubtype = 'village' | 'community';

export interface Village {
  code: string;
  name: string;
  subtype: VillageSubtype;
  gridCount: number;
}

export interface Township {
  code: string;
  name: string;
  subtype: TownshipSubtype;
  villages: Village[];
}

export interface Regions {
  county: { code: string; name: string };
  townships: Township[];
}

export type Position = readonly number[];
export type Geometry =
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

export interface GridFeature {
  type: 'Feature';
  id?: string | number;
  properties: { code: string; name: string; villageCode: string };
  geometry: Geometry | null;
}

export interface GridCollection {
  type: 'FeatureCollection';
  features: GridFeature[];
}

export interface LoginResult {
  user: StaffUser;
  csrfToken: string;
}

export type MeResult =
  | { kind: 'staff'; user: StaffUser; csrfToken: string }
  | { kind: 'citizen'; citizen: Citizen; csrfToken: string }
  | { kind: 'anonymous' };

export interface OtpRequestResult {
  sent: boolean;
  retryAfterSeconds: number;
  /** Proposed: 'log' when the server prints the code instead of sending an SMS (development). */
  delivery?: 'log' | 'sms';
}

export interface OtpVerifyResult {
  citizen: Citizen;
  csrfToken: string;
}

export interface OrgSummary {
  id: Id;
  name: string;
  kind: string;
  subtype?: string | null;
  /** Proposed: the division or grid code, needed to ask for a village's grids. */
  code?: string | null;
}

export interface OrgDetail {
  org: OrgSummary & { parentId: Id | null; path: string | string[] };
  children: OrgSummary[];
  abilities: { update: boolean };
}

export interface StaffGrid {
  id: Id;
  name: string;
  villageId: Id;
  workerNames: string[];
}

/** A node of the category tree (`GET /api/public/categories`): two levels, groups and their categories. */
export interface CategoryNode {
  code: string;
  name: string;
  nameEn?: string | null;
  children?: CategoryNode[];
}

export type CaseKind = 'appeal' | 'event';

/** One row of the staff category list (`GET /api/categories`): flat, with parents by id. */
export interface StaffCategory {
  id: string;
  parentId: string | null;
  name: string;
  nameEn?: string | null;
  caseTypes: string[];
  active: boolean;
}

/**
 * The two-level tree of the active categories of a case type, from the staff list: groups with
 * their children of that type; a group without children is offered itself when it is of that type.
 */
export function categoryTree(rows: StaffCategory[], type: CaseKind): CategoryNode[] {
  const active = rows.filter((r) => r.active);
  return active
    .filter((g) => g.parentId === null)
    .map((g) => ({
      code: g.id,
      name: g.name,
      nameEn: g.nameEn ?? null,
      children: active
        .filter((c) => c.parentId === g.id && c.caseTypes.includes(type))
        .map((c) => ({ code: c.id, name: c.name, nameEn: c.nameEn ?? null })),
      self: g.caseTypes.includes(type),
    }))
    .filter((g) => g.children.length > 0 || g.self)
    .map(({ self: _self, ...g }) => g);
}

/** What a citizen sends to `POST /api/my/cases` (the one entry, 诉求一个口子进). */
export interface AppealInput {
  type: 'appeal';
  channel: 'web' | 'kiosk';
  categoryId: string;
  description: string;
  title?: string;
  lon?: number;
  lat?: number;
  address?: string;
  villageId?: string;
  contactName?: string;
  contactPhone?: string;
  anonymous?: boolean;
  confidential?: boolean;
  /** Ids of photos uploaded first with `api.upload` (at most 9). */
  attachments?: string[];
  idempotencyKey?: string;
}

/** What a grid worker sends to `POST /api/cases`. */
export interface EventInput {
  type: 'event';
  channel: 'grid';
  categoryId: string;
  description: string;
  lon?: number;
  lat?: number;
  villageId?: string;
  attachments?: string[];
  idempotencyKey?: string;
}

export interface CaseLocation {
  lon: number | null;
  lat: number | null;
  address: string | null;
  gridId: string | null;
  villageId: string | null;
  villageName: string | null;
  townshipId: string | null;
  townshipName: string | null;
}

/** A case as the reader may see it (`CaseDetail` on the server); only the fields the UI reads. */
export interface CaseView {
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
  location: CaseLocation;
  lead: { id: string; name: string } | null;
  contact: { anonymous: boolean; confidential: boolean; phoneMasked: string | null; hasName: boolean };
  resolved: boolean | null;
  satisfaction: Satisfaction | null;
  attachments: CasePhoto[];
  receivedAt: string;
  dispatchedAt: string | null;
  repliedAt: string | null;
  closedAt: string | null;
  mergedInto: string | null;
}

export interface CaseDetailResult {
  case: CaseView;
  abilities: { actions: string[]; revealContact: boolean };
  /** True when an idempotency key matched an earlier intake (the first case is returned). */
  replayed?: boolean;
}

export type Satisfaction = 'satisfied' | 'basically_satisfied' | 'unsatisfied';

export interface MyCaseItem {
  id: string;
  code: string;
  state: string;
  stateLabel: string;
  title: string;
  receivedAt: string;
  repliedAt: string | null;
  closedAt: string | null;
  satisfaction: Satisfaction | null;
}

export interface TimelineItem {
  seq: number;
  at: string;
  action: string;
  label: string;
  fromState?: string | null;
  toState?: string;
  actor: { kind: string; name: string };
  details: Record<string, unknown>;
}

export interface MyCaseResult {
  detail: CaseDetailResult;
  timeline: { items: TimelineItem[] };
}

export interface RatingInput {
  resolved: boolean;
  satisfaction: Satisfaction;
  comment?: string;
  version?: number;
}

export type CaseQueue = 'reported_by_me' | 'to_sign' | 'in_progress' | 'all';

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
  villageId: string | null;
  villageName: string | null;
  receivedAt: string;
  nextDueAt: string | null;
  version: number;
}

export interface GridDetail {
  grid: { id: string; name: string; villageId: string; geometry: Geometry; areaM2: number; version: number };
  workers: { id: string; displayName: string; role: string }[];
  abilities: { update: boolean };
}

/** An in-app message (`GET /api/notifications`, being added); every field but the title may be absent. */
export interface AppNotification {
  id: Id;
  kind?: string;
  caseId?: string | null;
  title: string;
  body?: string;
  createdAt?: string;
  readAt?: string | null;
}

export interface UploadResult {
  id: string;
  width: number;
  height: number;
  size: number;
  replayed: boolean;
}

/** A photo on a case, fetched from /api/attachments/{id} (`?size=thumb` for the small one). */
export interface CasePhoto {
  id: string;
  width: number;
  height: number;
  size: number;
  source?: string;
  createdAt?: string;
}

/** One anonymised row of the public board: no text, names or ids. */
export interface BoardItem {
  category: string;
  categoryEn: string;
  township: string;
  village: string;
  receivedOn: string;
  closedOn: string;
  days: number;
  resolved: boolean | null;
  satisfaction: Satisfaction | null;
}

export interface BoardPage {
  year: number;
  summary: {
    closed: number;
    resolvedRate: number | null;
    satisfactionRate: number | null;
    averageDays: number | null;
  };
  items: BoardItem[];
  next: string | null;
}

export interface FieldError {
  field: string;
  message: string;
}

/** An API call that failed; `status` is 0 when no HTTP answer arrived. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: FieldError[];
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, details: FieldError[] = [], requestId?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  /** Field messages keyed by the plain field name (`phone`, not `/body/phone`); first message wins. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) {
      const key = normaliseField(d.field);
      if (key && !(key in out)) out[key] = d.message;
    }
    return out;
  }
}

/** Accepts `phone`, `/phone`, `body.phone`, `/body/phone` (AJV instance paths) and returns `phone`. */
export function normaliseField(field: string): string {
  return field
    .replace(/^\/+/, '')
    .replace(/^body[./]/, '')
    .replace(/\//g, '.');
}

/** Abort a request that has not answered within this time: weak rural networks stall rather than fail. */
const TIMEOUT_MS = 20_000;

let csrfToken: string | null = null;

/** Keeps the CSRF token from login / verify / me in memory (never in storage). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Extra headers (e.g. `Idempotency-Key`). */
  headers?: Record<string, string> | undefined;
}

/** True when the error only means the caller gave up (navigated away); such errors are not shown. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** Sends one request and returns the parsed JSON body (undefined for 204). */
export async function request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
  const lang = getLang();
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': lang,
    ...opts.headers,
  };
  const raw = typeof Blob !== 'undefined' && opts.body instanceof Blob ? opts.body : null;
  if (raw) headers['Content-Type'] = raw.type || 'application/octet-stream';
  else if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
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
      body: raw ?? (opts.body === undefined ? null : JSON.stringify(opts.body)),
      signal: controller.signal,
    });
  } catch {
    if (timedOut) throw new ApiError(0, 'TIMEOUT', translate(lang, 'error.timeout'));
    if (opts.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    throw new ApiError(0, 'NETWORK_ERROR', translate(lang, 'error.network'), [], undefined);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }

  if (res.status === 204) return undefined as T;
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) {
    if (json === undefined) throw new ApiError(res.status, 'BAD_RESPONSE', translate(lang, 'error.server'));
    return json as T;
  }
  throw toApiError(res.status, json, lang);
}

function toApiError(status: number, json: unknown, lang: ReturnType<typeof getLang>): ApiError {
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
    const message = typeof e.message === 'string' && e.message ? e.message : translate(lang, 'error.server');
    return new ApiError(status, e.code, message, details, requestId);
  }
  // A proxy or gateway answered (HTML 502 page, etc.): no server code to show.
  const key = status === 404 ? 'error.notFound' : status === 429 ? 'error.rateLimited' : 'error.server';
  return new ApiError(status, `HTTP_${status}`, translate(lang, key), [], requestId);
}

const q = encodeURIComponent;

/** The endpoints the web UI uses, one function each. */
export const api = {
  health: (signal?: AbortSignal) => request<{ status: string }>('GET', '/api/health', { signal }),

  regions: (signal?: AbortSignal) => request<Regions>('GET', '/api/public/regions', { signal }),

  publicGrids: (village: string, signal?: AbortSignal) =>
    request<GridCollection>('GET', `/api/public/grids?village=${q(village)}`, { signal }),

  async login(username: string, password: string): Promise<LoginResult> {
    const r = await request<LoginResult>('POST', '/api/auth/login', { body: { username, password } });
    setCsrfToken(r.csrfToken);
    return r;
  },

  async me(signal?: AbortSignal): Promise<MeResult> {
    const r = await request<MeResult>('GET', '/api/auth/me', { signal });
    setCsrfToken(r.kind === 'anonymous' ? null : r.csrfToken);
    return r;
  },

  async logout(): Promise<void> {
    try {
      await request<void>('POST', '/api/auth/logout');
    } catch (err) {
      // Already signed out on the server (expired session): the goal is reached.
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    setCsrfToken(null);
  },

  otpRequest: (phone: string) =>
    request<OtpRequestResult>('POST', '/api/auth/otp/request', { body: { phone } }),

  async otpVerify(phone: string, code: string): Promise<OtpVerifyResult> {
    const r = await request<OtpVerifyResult>('POST', '/api/auth/otp/verify', { body: { phone, code } });
    setCsrfToken(r.csrfToken);
    return r;
  },

  org: (id: Id, signal?: AbortSignal) => request<OrgDetail>('GET', `/api/orgs/${q(String(id))}`, { signal }),

  grids: (village: string, signal?: AbortSignal) =>
    request<{ items: StaffGrid[] }>('GET', `/api/grids?village=${q(village)}`, { signal }),

  grid: (id: string, signal?: AbortSignal) => request<GridDetail>('GET', `/api/grids/${q(id)}`, { signal }),

  /**
   * The category tree offered to the public for a case type. The server answers `{ groups }`
   * (`{ items }` is accepted too); a server without the endpoint answers 404.
   */
  async publicCategories(type: CaseKind, signal?: AbortSignal): Promise<{ items: CategoryNode[] }> {
    const r = await request<{ items?: CategoryNode[]; groups?: CategoryNode[] }>(
      'GET',
      `/api/public/categories?type=${q(type)}`,
      { signal },
    );
    return { items: r.items ?? r.groups ?? [] };
  },

  /** Every active category of a case type, public or not (staff: grid workers report non-public event types). */
  async staffCategories(type: CaseKind, signal?: AbortSignal): Promise<{ items: CategoryNode[] }> {
    const r = await request<{ items: StaffCategory[] }>('GET', '/api/categories', { signal });
    return { items: categoryTree(r.items ?? [], type) };
  },

  /** Submits a citizen's appeal; the same idempotency key always answers with the same case. */
  submitAppeal: (body: AppealInput, signal?: AbortSignal) =>
    request<CaseDetailResult>('POST', '/api/my/cases', {
      body,
      signal,
      headers: body.idempotencyKey ? { 'Idempotency-Key': body.idempotencyKey } : undefined,
    }),

  /** Uploads one photo (raw bytes); the server strips its metadata and answers its id. */
  upload: (photo: Blob) => request<UploadResult>('POST', '/api/uploads', { body: photo }),

  board: (f: { township?: string; village?: string; before?: string }, signal?: AbortSignal) => {
    const search = new URLSearchParams();
    if (f.village) search.set('village', f.village);
    else if (f.township) search.set('township', f.township);
    if (f.before) search.set('before', f.before);
    return request<BoardPage>('GET', `/api/public/board?${search}`, { signal });
  },

  myCases: (signal?: AbortSignal) => request<{ items: MyCaseItem[] }>('GET', '/api/my/cases', { signal }),

  myCase: (id: string, signal?: AbortSignal) =>
    request<MyCaseResult>('GET', `/api/my/cases/${q(id)}`, { signal }),

  rateMyCase: (id: string, body: RatingInput) =>
    request<CaseDetailResult>('POST', `/api/my/cases/${q(id)}/rate`, { body }),

  /** A grid worker's event report; the same idempotency key always answers with the same case. */
  reportEvent: (body: EventInput, signal?: AbortSignal) =>
    request<CaseDetailResult>('POST', '/api/cases', {
      body,
      signal,
      headers: body.idempotencyKey ? { 'Idempotency-Key': body.idempotencyKey } : undefined,
    }),

  cases: (params: { queue: CaseQueue; type?: CaseKind; limit?: number }, signal?: AbortSignal) => {
    const search = new URLSearchParams({ queue: params.queue });
    if (params.type) search.set('type', params.type);
    if (params.limit) search.set('limit', String(params.limit));
    return request<{ items: CaseListItem[]; hasMore: boolean }>('GET', `/api/cases?${search}`, { signal });
  },

  case: (id: string, signal?: AbortSignal) =>
    request<CaseDetailResult>('GET', `/api/cases/${q(id)}`, { signal }),

  caseAction: (id: string, action: string, input: Record<string, unknown>, version?: number) =>
    request<CaseDetailResult>('POST', `/api/cases/${q(id)}/actions/${q(action)}`, {
      body: version ? { input, version } : { input },
    }),

  /** Starts a patrol (the same `clientId` always answers the same patrol). */
  patrolStart: (body: { clientId: string; startedAt: string; gridId?: string }) =>
    request<{ patrol: { id: string }; replayed: boolean }>('POST', '/api/patrols', { body }),

  /** Adds track points ([lon, lat, epoch ms]) to my patrol, optionally ending it. */
  patrolPoints: (id: string, body: { points: [number, number, number][]; end?: boolean; endedAt?: string }) =>
    request<{ patrol: { id: string; pointCount: number } }>('POST', `/api/patrols/${q(id)}/points`, { body }),

  /** My in-app messages (being added on the server: may 404). */
  notifications: (signal?: AbortSignal) =>
    request<{ items: AppNotification[] }>('GET', '/api/notifications', { signal }),
};

/**
 * Public answers asked for before the page that shows them has loaded: on a weak network each
 * request waits a round trip, so the appeal form's category list travels alongside the form's own
 * code instead of after it (see main.tsx). Only public data, keyed like the caches that use it.
 */
const early = new Map<string, Promise<unknown>>();

/** Starts `load` now unless it is already under way; a failure is left to the page's own request. */
export function fetchEarly<T>(key: string, load: () => Promise<T>): void {
  if (!early.has(key))
    early.set(
      key,
      load().catch(() => undefined),
    );
}

/** The answer started by {@link fetchEarly} for `key` (once), or undefined when there is none or it failed. */
export async function takeEarly<T>(key: string): Promise<T | undefined> {
  const pending = early.get(key);
  if (!pending) return undefined;
  early.delete(key);
  return (await pending) as T | undefined;
}

/**
 * JSON data the server put in the page for its first screen (server/http/portal-html.ts), read once:
 * the element is removed, so a later visit of the page asks the server for fresh data.
 */
export function takeBootData<T>(id: string): T | undefined {
  const el = typeof document === 'undefined' ? null : document.getElementById(id);
  if (!el) return undefined;
  el.remove();
  try {
    return JSON.parse(el.textContent ?? '') as T;
  } catch {
    return undefined;
  }
}

/**
 * The key and the request of a public category tree, shared by the picker and the early start. The
 * tree the server put in the page is used when it is there (no request at all on a weak network).
 */
export function publicCategoriesEarly(type: CaseKind): [string, () => Promise<{ items: CategoryNode[] }>] {
  return [
    `categories:public:${type}`,
    async () => {
      const boot = takeBootData<{ items?: CategoryNode[]; groups?: CategoryNode[] }>(bootCategoriesId(type));
      if (boot) return { items: boot.items ?? boot.groups ?? [] };
      return api.publicCategories(type);
    },
  ];
}
