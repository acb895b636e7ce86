/**
 * Retries and floods: an Idempotency-Key makes retries (even ten at once) one case; keys of
 * different clients never meet; each API key has its own rate limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../../test/context.ts';
import { as, createStaff } from '../../../test/factories.ts';
import { open311 } from './fixtures/georeport-client.ts';
import { WRITE_LIMIT } from './open311.routes.ts';

let env: TestEnv;
let keyA: string;
let keyB: string;
let keyC: string;

const cases = (idempotencyKey: string) =>
  env.ctx.database.db
    .selectFrom('cases')
    .select(['id', 'code'])
    .where('idempotency_key', '=', idempotencyKey)
    .execute();

beforeAll(async () => {
  env = await createTestEnv();
  const admin = await createStaff(env, 'admin');
  const issue = async (name: string) => {
    const res = await as(env, admin).post('/api/integrations/api-keys', { name, system: name });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { key: string; apiKey: { id: string } };
  };
  keyA = (await issue('甲系统')).key;
  keyB = (await issue('乙系统')).key;
  keyC = (await issue('丙系统')).key;
});
afterAll(() => env.close());

const form = (key: string) => ({
  api_key: key,
  service_code: 'SC01',
  address_string: '莲塘镇向阳路',
  description: '垃圾桶满了没人清运',
});

describe('Idempotency-Key', () => {
  it('makes ten concurrent retries of one request one case, each answered with the same token', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        open311(env).post('requests.json', form(keyA), { 'idempotency-key': 'retry-1' }),
      ),
    );
    for (const a of answers) expect(a.statusCode, a.body).toBe(200);
    const tokens = new Set(answers.map((a) => (a.json() as [{ token: string }])[0].token));
    expect(tokens.size).toBe(1);
    const ids = await env.ctx.database.db
      .selectFrom('open311_requests as o')
      .innerJoin('cases as c', 'c.id', 'o.case_id')
      .select(['c.id', 'c.idempotency_key'])
      .where('o.token', '=', [...tokens][0]!)
      .execute();
    expect(ids).toHaveLength(1);
    expect(await cases(ids[0]!.idempotency_key!)).toHaveLength(1);
    // A later retry is answered from the first result too.
    const later = await open311(env).post('requests.xml', form(keyA), { 'idempotency-key': 'retry-1' });
    expect(later.body).toContain([...tokens][0]!);
    const audit = await env.ctx.database.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'open311.request')
      .execute();
    const outcomes = audit
      .map((r) => r.detail as { endpoint: string; outcome: string })
      .filter((d) => d.endpoint === 'POST /open311/v2/requests.:format')
      .map((d) => d.outcome);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'replayed')).toHaveLength(10);
  });

  it('keeps the keys of different clients apart, and makes a new case without a key', async () => {
    const a = await open311(env).post('requests.json', form(keyA), { 'idempotency-key': 'shared-key' });
    const b = await open311(env).post('requests.json', form(keyB), { 'idempotency-key': 'shared-key' });
    expect(a.json()[0].token).not.toBe(b.json()[0].token);
    const c1 = await open311(env).post('requests.json', form(keyA));
    const c2 = await open311(env).post('requests.json', form(keyA));
    expect(c1.json()[0].token).not.toBe(c2.json()[0].token);
  });

  it('refuses a malformed key with 400', async () => {
    const res = await open311(env).post('requests.xml', form(keyA), { 'idempotency-key': 'has space' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<code>400</code>');
  });
});

describe('rate limit per API key', () => {
  it(`answers 429 after ${WRITE_LIMIT} writes a minute for one key, in the spec’s error format`, async () => {
    const bad = { api_key: keyC, description: 'no service code' };
    for (let i = 0; i < WRITE_LIMIT; i++) {
      const res = await open311(env).post('requests.json', bad);
      if (res.statusCode === 429) throw new Error(`limited after ${i} requests`);
    }
    const limited = await open311(env).post('requests.xml', form(keyC));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.body).toContain('<code>429</code>');
    // Another key has its own budget, and reads have theirs.
    expect((await open311(env).post('requests.json', form(keyB))).statusCode).toBe(200);
    expect((await open311(env).get(`services.json?api_key=${keyC}`)).statusCode).toBe(200);
  });
});
