import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import {
  as,
  createCentre,
  createStaff,
  createTownship,
  createVillage,
  type StaffSession,
} from '../../../test/factories.ts';

let env: TestEnv;
let base: string;
let townshipA: string;
let villageA: string;
let villageB: string;
let county: StaffSession;
let dispatcherA: StaffSession;
let dispatcherB: StaffSession;
let handler: StaffSession;

/** An open event stream that collects the `case` events it receives. */
async function open(s: StaffSession) {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/live`, {
    headers: { cookie: s.cookie, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const events: Record<string, unknown>[] = [];
  let text = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
        let cut = text.indexOf('\n\n');
        while (cut >= 0) {
          const block = text.slice(0, cut);
          text = text.slice(cut + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: case') && data) events.push(JSON.parse(data.slice(6)));
          cut = text.indexOf('\n\n');
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    res,
    events,
    /** Waits until `n` events arrived (or fails after a while). */
    async until(n: number) {
      for (let i = 0; i < 200 && events.length < n; i++) await new Promise((r) => setTimeout(r, 25));
      return events;
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

async function intake(s: StaffSession, villageId: string, extra: object = {}) {
  return as(env, s).post('/api/cases', {
    type: 'appeal',
    channel: 'phone',
    categoryId: 'JF01',
    description: '直播测试：东头老王家漏水淹到楼下',
    villageId,
    contactPhone: '13900001111',
    ...extra,
  });
}

beforeAll(async () => {
  env = await createTestEnv();
  await env.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
  townshipA = await createTownship(env.ctx);
  villageA = await createVillage(env.ctx, { townshipId: townshipA });
  villageB = await createVillage(env.ctx);
  county = await createStaff(env, 'county_dispatcher');
  dispatcherA = await createStaff(env, 'township_dispatcher', {
    orgId: await createCentre(env.ctx, townshipA),
  });
  const townshipB = (await env.ctx.database.db
    .selectFrom('org_units')
    .select('parent_id')
    .where('id', '=', villageB)
    .executeTakeFirstOrThrow())!.parent_id!;
  dispatcherB = await createStaff(env, 'township_dispatcher', {
    orgId: await createCentre(env.ctx, townshipB),
  });
  handler = await createStaff(env, 'village_handler', { orgId: villageA });
});
afterAll(() => env?.close());

describe('GET /api/live', () => {
  it('needs a session (401) and the dashboard permission (403)', async () => {
    expect((await fetch(`${base}/api/live`)).status).toBe(401);
    const res = await fetch(`${base}/api/live`, { headers: { cookie: handler.cookie } });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('FORBIDDEN');
  });

  it('streams each new case, once committed, to the dashboards whose jurisdiction holds it', async () => {
    const all = await open(county);
    const a = await open(dispatcherA);
    const b = await open(dispatcherB);
    expect(all.res.headers.get('content-type')).toContain('text/event-stream');

    const created = await intake(dispatcherA, villageA);
    expect(created.statusCode, created.body).toBe(201);
    const code = created.json().case.code;

    const [seen] = await all.until(1);
    expect(seen).toMatchObject({ kind: 'received', code, type: 'appeal', channel: 'phone' });
    expect(seen!.category).toEqual(expect.any(String));
    expect(seen!.village).toEqual(expect.any(String));
    // Nothing the citizen wrote, and no contact.
    const raw = JSON.stringify(seen);
    expect(raw).not.toContain('老王家漏水');
    expect(raw).not.toContain('13900001111');
    expect((await a.until(1)).map((e) => e.code)).toEqual([code]);
    // Another township's dashboard hears nothing of it.
    await new Promise((r) => setTimeout(r, 200));
    expect(b.events).toEqual([]);

    // A refused intake (its transaction rolls back) announces nothing.
    const refused = await intake(dispatcherA, villageA, {
      attachments: ['00000000-0000-4000-8000-000000000000'],
    });
    expect(refused.statusCode).toBe(400);
    await new Promise((r) => setTimeout(r, 200));
    expect(all.events).toHaveLength(1);

    await Promise.all([all.close(), a.close(), b.close()]);
  });

  it('announces the closing of a case', async () => {
    const feed = await open(county);
    const created = await intake(dispatcherA, villageA);
    const id = created.json().case.id;
    for (const [action, input] of [
      ['answer_directly', { answer: '已电话答复。' }],
      ['revisit', { resolved: true, satisfaction: 'satisfied' }],
      ['close', {}],
    ] as const) {
      const res = await as(env, dispatcherA).post(`/api/cases/${id}/actions/${action}`, { input });
      expect(res.statusCode, res.body).toBe(200);
    }
    const events = await feed.until(2);
    expect(events.map((e) => e.kind)).toEqual(['received', 'closed']);
    await feed.close();
  });
});
