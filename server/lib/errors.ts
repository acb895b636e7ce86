/**
 * One error type for the whole server. Codes are stable for programs; messages are for people,
 * Chinese first, English when the client asks for it.
 */
const catalog = {
  VALIDATION_FAILED: { status: 400, zh: '提交的内容有误，请检查后重试', en: 'The request is not valid' },
  BAD_REQUEST: { status: 400, zh: '请求格式不正确', en: 'Malformed request' },
  AUTH_REQUIRED: { status: 401, zh: '请先登录', en: 'Please sign in first' },
  AUTH_INVALID: { status: 401, zh: '用户名或密码错误', en: 'Wrong username or password' },
  AUTH_LOCKED: {
    status: 423,
    zh: '登录失败次数过多，账号已暂时锁定，请稍后再试',
    en: 'Too many failed sign-ins; the account is locked for a while',
  },
  OTP_INVALID: { status: 401, zh: '验证码错误或已过期', en: 'The code is wrong or has expired' },
  OTP_TOO_SOON: {
    status: 429,
    zh: '验证码发送过于频繁，请稍后再试',
    en: 'Please wait before asking for another code',
  },
  CSRF_INVALID: {
    status: 403,
    zh: '页面已过期，请刷新后重试',
    en: 'The page has expired; reload and try again',
  },
  DEVICE_AUTH_REQUIRED: {
    status: 401,
    zh: '缺少设备认证信息（X-Device-Id、X-Timestamp、X-Signature）',
    en: 'Device credentials missing (X-Device-Id, X-Timestamp, X-Signature)',
  },
  DEVICE_AUTH_FAILED: { status: 401, zh: '设备认证失败', en: 'Device authentication failed' },
  DEVICE_CLOCK_SKEW: {
    status: 401,
    zh: '设备时间与服务器相差超过 5 分钟，请校准时钟',
    en: 'The device time is more than 5 minutes off; synchronise its clock',
  },
  FORBIDDEN: { status: 403, zh: '您没有权限执行此操作', en: 'You are not allowed to do this' },
  NOT_FOUND: { status: 404, zh: '找不到该记录', en: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, zh: '接口不存在', en: 'No such endpoint' },
  CONFLICT: {
    status: 409,
    zh: '记录已被他人修改，请刷新后重试',
    en: 'Someone changed this first; reload and retry',
  },
  INVALID_TRANSITION: {
    status: 409,
    zh: '当前状态下不能执行此操作',
    en: 'This action is not allowed in the current state',
  },
  GUARD_FAILED: { status: 409, zh: '不满足办理条件', en: 'A rule for this action is not met' },
  DEVICE_REPLAY: {
    status: 409,
    zh: '该消息已收到过（nonce 重复），不再处理',
    en: 'This message was received before (nonce reused); ignored',
  },
  DUPLICATE: { status: 409, zh: '记录已存在', en: 'Already exists' },
  PAYLOAD_TOO_LARGE: { status: 413, zh: '提交的内容太大', en: 'The request is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, zh: '不支持的内容类型', en: 'Unsupported content type' },
  UPLOAD_INVALID: {
    status: 422,
    zh: '上传的文件不是可用的图片',
    en: 'The uploaded file is not a usable image',
  },
  RATE_LIMITED: { status: 429, zh: '操作过于频繁，请稍后再试', en: 'Too many requests; please slow down' },
  DB_UNAVAILABLE: {
    status: 503,
    zh: '数据库暂时无法连接，您的操作未完成，请稍后重试',
    en: 'The database is unreachable for the moment; nothing was done, please retry shortly',
  },
  NOT_READY: {
    status: 503,
    zh: '服务正在启动或维护中，请稍后再试',
    en: 'The service is not ready; try again shortly',
  },
  INTERNAL: { status: 500, zh: '服务器内部错误，请稍后再试', en: 'Internal error; please try again later' },
} as const satisfies Record<string, { status: number; zh: string; en: string }>;

export type ErrorCode = keyof typeof catalog;

/** A field-level problem, shown next to the field that caused it. */
export interface FieldError {
  field: string;
  message: string;
}

/** The only error the server throws on purpose. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: FieldError[] | undefined;
  /** Overrides the catalogue message (Chinese) when the situation needs a more precise one. */
  readonly customMessage: string | undefined;

  constructor(code: ErrorCode, opts: { message?: string; details?: FieldError[]; cause?: unknown } = {}) {
    super(opts.message ?? catalog[code].zh, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = catalog[code].status;
    this.details = opts.details;
    this.customMessage = opts.message;
  }

  /** The message in the reader's language (`zh` unless English was asked for). */
  messageFor(lang: 'zh' | 'en'): string {
    if (this.customMessage) return this.customMessage;
    return catalog[this.code][lang];
  }
}

/** HTTP status of a code, for the error handler and OpenAPI. */
export function statusOf(code: ErrorCode): number {
  return catalog[code].status;
}

/** Shorthand for "not found" — also what an out-of-jurisdiction record looks like. */
export function notFound(): AppError {
  return new AppError('NOT_FOUND');
}
