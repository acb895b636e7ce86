import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { type Kysely, sql } from 'kysely';
import { systemActor } from '../../authz/actor.ts';
import type { DB } from '../../db/schema.ts';
import { FieldCipher, type KeyFile, readKeyFile, writeKeyFile } from '../../lib/crypto.ts';
import { audit } from '../audit/audit.ts';

/**
 * Every column the field cipher writes, with the table's key. `keys.test.ts` checks this list
 * against the migrated schema (every `*_enc` column), so a new encrypted column cannot be missed.
 */
export const ENCRYPTED_COLUMNS = [
  { table: 'citizens', key: 'id', columns: ['phone_enc', 'name_enc', 'id_number_enc'] },
  { table: 'cases', key: 'id', columns: ['contact_name_enc', 'contact_phone_enc'] },
  { table: 'webhook_subscriptions', key: 'id', columns: ['secret_enc'] },
  { table: 'iot_devices', key: 'id', columns: ['secret_enc', 'previous_secret_enc'] },
  { table: 'open311_requests', key: 'case_id', columns: ['email_enc'] },
] as const;

const BATCH = 500;

/** How many stored values each key id encrypts, over every encrypted column. */
export async function keyUsage(db: Kysely<DB>): Promise<Map<string, number>> {
  const usage = new Map<string, number>();
  for (const t of ENCRYPTED_COLUMNS) {
    for (const c of t.columns) {
      const { rows } = await sql<{ key_id: string; n: string | number }>`
        select split_part(${sql.ref(c)}, ':', 1) as key_id, count(*) as n
        from ${sql.table(t.table)} where ${sql.ref(c)} is not null group by 1`.execute(db);
      for (const r of rows) usage.set(r.key_id, (usage.get(r.key_id) ?? 0) + Number(r.n));
    }
  }
  return usage;
}

/**
 * Re-encrypts, in batches, every value not under the cipher's current key. Each row is updated
 * only if its values are still the ones read (a concurrent edit wins; the next pass takes it), so
 * it is safe beside running servers, and running it again resumes where it stopped.
 */
export async function reencryptAll(
  db: Kysely<DB>,
  cipher: FieldCipher,
  onBatch: (table: string, rows: number) => void = () => {},
): Promise<number> {
  const current = cipher.currentKeyId;
  let total = 0;
  for (const t of ENCRYPTED_COLUMNS) {
    const stale = sql.join(
      t.columns.map(
        (c) => sql`(${sql.ref(c)} is not null and split_part(${sql.ref(c)}, ':', 1) <> ${current})`,
      ),
      sql` or `,
    );
    for (;;) {
      const { rows } = await sql<Record<string, string | null>>`
        select ${sql.ref(t.key)} as pk, ${sql.join(t.columns.map((c) => sql.ref(c)))}
        from ${sql.table(t.table)} where ${stale} order by ${sql.ref(t.key)} limit ${BATCH}`.execute(db);
      if (rows.length === 0) break;
      let changed = 0;
      await db.transaction().execute(async (trx) => {
        for (const row of rows) {
          const sets = t.columns.map((c) => {
            const v = row[c] ?? null;
            const next =
              v !== null && FieldCipher.keyIdOf(v) !== current ? cipher.encrypt(cipher.decrypt(v)) : v;
            return sql`${sql.ref(c)} = ${next}`;
          });
          // Only while unchanged since read: the values read are part of the condition.
          const same = sql.join(
            t.columns.map((c) =>
              row[c] === null ? sql`${sql.ref(c)} is null` : sql`${sql.ref(c)} = ${row[c]}`,
            ),
            sql` and `,
          );
          const extra = t.table === 'citizens' ? sql`, key_id = ${current}` : sql``;
          const r = await sql`update ${sql.table(t.table)} set ${sql.join(sets)}${extra}
            where ${sql.ref(t.key)} = ${row.pk} and ${same}`.execute(trx);
          changed += Number(r.numAffectedRows ?? 0);
        }
      });
      total += changed;
      onBatch(t.table, changed);
    }
  }
  return total;
}

/**
 * `gongzhi keys rotate`: adds a new key and makes it current (unless an unfinished rotation
 * already did), re-encrypts every value, and records the rotation in the audit log. Old keys stay
 * in the file until `retireKey` finds nothing left under them.
 */
export async function rotateKeys(
  db: Kysely<DB>,
  file: string,
  countyCode: string,
  onBatch?: (table: string, rows: number) => void,
): Promise<{ newKeyId: string; resumed: boolean; reencrypted: number; retirable: string[] }> {
  let data = readKeyFile(file);
  const resumed = !!data.rotating;
  if (!data.rotating) {
    const ids = new Set(data.keys.map((k) => k.id));
    let n = data.keys.length + 1;
    while (ids.has(`k${n}`)) n++;
    const id = `k${n}`;
    data = {
      ...data,
      keys: [
        ...data.keys,
        { id, key: randomBytes(32).toString('base64'), createdAt: new Date().toISOString() },
      ],
      current: id,
      rotating: { from: [...ids], to: id, startedAt: new Date().toISOString() },
    };
    // The new key is on disk before any value is written with it.
    writeKeyFile(file, data);
  }
  const cipher = cipherOf(data);
  const reencrypted = await reencryptAll(db, cipher, onBatch);
  const usage = await keyUsage(db);
  const retirable = data.keys.map((k) => k.id).filter((id) => id !== data.current && !usage.get(id));
  const { rotating: _done, ...finished } = data;
  writeKeyFile(file, finished);
  await audit(db, systemActor(countyCode), {
    action: 'keys.rotated',
    detail: { current: data.current, reencrypted, resumed, retirable },
  });
  return { newKeyId: data.current, resumed, reencrypted, retirable };
}

/** `gongzhi keys retire <id>`: removes an old key from the file once no stored value uses it. */
export async function retireKey(
  db: Kysely<DB>,
  file: string,
  countyCode: string,
  id: string,
): Promise<{ ok: true } | { ok: false; reason: 'current' | 'in_use' | 'unknown'; count?: number }> {
  const data = readKeyFile(file);
  if (!data.keys.some((k) => k.id === id)) return { ok: false, reason: 'unknown' };
  if (data.current === id || data.rotating) return { ok: false, reason: 'current' };
  const count = (await keyUsage(db)).get(id) ?? 0;
  if (count > 0) return { ok: false, reason: 'in_use', count };
  writeKeyFile(file, { ...data, keys: data.keys.filter((k) => k.id !== id) });
  await audit(db, systemActor(countyCode), { action: 'keys.retired', detail: { keyId: id } });
  return { ok: true };
}

function cipherOf(data: KeyFile): FieldCipher {
  return new FieldCipher(
    data.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
    data.current,
    Buffer.from(data.hmac, 'base64'),
  );
}

/** True when keys come from the key file (rotation possible), false when derived from GONGZHI_SECRET. */
export function keyFileExists(file: string): boolean {
  return fs.existsSync(file);
}
