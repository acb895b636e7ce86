import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  randomInt,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { COMMON_PASSWORDS } from './common-passwords.ts';

// scrypt parameters: N=2^15, r=8 → 32 MiB per hash, ~60 ms here; memory-hard against GPU guessing.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_LEN = 32;

function scryptAsync(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, { ...params, maxmem: SCRYPT.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash to compare against when the user does not exist, so timing does not reveal usernames. */
export const DUMMY_PASSWORD_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Password policy, on every new or reset password: 10–128 characters with letters and digits, not
 * containing the account's username, not on the common-passwords list. A Chinese message on failure.
 */
export function checkPasswordPolicy(password: string, username?: string): string | null {
  if (password.length < 10) return '密码至少需要 10 个字符';
  if (password.length > 128) return '密码不能超过 128 个字符';
  if (!/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) return '密码需同时包含字母和数字';
  const lower = password.toLowerCase();
  const name = username?.trim().toLowerCase();
  if (name && name.length >= 3 && lower.includes(name)) return '密码不能包含用户名';
  if (COMMON_PASSWORDS.has(lower)) return '密码过于常见，容易被猜中，请换一个';
  return null;
}

/** Random URL-safe token (sessions, CSRF). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of a token, for storing session ids so that a database leak does not leak sessions. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** A six-digit one-time code. */
export function randomOtp(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * Field encryption for personal data (PIPL): AES-256-GCM with a per-value random IV. Values are
 * stored as `keyId:iv:tag:ciphertext` so that keys can rotate without losing old data
 * (`gongzhi keys rotate`, server/modules/privacy/keys.ts).
 */
export class FieldCipher {
  private keys: Map<string, Buffer>;
  private current: string;
  private readonly hmacKey: Buffer;
  /** Re-reads the key file when it changed (another process rotated); absent for derived keys. */
  private readonly refresh: (() => KeySet | null) | undefined;
  private lastRefresh = 0;

  constructor(
    keys: { id: string; key: Buffer }[],
    currentKeyId: string,
    hmacKey: Buffer,
    refresh?: () => KeySet | null,
  ) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (!this.keys.has(currentKeyId)) throw new Error(`unknown current key ${currentKeyId}`);
    this.current = currentKeyId;
    this.hmacKey = hmacKey;
    this.refresh = refresh;
  }

  /** The key new values are encrypted with. */
  get currentKeyId(): string {
    this.maybeRefresh(false);
    return this.current;
  }

  /** The ids of every key this cipher can decrypt with. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** The key id a stored value was encrypted with. */
  static keyIdOf(stored: string): string {
    return stored.slice(0, stored.indexOf(':'));
  }

  // A running server learns a rotated key file within REFRESH_MS for new writes, and at once when
  // it meets a value under a key it does not know yet.
  private maybeRefresh(force: boolean): void {
    if (!this.refresh) return;
    const now = Date.now();
    if (!force && now - this.lastRefresh < REFRESH_MS) return;
    this.lastRefresh = now;
    const next = this.refresh();
    if (!next) return;
    this.keys = new Map(next.keys.map((k) => [k.id, k.key]));
    this.current = next.current;
  }

  encrypt(plain: string): string {
    const keyId = this.currentKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      keyId,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join(':');
  }

  decrypt(stored: string): string {
    const [keyId, iv, tag, data] = stored.split(':');
    if (keyId && !this.keys.has(keyId)) this.maybeRefresh(true);
    const key = keyId ? this.keys.get(keyId) : undefined;
    if (!key || !iv || !tag || data === undefined)
      throw new Error('cannot decrypt: unknown key or bad format');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** Keyed hash for equality lookup (find a citizen by phone) without storing the phone in clear. */
  blindIndex(value: string): string {
    return createHmac('sha256', this.hmacKey).update(value).digest('base64url');
  }
}

const REFRESH_MS = 10_000;

/** Keys as the cipher holds them. */
export interface KeySet {
  current: string;
  keys: { id: string; key: Buffer }[];
}

/** The key file `secrets.json` in the data folder (mode 0600). */
export interface KeyFile {
  current: string;
  keys: { id: string; key: string; createdAt?: string }[];
  /** Blind-index key: not rotated (the phone lookups depend on it). */
  hmac: string;
  /** Set while `gongzhi keys rotate` has not finished re-encrypting; cleared when it has. */
  rotating?: { from: string[]; to: string; startedAt: string };
}

/** Where the key file lives. */
export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

/** Reads the key file. */
export function readKeyFile(file: string): KeyFile {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
}

/** Writes the key file atomically (temporary file, fsync, rename), owner-only. */
export function writeKeyFile(file: string, data: KeyFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(data, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function keySetOf(data: KeyFile): KeySet {
  return {
    current: data.current,
    keys: data.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
  };
}

/**
 * Loads field keys. With `GONGZHI_SECRET` the keys derive from it (same secret → same keys on every
 * app process); otherwise a key file is generated in the data folder with mode 0600 on first start.
 */
export function loadFieldCipher(opts: { secret: string | undefined; dataDir: string }): FieldCipher {
  if (opts.secret) {
    const derive = (label: string) => createHash('sha256').update(`gongzhi:${label}:${opts.secret}`).digest();
    return new FieldCipher([{ id: 's1', key: derive('field-key') }], 's1', derive('blind-index'));
  }
  const file = keyFilePath(opts.dataDir);
  let data: KeyFile;
  if (fs.existsSync(file)) {
    data = readKeyFile(file);
  } else {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    data = {
      current: 'k1',
      keys: [{ id: 'k1', key: randomBytes(32).toString('base64'), createdAt: new Date().toISOString() }],
      hmac: randomBytes(32).toString('base64'),
    };
    fs.writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600, flag: 'wx' });
  }
  let mtime = fs.statSync(file).mtimeMs;
  const refresh = (): KeySet | null => {
    try {
      const m = fs.statSync(file).mtimeMs;
      if (m === mtime) return null;
      mtime = m;
      return keySetOf(readKeyFile(file));
    } catch {
      return null;
    }
  };
  const set = keySetOf(data);
  return new FieldCipher(set.keys, set.current, Buffer.from(data.hmac, 'base64'), refresh);
}

/** Masks a mainland mobile number as 138****1234 (what every view shows unless revealed). */
export function maskPhone(phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}
