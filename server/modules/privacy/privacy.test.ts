import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  COUNTY,
  createCitizen,
  createStaff,
  createVillage,
  type StaffSession,
  signInCitizen,
} from '../../../test/factories.ts';
import { type Actor, systemActor } from '../../authz/actor.ts';
import { receiveCase } from '../../engine/intake.ts';
import { FixedClock } from '../../lib/clock.ts';
import { ANONYMISED_TEXT, applyRetention } from './retention.ts';

const NOW = new Date('2026-11-30T02:00:00Z');
const DAY = 86_400_000;

let env: TestEnv;
let clock: FixedClock;
let village: string;
let admin: StaffSession;
let dispatcher: StaffSession;

beforeAll(async () => {
  clock = new FixedClock(NOW);
  env = await createTestEnv({ clock, config: { retentionDays: 1095 } });
  village = await createVillage(env.ctx);
  admin = await createStaff(env, 'admin');
  dispatcher = await createStaff(env, 'county_dispatcher');
});
afterAll(() => env?.close());

const db = () => env.ctx.database.db;

/** An appeal by this citizen, closed `daysAgo` days before NOW, with a note event and a photo row. */
async function closedAppeal(citizenId: string, phone: string, daysAgo: number) {
  const actor: Actor = { kind: 'citizen', citizenId, countyCode: COUNTY };
  const { case: c } = await receiveCase(env.ctx, actor, {
    type: 'appeal',
    channel: 'web',
    categoryId: 'SR01',
    description: `王五家门口的路灯坏了，电话${phone}`,
    address: '幸福村 3 组 12 号',
    lon: 115.9,
    lat: 28.5,
    villageId: village,
    contactName: '王五',
    contactPhone: phone,
  });
  const closedAt = new Date(NOW.getTime() - daysAgo * DAY);
  await db()
    .updateTable('cases')
    .set({ state: 'closed', closed_at: closedAt, resolved: true, satisfaction: 'satisfied' })
    .where('id', '=', c.id)
    .execute();
  await db()
    .insertInto('case_events')
    .values({
      case_id: c.id,
      county_code: COUNTY,
      seq: 50,
      action: 'rate',
      from_state: 'revisited',
      to_state: 'closed',
      actor_kind: 'citizen',
      actor_id: citizenId,
      actor_org_id: null,
      at: closedAt,
      payload: JSON.stringify({ resolved: true, satisfaction: 'satisfied', comment: '王五很满意' }),
    })
    .execute();
  await db()
    .insertInto('attachments')
    .values({
      county_code: COUNTY,
      case_id: c.id,
      uploader_kind: 'citizen',
      uploader_id: citizenId,
      content_type: 'image/jpeg',
      width: 1,
      height: 1,
      size: 3,
      sha256: `${c.id}`,
      data: Buffer.from([1, 2, 3]),
      thumb: Buffer.from([1]),
    })
    .execute();
  return c.id;
}

describe('retention', () => {
  it('anonymises closed cases past RETENTION_DAYS, keeps statistics, removes stale citizen accounts; audited; idempotent', async () => {
    const old = await createCitizen(env.ctx);
    const recent = await createCitizen(env.ctx);
    await db()
      .updateTable('citizens')
      .set({
        created_at: new Date(NOW.getTime() - 1200 * DAY),
        last_login_at: new Date(NOW.getTime() - 1150 * DAY),
      })
      .where('id', 'in', [old.id, recent.id])
      .execute();
    const oldCase = await closedAppeal(old.id, old.phone, 1096);
    const recentCase = await closedAppeal(recent.id, recent.phone, 1094);
    const before = await db()
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', oldCase)
      .executeTakeFirstOrThrow();

    const r = await applyRetention(env.ctx);
    expect(r).toMatchObject({ cases: 1, photos: 1, citizens: 1 });

    const after = await db()
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', oldCase)
      .executeTakeFirstOrThrow();
    expect(after).toMatchObject({
      description: ANONYMISED_TEXT,
      address: null,
      lon: null,
      lat: null,
      contact_name_enc: null,
      contact_phone_enc: null,
      contact_phone_masked: null,
      citizen_id: null,
      attachments: [],
    });
    expect(after.title).not.toContain('王五');
    expect(after.search_text).not.toContain('王五');
    expect(after.anonymised_at).toEqual(NOW);
    // What the statistics need is untouched.
    for (const k of [
      'code',
      'type',
      'state',
      'channel',
      'category_id',
      'urgency',
      'village_id',
      'township_id',
      'path',
      'resolved',
      'satisfaction',
      'received_at',
      'closed_at',
    ] as const) {
      expect(after[k], k).toEqual(before[k]);
    }
    const events = await db()
      .selectFrom('case_events')
      .select(['action', 'payload'])
      .where('case_id', '=', oldCase)
      .execute();
    expect(JSON.stringify(events)).not.toContain('王五');
    expect(events.find((e) => e.action === 'rate')?.payload).toEqual({
      resolved: true,
      satisfaction: 'satisfied',
    });
    expect(
      await db().selectFrom('attachments').select('id').where('case_id', '=', oldCase).execute(),
    ).toHaveLength(0);
    // The old citizen had nothing left and had not signed in within the period: gone.
    expect(await db().selectFrom('citizens').select('id').where('id', '=', old.id).execute()).toHaveLength(0);

    // One day inside the period: untouched, and its citizen stays (a case still links them).
    const kept = await db()
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', recentCase)
      .executeTakeFirstOrThrow();
    expect(kept.anonymised_at).toBeNull();
    expect(kept.contact_phone_enc).not.toBeNull();
    expect(env.ctx.cipher.decrypt(kept.contact_phone_enc!)).toBe(recent.phone);
    expect(await db().selectFrom('citizens').select('id').where('id', '=', recent.id).execute()).toHaveLength(
      1,
    );

    const audits = await db()
      .selectFrom('audit_log')
      .select(['target_type', 'detail'])
      .where('action', '=', 'privacy.retention')
      .execute();
    expect(audits.map((a) => a.target_type).sort()).toEqual(['case', 'citizen']);
    expect(JSON.stringify(audits)).toContain(oldCase);

    // Again: nothing more. Two days later the other case's period has passed too.
    expect(await applyRetention(env.ctx)).toMatchObject({ cases: 0, photos: 0, citizens: 0 });
    clock.advance(2 * DAY);
    expect(await applyRetention(env.ctx)).toMatchObject({ cases: 1, citizens: 1 });
  });

  it('does nothing with RETENTION_DAYS=0', async () => {
    const c = await createCitizen(env.ctx);
    const id = await closedAppeal(c.id, c.phone, 5000);
    const r = await applyRetention({ ...env.ctx, config: { ...env.ctx.config, retentionDays: 0 } });
    expect(r.cases).toBe(0);
    expect(
      (await db().selectFrom('cases').select('anonymised_at').where('id', '=', id).executeTakeFirstOrThrow())
        .anonymised_at,
    ).toBeNull();
  });
});

describe('GET /api/citizens/:id/export', () => {
  // The retention tests moved the clock past these sessions' lifetime: sign in afresh.
  beforeAll(async () => {
    admin = await createStaff(env, 'admin');
    dispatcher = await createStaff(env, 'county_dispatcher');
  });

  it('401 without a session, 403 for a role without citizen.export, 404 for an unknown citizen', async () => {
    const { id } = await createCitizen(env.ctx);
    expect((await as(env, null).get(`/api/citizens/${id}/export`)).statusCode).toBe(401);
    const forbidden = await as(env, dispatcher).get(`/api/citizens/${id}/export`);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe('FORBIDDEN');
    expect(
      (await as(env, admin).get('/api/citizens/00000000-0000-4000-8000-000000000000/export')).statusCode,
    ).toBe(404);
  });

  it('holds everything about the citizen and nothing about anyone else; the export is audited', async () => {
    const a = await createCitizen(env.ctx);
    const b = await createCitizen(env.ctx);
    await db()
      .updateTable('citizens')
      .set({ name_enc: env.ctx.cipher.encrypt('赵六') })
      .where('id', '=', a.id)
      .execute();
    const sa = await signInCitizen(env, a.phone);
    const sb = await signInCitizen(env, b.phone);
    const submit = (s: typeof sa, text: string) =>
      as(env, s).post('/api/my/cases', {
        type: 'appeal',
        channel: 'web',
        categoryId: 'SR01',
        description: text,
        villageId: village,
      });
    const ca = await submit(sa, '甲的诉求：桥上的栏杆松了');
    const cb = await submit(sb, '乙的诉求：垃圾没人收');
    expect(ca.statusCode, ca.body).toBe(201);
    expect(cb.statusCode, cb.body).toBe(201);
    const oldCase = await closedAppeal(a.id, a.phone, 10);

    const res = await as(env, admin).get(`/api/citizens/${a.id}/export`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toContain('attachment');
    const x = res.json();
    expect(x.account).toMatchObject({ id: a.id, phone: a.phone, name: '赵六' });
    expect(x.cases.map((c: { id: string }) => c.id).sort()).toEqual([ca.json().case.id, oldCase].sort());
    expect(x.cases.find((c: { id: string }) => c.id === oldCase)).toMatchObject({
      contactName: '王五',
      contactPhone: a.phone,
      satisfaction: 'satisfied',
    });
    expect(
      x.eventsWritten.some(
        (e: { caseId: string; action: string }) => e.caseId === oldCase && e.action === 'rate',
      ),
    ).toBe(true);
    expect(x.eventsWritten.some((e: { caseId: string }) => e.caseId === ca.json().case.id)).toBe(true);
    expect(x.uploads.map((u: { caseId: string }) => u.caseId)).toContain(oldCase);
    expect(x.sessions.length).toBeGreaterThanOrEqual(1);
    expect(
      x.activity.some(
        (e: { action: string; byThem: boolean }) => e.action === 'auth.otp_verified' && e.byThem,
      ),
    ).toBe(true);
    // Nothing of citizen B anywhere in it.
    const text = res.body;
    for (const secret of [b.id, b.phone, cb.json().case.id, '乙的诉求']) expect(text).not.toContain(secret);

    const audit = await db()
      .selectFrom('audit_log')
      .select(['actor_id', 'target_id'])
      .where('action', '=', 'privacy.exported')
      .execute();
    expect(audit).toContainEqual({ actor_id: admin.userId, target_id: a.id });
  });
});

describe('the audit log', () => {
  it('no route updates or deletes it: the application has no SQL that does', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) {
          const src = fs.readFileSync(p, 'utf8');
          if (
            /(updateTable|deleteFrom)\(\s*'audit_log/.test(src) ||
            /(update|delete\s+from|truncate)\s+audit_log/i.test(src)
          )
            offenders.push(p);
        }
      }
    };
    walk(path.resolve('server'));
    expect(offenders).toEqual([]);
  });

  it('the database refuses update, delete and truncate (on this engine)', async () => {
    await env.ctx.database.db
      .insertInto('audit_log')
      .values({
        county_code: COUNTY,
        actor_kind: 'system',
        action: 'demo.seeded',
        detail: JSON.stringify({}),
      })
      .execute();
    await expect(
      env.ctx.database.db.updateTable('audit_log').set({ action: 'x' }).execute(),
    ).rejects.toThrow();
    await expect(env.ctx.database.db.deleteFrom('audit_log').execute()).rejects.toThrow();
    const { sql } = await import('kysely');
    await expect(sql`truncate audit_log`.execute(env.ctx.database.db)).rejects.toThrow();
    expect(systemActor(COUNTY).kind).toBe('system');
  });
});
