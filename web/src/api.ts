/**
 * Typed client for the Gongzhi HTTP API (same origin, session in an HTTP-only cookie).
 *
 * Every failure surfaces as an {@link ApiError}: server errors keep the server's code, message and
 * field details; network failures and timeouts get a code of their own and a message for people.
 */
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
}

/** True when the error only means the caller gave up (navigated away); such errors are not shown. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** Sends one request and returns the parsed JSON body (undefined for 204). */
export async function request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
  const lang = getLang();
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': lang };
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
};
