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

/** Password policy: at least 10 characters with letters and digits; Chinese message on failure. */
export function checkPasswordPolicy(password: string): string | null {
  if (password.length < 10) return '密码至少需要 10 个字符';
  if (password.length > 128) return '密码不能超过 128 个字符';
  if (!/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) return '密码需同时包含字母和数字';
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
 * stored as `keyId:iv:tag:ciphertext` so that keys can rotate without losing old data.
 */
export class FieldCipher {
  private readonly keys: Map<string, Buffer>;
  readonly currentKeyId: string;
  private readonly hmacKey: Buffer;

  constructor(keys: { id: string; key: Buffer }[], currentKeyId: string, hmacKey: Buffer) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (!this.keys.has(currentKeyId)) throw new Error(`unknown current key ${currentKeyId}`);
    this.currentKeyId = currentKeyId;
    this.hmacKey = hmacKey;
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      this.currentKeyId,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join(':');
  }

  decrypt(stored: string): string {
    const [keyId, iv, tag, data] = stored.split(':');
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

interface KeyFile {
  current: string;
  keys: { id: string; key: string }[];
  hmac: string;
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
  const file = path.join(opts.dataDir, 'secrets.json');
  let data: KeyFile;
  if (fs.existsSync(file)) {
    data = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  } else {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    data = {
      current: 'k1',
      keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      hmac: randomBytes(32).toString('base64'),
    };
    fs.writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600, flag: 'wx' });
  }
  return new FieldCipher(
    data.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
    data.current,
    Buffer.from(data.hmac, 'base64'),
  );
}

/** Masks a mainland mobile number as 138****1234 (what every view shows unless revealed). */
export function maskPhone(phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}
