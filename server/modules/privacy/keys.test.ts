import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createCitizen,
  createStaff,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';
import { systemActor } from '../../authz/actor.ts';
import { receiveCase } from '../../engine/intake.ts';
import { FieldCipher, keyFilePath, loadFieldCipher, readKeyFile, writeKeyFile } from '../../lib/crypto.ts';
import { ENCRYPTED_COLUMNS, keyUsage, retireKey, rotateKeys } from './keys.ts';

let env: TestEnv;
let dir: string;
let file: string;
let dispatcher: StaffSession;
let village: string;

beforeAll(async () => {
  env = await createTestEnv();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-keys-'));
  file = keyFilePath(dir);
  // The key file holds the test cipher's k1 and blind-index key, so the rows the factories wrote
  // under k1 read back through the file's cipher.
  writeKeyFile(file, {
    current: 'k1',
    keys: [{ id: 'k1', key: Buffer.alloc(32, 1).toString('base64') }],
    hmac: Buffer.alloc(32, 3).toString('base64'),
  });
  env.ctx.cipher = loadFieldCipher({ secret: undefined, dataDir: dir });
  village = await createVillage(env.ctx);
  dispatcher = await createStaff(env, 'county_dispatcher');
});
afterAll(async () => {
  await env?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('gongzhi keys rotate', () => {
  it('lists every encrypted column of the schema', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and column_name like '%\\_enc' escape '\\'
      order by 1, 2`.execute(env.ctx.database.db);
    const listed = ENCRYPTED_COLUMNS.flatMap((t) => t.columns.map((c) => `${t.table}.${c}`)).sort();
    expect(rows.map((r) => `${r.table_name}.${r.column_name}`).sort()).toEqual(listed);
  });

  it('re-encrypts everything under a new key; data reads back, no value keeps the old key; resumable; old key retired', async () => {
    const { id: citizenId, phone } = await createCitizen(env.ctx);
    await env.ctx.database.db
      .updateTable('citizens')
      .set({
        name_enc: env.ctx.cipher.encrypt('张三'),
        id_number_enc: env.ctx.cipher.encrypt('360121199001011234'),
      })
      .where('id', '=', citizenId)
      .execute();
    const cases = [];
    for (let i = 0; i < 3; i++) {
      const { case: c } = await receiveCase(env.ctx, systemActor(COUNTY), {
        type: 'appeal',
        channel: 'phone',
        categoryId: 'SR01',
        description: `路灯不亮第${i}次来电，请尽快处理`,
        villageId: village,
        contactName: `李四${i}`,
        contactPhone: `1370000000${i}`,
      });
      cases.push(c);
    }
    const before = await keyUsage(env.ctx.database.db);
    expect(before.get('k1')).toBeGreaterThanOrEqual(3 + 6);

    // An interrupted rotation: the new key is current in the file, nothing re-encrypted yet.
    const r = await rotateKeys(env.ctx.database.db, file, COUNTY);
    expect(r).toMatchObject({ newKeyId: 'k2', resumed: false, retirable: ['k1'] });
    expect(r.reencrypted).toBeGreaterThanOrEqual(4);
    const after = await keyUsage(env.ctx.database.db);
    expect([...after.keys()]).toEqual(['k2']);
    const c = await env.ctx.database.db
      .selectFrom('citizens')
      .select('key_id')
      .where('id', '=', citizenId)
      .executeTakeFirstOrThrow();
    expect(c.key_id).toBe('k2');
    expect(readKeyFile(file).rotating).toBeUndefined();

    // The running app (its cipher re-reads the file) reads the data written under the old key.
    const reveal = await as(env, dispatcher).post(`/api/citizens/${citizenId}/reveal`, {
      reason: '核实身份',
    });
    expect(reveal.statusCode, reveal.body).toBe(200);
    expect(reveal.json()).toEqual({ phone, name: '张三', idNumber: '360121199001011234' });
    const contact = await as(env, dispatcher).post(`/api/cases/${cases[1]!.id}/reveal-contact`, {
      reason: '回访核实',
    });
    expect(contact.json()).toEqual({ name: '李四1', phone: '13700000001' });
    // New writes use the new key at once.
    expect(FieldCipher.keyIdOf(env.ctx.cipher.encrypt('x'))).toBe('k2');
    // Phone lookups (blind index) are unchanged.
    expect(env.ctx.cipher.blindIndex(phone)).toBe(
      (
        await env.ctx.database.db
          .selectFrom('citizens')
          .select('phone_hash')
          .where('id', '=', citizenId)
          .executeTakeFirstOrThrow()
      ).phone_hash,
    );

    // Resume: a rotation marker left by a stopped run adds no key and finishes the job.
    const k1 = new FieldCipher([{ id: 'k1', key: Buffer.alloc(32, 1) }], 'k1', Buffer.alloc(32, 3));
    const straggler = await createCitizen({ ...env.ctx, cipher: k1 });
    writeKeyFile(file, {
      ...readKeyFile(file),
      rotating: { from: ['k1'], to: 'k2', startedAt: new Date().toISOString() },
    });
    const again = await rotateKeys(env.ctx.database.db, file, COUNTY);
    expect(again).toMatchObject({ newKeyId: 'k2', resumed: true, reencrypted: 1 });
    expect(readKeyFile(file).keys.map((k) => k.id)).toEqual(['k1', 'k2']);
    const s = await env.ctx.database.db
      .selectFrom('citizens')
      .select('phone_enc')
      .where('id', '=', straggler.id)
      .executeTakeFirstOrThrow();
    expect(env.ctx.cipher.decrypt(s.phone_enc)).toBe(straggler.phone);
    // Retire: refused for the current key, allowed for k1 now nothing uses it.
    expect(await retireKey(env.ctx.database.db, file, COUNTY, 'k2')).toMatchObject({
      ok: false,
      reason: 'current',
    });
    expect(await retireKey(env.ctx.database.db, file, COUNTY, 'k9')).toMatchObject({
      ok: false,
      reason: 'unknown',
    });
    expect(await retireKey(env.ctx.database.db, file, COUNTY, 'k1')).toEqual({ ok: true });
    expect(readKeyFile(file).keys.map((k) => k.id)).toEqual(['k2']);
    const audits = await env.ctx.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'in', ['keys.rotated', 'keys.retired'])
      .execute();
    expect(audits.map((a) => a.action).sort()).toEqual(['keys.retired', 'keys.rotated', 'keys.rotated']);
  });

  it('refuses to retire a key that values still use (a writer that had not reloaded the file)', async () => {
    const r = await rotateKeys(env.ctx.database.db, file, COUNTY);
    expect(r.newKeyId).toBe('k3');
    const staleCipher = new FieldCipher(
      readKeyFile(file).keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })),
      'k2',
      Buffer.alloc(32, 3),
    );
    await createCitizen({ ...env.ctx, cipher: staleCipher });
    expect(await retireKey(env.ctx.database.db, file, COUNTY, 'k2')).toEqual({
      ok: false,
      reason: 'in_use',
      count: 1,
    });
    expect(readKeyFile(file).keys.map((k) => k.id)).toEqual(['k2', 'k3']);
  });
});
