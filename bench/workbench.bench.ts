/**
 * Workbench: a handler's queue with filters and a Chinese keyword search, through the real path
 * (`listCases` → `searchCases`, the function the `/api/cases` route calls) for three real staff of
 * the demo county: a township dispatcher, the busiest department's handler and the county
 * dispatcher. Keywords of 2, 3, 4 and 5 characters, a term found nowhere (the worst case: every
 * visible case is read), queue and category filters, first page of 20.
 * Baseline in the same run: the keyword searches as the naive implementation does them — one
 * sequential scan of the cases table with the same visibility rule and LIKE, newest first.
 *
 * `npm run bench -- workbench [--cases=1000000] [--engine=postgres|pglite] [--rounds=10]`
 */
import { sql } from 'kysely';
import type { StaffActor } from '../server/authz/actor.ts';
import type { AppContext } from '../server/context.ts';
import type { CaseFilter } from '../server/modules/cases/cases.repository.ts';
import { listCases } from '../server/modules/cases/cases.service.ts';
import { visibleByDefinition } from '../test/visibility.ts';
import { type Benchmark, percentile } from './lib/bench.ts';
import { machineNote } from './lib/context.ts';
import { dataset, staffActor } from './lib/datasets.ts';

interface Query {
  label: string;
  actor: StaffActor;
  filter: CaseFilter;
}

const page = { limit: 20, offset: 0 } as const;

/** A village name (3+ characters) and a category that occur in the actor's cases. */
async function samples(ctx: AppContext, actor: StaffActor) {
  const db = ctx.database.db;
  const r = await sql<{ village: string | null; category_id: string | null }>`
    select v.name as village, c.category_id from cases c left join org_units v on v.id = c.village_id
    where c.county_code = ${actor.countyCode} and (c.path like ${`${actor.scopePath}%`} or c.lead_org_id = ${actor.orgId})
    order by c.received_at desc limit 1`.execute(db);
  return { village: r.rows[0]?.village ?? '村', categoryId: r.rows[0]?.category_id ?? undefined };
}

async function queriesFor(ctx: AppContext, who: string, actor: StaffActor): Promise<Query[]> {
  const { village, categoryId } = await samples(ctx, actor);
  const q = (label: string, f: Partial<CaseFilter>): Query => ({
    label: `${who} ${label}`,
    actor,
    filter: { queue: 'all', ...page, ...f },
  });
  const work =
    actor.role === 'county_dispatcher'
      ? 'to_dispatch'
      : actor.role === 'department_handler'
        ? 'in_progress'
        : 'to_audit';
  return [
    q('all, first page', {}),
    q('all, "积水" (2 chars)', { q: '积水' }),
    q(`all, "${village}" (village)`, { q: village }),
    q('all, "违章建筑" (4 chars)', { q: '违章建筑' }),
    q('all, "开发商逾期" (5 chars)', { q: '开发商逾期' }),
    q('all, a term found nowhere', { q: '无此关键词' }),
    q('all, category + "路灯"', { q: '路灯', ...(categoryId ? { categoryId: categoryId.slice(0, 2) } : {}) }),
    q(`${work} queue`, { queue: work }),
    q('overdue queue', { queue: 'overdue' }),
    q('appeals in progress, "噪音"', { type: 'appeal', state: 'in_progress', q: '噪音' }),
  ];
}

const bench: Benchmark = {
  name: 'workbench',
  description:
    'handler queues with filters and Chinese keyword search (searchCases) vs the same queries as sequential scans',
  async run(o) {
    const ds = await dataset(o, 1_000_000);
    const { ctx } = ds;
    const db = ctx.database.db;
    const busiestDept = await sql<{ id: string }>`
      select c.lead_org_id as id from cases c join org_units o on o.id = c.lead_org_id and o.kind = 'department'
      join users u on u.org_id = o.id and u.role = 'department_handler'
      group by 1 order by count(*) desc limit 1`.execute(db);
    const actors: [string, StaffActor][] = [
      ['township', await staffActor(ctx, { username: 'township_dispatcher' })],
      [
        'department',
        busiestDept.rows[0]
          ? await staffActor(ctx, { orgId: busiestDept.rows[0].id, role: 'department_handler' })
          : await staffActor(ctx, { username: 'department_handler' }),
      ],
      ['county', await staffActor(ctx, { username: 'county_dispatcher' })],
    ];
    const queries: Query[] = [];
    for (const [who, actor] of actors) queries.push(...(await queriesFor(ctx, who, actor)));

    // Warm-up: one pass.
    for (const x of queries) await listCases(ctx, x.actor, x.filter);
    const rounds = Number(o.args.rounds ?? (o.smoke ? 3 : 10));
    const all: number[] = [];
    const per = new Map<string, number[]>();
    const hits = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      for (const x of queries) {
        const t0 = performance.now();
        const res = await listCases(ctx, x.actor, x.filter);
        const ms = performance.now() - t0;
        all.push(ms);
        per.set(x.label, [...(per.get(x.label) ?? []), ms]);
        hits.set(x.label, res.items.length);
      }
    }

    // Baseline: the keyword searches as the naive implementation does them — one sequential scan
    // of the cases table (the visibility rule written out plainly, LIKE on the text, newest first),
    // no index at all.
    const baseRounds = Number(o.args['baseline-rounds'] ?? (o.smoke ? 1 : 2));
    const base: number[] = [];
    const searches = queries.filter((x) => x.filter.q);
    for (let r = 0; r < baseRounds; r++) {
      for (const x of searches) {
        const t0 = performance.now();
        await ctx.database.transaction(async (trx) => {
          await sql`set local enable_indexscan = off`.execute(trx);
          await sql`set local enable_bitmapscan = off`.execute(trx);
          await sql`set local enable_indexonlyscan = off`.execute(trx);
          await sql`select c.id, c.code, c.title, c.state, c.received_at from cases c
            where ${visibleByDefinition(x.actor, 'c')} and c.search_text like ${`%${x.filter.q}%`}
            order by c.received_at desc, c.id limit ${page.limit + 1}`.execute(trx);
        });
        base.push(performance.now() - t0);
      }
    }
    const searchMs = searches.flatMap((x) => per.get(x.label) ?? []);
    const worst = [...per.entries()]
      .map(([label, xs]) => ({ label, p95: percentile(xs, 95) }))
      .sort((a, b) => b.p95 - a.p95);
    return {
      figures: [
        { name: 'queue + search p50', value: percentile(all, 50), unit: 'ms', better: 'lower' },
        { name: 'queue + search p95', value: percentile(all, 95), unit: 'ms', better: 'lower', target: 100 },
        { name: 'queue + search p99', value: percentile(all, 99), unit: 'ms', better: 'lower' },
        { name: 'sequential-scan baseline p50', value: percentile(base, 50), unit: 'ms' },
        { name: 'sequential-scan baseline p95', value: percentile(base, 95), unit: 'ms' },
      ],
      ratios: [
        {
          name: 'sequential scan ÷ searchCases (p95)',
          value: percentile(base, 95) / percentile(searchMs, 95),
          meaning: 'keyword searches as one sequential scan ÷ the same searches through searchCases',
          better: 'higher',
        },
      ],
      notes: [
        `${ds.engine} ${ds.where}: ${ds.report.cases} cases${ds.report.reused ? ' (reused)' : ''}`,
        `actors: ${actors.map(([w, a]) => `${w} ${a.username} (${a.role}, ${a.orgId})`).join('; ')}`,
        `${queries.length} queries × ${rounds} rounds; slowest p95: ${worst
          .slice(0, 4)
          .map((w) => `${w.label} ${w.p95.toFixed(1)} ms (${hits.get(w.label)} rows)`)
          .join('; ')}`,
        machineNote(),
      ],
    };
  },
};

export default bench;
