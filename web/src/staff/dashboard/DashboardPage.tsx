/**
 * The command centre (指挥中心) for wall screens (1920×1080, `?wall=1`) and laptops: totals, the four
 * headline rates against their targets, township and department rankings, a 30-day trend, and a map
 * of open cases — a township list for the county, and the grids of one township's villages once a
 * township is chosen (per-village grid shapes would be hundreds of calls for the whole county).
 * Requests stay few: one summary, two rankings and ten 3-day summaries for the trend.
 */
import {
  BulbOutlined,
  DownloadOutlined,
  FullscreenExitOutlined,
  FullscreenOutlined,
  ReloadOutlined,
} from '@ant-design/icons';
import { Button, ConfigProvider, Dropdown, Progress, Segmented, Space, Spin, Tooltip, theme } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { readPref, writePref } from '../../prefs.ts';
import { navigate } from '../../router.tsx';
import {
  type ApiError,
  asApiError,
  type Figures,
  type GridFeature,
  type Rankings,
  type StaffUser,
  type Summary,
  staffApi,
} from '../api.ts';
import { useRegions } from '../data.ts';
import { GridSvg, type Shape } from '../GridSvg.tsx';
import { useStaffLang, useT } from '../i18n.ts';
import { LangSwitch } from '../Layout.tsx';
import { chinaDay, ErrorAlert, pct, saveBlob, useNow } from '../ui.tsx';
import { type ChartOption, EChart } from './EChart.tsx';
import { type LiveCase, useLiveFeed } from './live.ts';

/** Targets the county set itself (closure as in the article's 97.04 % year). */
const TARGETS = { closure: 0.95, response: 0.9, resolution: 0.85, satisfaction: 0.9 } as const;
type RateKey = keyof typeof TARGETS;

const DARK_KEY = 'gongzhi.staff.dashboardDark';
const TREND_BUCKETS = 10;
const TREND_DAYS = 3;

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Open = received and not yet closed, voided or merged (within the period's figures). */
function openOf(f: Figures): number {
  const c = f.counts;
  return Math.max(0, (c.received ?? 0) - (c.closed ?? 0) - (c.voided ?? 0) - (c.merged ?? 0));
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k]!);
      }
    }),
  );
  return out;
}

interface Data {
  summary: Summary;
  townships: Rankings | null;
  departments: Rankings | null;
  trend: { label: string; received: number; closed: number; satisfaction: number | null }[] | null;
  errors: ApiError[];
}

export default function DashboardPage({ user, wall }: { user: StaffUser; wall: boolean }) {
  const t = useT();
  const lang = useStaffLang();
  const [dark, setDark] = useState(() => (readPref(DARK_KEY) ?? '1') === '1');
  const [period, setPeriod] = useState<'30d' | 'year'>('30d');
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [stamp, setStamp] = useState(0);
  const now = useNow(30_000);
  const today = chinaDay(new Date(now));
  const live = useLiveFeed();
  const from = period === '30d' ? addDays(today, -29) : `${today.slice(0, 4)}-01-01`;

  const toggleDark = () => {
    setDark((d) => {
      writePref(DARK_KEY, d ? '0' : '1');
      return !d;
    });
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: `stamp` is the refresh button; `today` only matters through `from`.
  useEffect(() => {
    const ctrl = new AbortController();
    setError(null);
    setData(null);
    const s = ctrl.signal;
    const to = today;
    (async () => {
      const errors: ApiError[] = [];
      const soft = <T,>(p: Promise<T>) =>
        p.catch((err: unknown) => {
          if (s.aborted) throw err;
          errors.push(asApiError(err));
          return null;
        });
      const [summary, townships, departments] = await Promise.all([
        staffApi.summary({ from, to }, s),
        soft(staffApi.rankings({ from, to, by: 'township' }, s)),
        soft(staffApi.rankings({ from, to, by: 'department' }, s)),
      ]);
      if (s.aborted) return;
      setData({ summary, townships, departments, trend: null, errors });
      const starts = Array.from({ length: TREND_BUCKETS }, (_, i) =>
        addDays(today, -(TREND_BUCKETS - i) * TREND_DAYS + 1),
      );
      const trend = await soft(
        pool(starts, 4, async (start) => {
          const end = addDays(start, TREND_DAYS - 1);
          const r = await staffApi.summary({ from: start, to: end }, s);
          return {
            label: end.slice(5),
            received: r.counts.received,
            closed: r.counts.closed,
            satisfaction: r.rates.satisfaction,
          };
        }),
      );
      if (!s.aborted) setData({ summary, townships, departments, trend: trend ?? [], errors });
    })().catch((err: unknown) => {
      if (!s.aborted) setError(asApiError(err));
    });
    return () => ctrl.abort();
  }, [from, stamp]);

  const toggleWall = () => navigate(wall ? '/staff/dashboard' : '/staff/dashboard?wall=1');

  const body = (
    <div
      className={`gz-dash ${dark ? 'dark' : 'light'}`}
      style={wall ? undefined : { minHeight: 'calc(100vh - 96px)', borderRadius: 8 }}
    >
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 14 }} wrap>
        <div>
          <h1 className="gz-dash-title">{t('dash.title', { county: data?.summary.org.name ?? '' })}</h1>
          <span className="gz-muted">
            {t('dash.period', { from, to: today })} · {user.org.name} ·{' '}
            {t('dash.updated', {
              at: new Date(now).toLocaleTimeString(lang, { timeZone: 'Asia/Shanghai', hour12: false }),
            })}
          </span>
        </div>
        <Space wrap>
          <Segmented
            value={period}
            onChange={(v) => setPeriod(v as '30d' | 'year')}
            options={[
              { value: '30d', label: t('dash.last30') },
              { value: 'year', label: t('dash.thisYear') },
            ]}
          />
          <ExportMenu from={from} to={today} />
          <Tooltip title={t('common.refresh')}>
            <Button
              icon={<ReloadOutlined />}
              onClick={() => setStamp((x) => x + 1)}
              aria-label={t('common.refresh')}
            />
          </Tooltip>
          <Tooltip title={dark ? t('dash.light') : t('dash.dark')}>
            <Button
              icon={<BulbOutlined />}
              onClick={toggleDark}
              aria-label={dark ? t('dash.light') : t('dash.dark')}
            />
          </Tooltip>
          <Tooltip title={wall ? t('dash.exitWall') : t('dash.wall')}>
            <Button
              icon={wall ? <FullscreenExitOutlined /> : <FullscreenOutlined />}
              onClick={toggleWall}
              aria-label={wall ? t('dash.exitWall') : t('dash.wall')}
            />
          </Tooltip>
          {wall && <LangSwitch />}
        </Space>
      </Space>
      {error && <ErrorAlert error={error} onRetry={() => setStamp((x) => x + 1)} />}
      {!data && !error && (
        <div style={{ display: 'grid', placeItems: 'center', height: 400 }}>
          <Spin size="large" />
        </div>
      )}
      {data && <Panels data={data} dark={dark} wall={wall} live={live} today={today} />}
    </div>
  );

  return (
    <ConfigProvider theme={{ algorithm: dark ? theme.darkAlgorithm : theme.defaultAlgorithm }}>
      {body}
    </ConfigProvider>
  );
}

function ExportMenu({ from, to }: { from: string; to: string }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (key: string) => {
    const [by, format] = key.split('.') as ['township' | 'department', 'csv' | 'xlsx'];
    setBusy(true);
    setError(null);
    try {
      const { blob, name } = await staffApi.exportRankings({ from, to, by, format });
      saveBlob(blob, name);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Tooltip title={error?.message} open={error ? undefined : false}>
      <Dropdown
        menu={{
          items: [
            { key: 'township.xlsx', label: t('dash.exportTownshipXlsx') },
            { key: 'township.csv', label: t('dash.exportTownshipCsv') },
            { key: 'department.xlsx', label: t('dash.exportDeptXlsx') },
            { key: 'department.csv', label: t('dash.exportDeptCsv') },
          ],
          onClick: ({ key }) => void run(key),
        }}
      >
        <Button icon={<DownloadOutlined />} loading={busy} danger={Boolean(error)}>
          {t('dash.export')}
        </Button>
      </Dropdown>
    </Tooltip>
  );
}

function Panels({
  data,
  dark,
  wall,
  live,
  today,
}: {
  data: Data;
  dark: boolean;
  wall: boolean;
  live: ReturnType<typeof useLiveFeed>;
  today: string;
}) {
  const t = useT();
  const s = data.summary;
  const c = s.counts;
  const axis = dark ? '#9fb3cf' : '#5b6472';
  const split = dark ? 'rgba(255,255,255,.08)' : '#eef0f4';
  const [township, setTownship] = useState<string | null>(null);
  const tallRow = wall ? 352 : 360;

  const townshipItems = data.townships?.items ?? [];
  const scoreOption = useMemo<ChartOption>(() => {
    const items = [...townshipItems]
      .filter((i) => i.counts.received > 0 || i.score !== null)
      .slice(0, 24)
      .reverse();
    return {
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: {
        type: 'value',
        max: 100,
        axisLabel: { color: axis },
        splitLine: { lineStyle: { color: split } },
      },
      yAxis: {
        type: 'category',
        data: items.map((i) => i.org.name),
        axisLabel: { color: axis, fontSize: 11 },
        axisTick: { show: false },
      },
      series: [
        {
          type: 'bar',
          name: t('dash.score'),
          data: items.map((i) => (i.score === null ? null : Math.round(i.score * 10) / 10)),
          barMaxWidth: 14,
          itemStyle: { color: dark ? '#36cfc9' : '#1677ff', borderRadius: [0, 4, 4, 0] },
          label: { show: true, position: 'right', color: axis, fontSize: 10 },
        },
      ],
    };
  }, [townshipItems, axis, split, dark, t]);

  const trendOption = useMemo<ChartOption>(() => {
    const tr = data.trend ?? [];
    return {
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: { color: axis } },
      xAxis: { type: 'category', data: tr.map((x) => x.label), axisLabel: { color: axis } },
      yAxis: [
        { type: 'value', axisLabel: { color: axis }, splitLine: { lineStyle: { color: split } } },
        {
          type: 'value',
          min: 0,
          max: 100,
          axisLabel: { color: axis, formatter: '{value}%' },
          splitLine: { show: false },
        },
      ],
      series: [
        {
          type: 'line',
          name: t('dash.received'),
          data: tr.map((x) => x.received),
          smooth: true,
          symbolSize: 6,
        },
        { type: 'line', name: t('dash.closed'), data: tr.map((x) => x.closed), smooth: true, symbolSize: 6 },
        {
          type: 'line',
          name: t('rate.satisfaction'),
          yAxisIndex: 1,
          data: tr.map((x) => (x.satisfaction === null ? null : Math.round(x.satisfaction * 1000) / 10)),
          smooth: true,
          smoothMonotone: 'x',
          lineStyle: { type: 'dashed' },
          symbolSize: 4,
        },
      ],
    };
  }, [data.trend, axis, split, t]);

  return (
    <div className="gz-dash-grid">
      <section className="gz-panel gz-span-5" aria-label={t('dash.periods')}>
        <h3>{t('dash.periods')}</h3>
        <PeriodTotals today={today} refresh={live.count} />
      </section>
      <section className="gz-panel gz-span-7" aria-label={t('dash.live')}>
        <h3>
          {t('dash.live')}{' '}
          <span className={live.status === 'open' ? 'gz-good' : 'gz-muted'} style={{ fontSize: 12 }}>
            ● {t(`dash.liveStatus.${live.status}`)}
          </span>
        </h3>
        <LiveList items={live.items} />
      </section>
      <section className="gz-panel gz-span-5" aria-label={t('dash.totals')}>
        <h3>{t('dash.totals')}</h3>
        <div style={{ display: 'grid', gridTemplateColumns: 'repeat(4, 1fr)', gap: 8 }}>
          <Kpi label={t('dash.received')} value={c.received} />
          <Kpi label={t('dash.closed')} value={c.closed} />
          <Kpi label={t('dash.overdue')} value={c.overdue ?? 0} bad={(c.overdue ?? 0) > 0} />
          <Kpi label={t('dash.whistles')} value={s.whistle.whistles} />
        </div>
        <div style={{ display: 'grid', gridTemplateColumns: 'repeat(6, 1fr)', gap: 8, marginTop: 10 }}>
          <MiniKpi label={t('dash.dispatched')} value={c.dispatched ?? 0} />
          <MiniKpi label={t('dash.answeredDirectly')} value={c.answeredDirectly ?? 0} />
          <MiniKpi label={t('dash.returned')} value={c.returned ?? 0} />
          <MiniKpi label={t('dash.extension')} value={c.extension ?? 0} />
          <MiniKpi label={t('dash.merged')} value={c.merged ?? 0} />
          <MiniKpi label={t('dash.unsatisfied')} value={c.unsatisfied ?? 0} bad={(c.unsatisfied ?? 0) > 0} />
        </div>
        <div className="gz-muted" style={{ marginTop: 10 }}>
          {t('dash.scoreLine', {
            score: s.score === null ? '—' : s.score.toFixed(1),
            w1: s.weights.response,
            w2: s.weights.resolution,
            w3: s.weights.satisfaction,
          })}{' '}
          · {t('dash.onTime', { v: pct(s.rates.onTime) })} · {t('dash.redo', { v: pct(s.rates.redo) })}
        </div>
      </section>
      <section className="gz-panel gz-span-7" aria-label={t('dash.rates')}>
        <h3>{t('dash.rates')}</h3>
        <div style={{ display: 'grid', gridTemplateColumns: 'repeat(4, 1fr)', gap: 8, textAlign: 'center' }}>
          {(Object.keys(TARGETS) as RateKey[]).map((k) => (
            <RateGauge key={k} name={t(`rate.${k}`)} rate={s.rates[k]} target={TARGETS[k]} />
          ))}
        </div>
      </section>

      <section className="gz-panel gz-span-4" aria-label={t('dash.townshipRanking')}>
        <h3>{t('dash.townshipRanking')}</h3>
        <RankTable items={townshipItems} height={tallRow} missing={!data.townships} />
      </section>
      <section className="gz-panel gz-span-4" aria-label={t('dash.townshipScores')}>
        <h3>{t('dash.townshipScores')}</h3>
        {townshipItems.length ? (
          <EChart option={scoreOption} dark={dark} height={tallRow} label={t('dash.townshipScores')} />
        ) : (
          <div className="gz-muted">{t('dash.noData')}</div>
        )}
      </section>
      <section className="gz-panel gz-span-4" aria-label={t('dash.map')}>
        <h3>
          {t('dash.map')}
          {township && (
            <Button size="small" type="link" onClick={() => setTownship(null)}>
              {t('dash.backToCounty')}
            </Button>
          )}
        </h3>
        {township ? (
          <TownshipMap
            code={township}
            height={tallRow}
            dark={dark}
            from={data.summary.from}
            to={data.summary.to}
          />
        ) : (
          <OpenByTownship items={townshipItems} height={tallRow} onPick={setTownship} />
        )}
      </section>

      <section className="gz-panel gz-span-6" aria-label={t('dash.trend')}>
        <h3>{t('dash.trend')}</h3>
        {data.trend === null ? (
          <Spin />
        ) : (
          <EChart option={trendOption} dark={dark} height={wall ? 236 : 280} label={t('dash.trend')} />
        )}
      </section>
      <section className="gz-panel gz-span-6" aria-label={t('dash.deptRanking')}>
        <h3>{t('dash.deptRanking')}</h3>
        <RankTable
          items={data.departments?.items ?? []}
          height={wall ? 260 : 280}
          missing={!data.departments}
        />
      </section>
      {data.errors.length > 0 && (
        <div className="gz-span-12">
          {data.errors.map((e) => (
            <ErrorAlert key={`${e.code}${e.requestId ?? ''}`} error={e} compact />
          ))}
        </div>
      )}
    </div>
  );
}

/** Received and closed today, this month and this year; fetched again as the live feed moves. */
function PeriodTotals({ today, refresh }: { today: string; refresh: number }) {
  const t = useT();
  const [totals, setTotals] = useState<{ key: string; received: number; closed: number }[] | null>(null);
  const [debounced, setDebounced] = useState(refresh);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(refresh), refresh === debounced ? 0 : 2000);
    return () => clearTimeout(timer);
  }, [refresh, debounced]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `debounced` is the trigger to fetch again.
  useEffect(() => {
    const ctrl = new AbortController();
    const periods = [
      { key: 'today', from: today },
      { key: 'month', from: `${today.slice(0, 7)}-01` },
      { key: 'year', from: `${today.slice(0, 4)}-01-01` },
    ];
    Promise.all(
      periods.map(async (p) => {
        const r = await staffApi.summary({ from: p.from, to: today }, ctrl.signal);
        return { key: p.key, received: r.counts.received, closed: r.counts.closed };
      }),
    )
      .then(setTotals)
      .catch(() => undefined);
    return () => ctrl.abort();
  }, [today, debounced]);
  if (!totals) return <Spin />;
  return (
    <div style={{ display: 'grid', gridTemplateColumns: 'repeat(3, 1fr)', gap: 8 }}>
      {totals.map((x) => (
        <div key={x.key} data-period={x.key}>
          <div className="gz-muted">{t(`dash.period.${x.key}`)}</div>
          <div className="gz-kpi-value" data-testid={`received-${x.key}`}>
            {x.received.toLocaleString('zh-CN')}
          </div>
          <div className="gz-muted">
            {t('dash.closed')} {x.closed.toLocaleString('zh-CN')}
          </div>
        </div>
      ))}
    </div>
  );
}

/** The latest cases from the live feed, newest first. */
function LiveList({ items }: { items: LiveCase[] }) {
  const t = useT();
  const lang = useStaffLang();
  if (items.length === 0) return <div className="gz-muted">{t('dash.liveEmpty')}</div>;
  return (
    <ol className="gz-live-list" aria-live="polite">
      {items.slice(0, 8).map((i) => (
        <li key={`${i.kind}${i.code}`}>
          <span className="gz-muted">
            {new Date(i.at).toLocaleTimeString(lang, { timeZone: 'Asia/Shanghai', hour12: false })}
          </span>{' '}
          <b className={i.kind === 'closed' ? 'gz-good' : undefined}>{t(`dash.liveKind.${i.kind}`)}</b>{' '}
          <span className="gz-mono">{i.code}</span> {i.category ?? ''}{' '}
          <span className="gz-muted">{[i.township, i.village].filter(Boolean).join(' · ')}</span>
          {i.urgency !== 'normal' && <span className="gz-bad"> · {t(`dash.urgency.${i.urgency}`)}</span>}
        </li>
      ))}
    </ol>
  );
}

function Kpi({ label, value, bad }: { label: string; value: number; bad?: boolean }) {
  return (
    <div>
      <div className="gz-muted">{label}</div>
      <div className={`gz-kpi-value ${bad ? 'gz-bad' : ''}`}>{value.toLocaleString('zh-CN')}</div>
    </div>
  );
}

function MiniKpi({ label, value, bad }: { label: string; value: number; bad?: boolean }) {
  return (
    <div>
      <div className="gz-muted">{label}</div>
      <div
        style={{ fontSize: 18, fontWeight: 600, fontVariantNumeric: 'tabular-nums' }}
        className={bad ? 'gz-bad' : ''}
      >
        {value.toLocaleString('zh-CN')}
      </div>
    </div>
  );
}

function RateGauge({ name, rate, target }: { name: string; rate: number | null; target: number }) {
  const t = useT();
  const ok = rate !== null && rate >= target;
  const percent = rate === null ? 0 : Math.round(rate * 1000) / 10;
  return (
    <div>
      <Progress
        type="dashboard"
        percent={Math.min(100, percent)}
        size={112}
        strokeColor={rate === null ? '#8c8c8c' : ok ? '#52c41a' : '#ff4d4f'}
        format={() => (rate === null ? '—' : `${percent.toFixed(1)}%`)}
        aria-label={`${name} ${pct(rate)}`}
      />
      <div style={{ fontWeight: 600 }}>{name}</div>
      <div className="gz-muted">
        {t('dash.target', { v: pct(target, 0) })}{' '}
        {rate !== null && (
          <span className={ok ? 'gz-good' : 'gz-bad'}>{ok ? t('dash.met') : t('dash.below')}</span>
        )}
      </div>
    </div>
  );
}

function RankTable({
  items,
  height,
  missing,
}: {
  items: Rankings['items'];
  height: number;
  missing: boolean;
}) {
  const t = useT();
  if (missing) return <div className="gz-muted">{t('dash.noData')}</div>;
  const cls = (rate: number | null, target: number) =>
    rate === null ? '' : rate >= target ? 'gz-good' : 'gz-bad';
  return (
    <div style={{ maxHeight: height, overflow: 'auto' }}>
      <table className="gz-rank-table">
        <thead>
          <tr>
            <th>#</th>
            <th>{t('dash.org')}</th>
            <th>{t('dash.received')}</th>
            <th>{t('dash.closed')}</th>
            <th>{t('rate.closureShort')}</th>
            <th>{t('rate.responseShort')}</th>
            <th>{t('rate.resolutionShort')}</th>
            <th>{t('rate.satisfactionShort')}</th>
            <th>{t('dash.score')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.org.id}>
              <td>{i.rank}</td>
              <td title={i.org.name}>{i.org.name}</td>
              <td>{i.counts.received}</td>
              <td>{i.counts.closed}</td>
              <td className={cls(i.rates.closure, TARGETS.closure)}>{pct(i.rates.closure, 0)}</td>
              <td className={cls(i.rates.response, TARGETS.response)}>{pct(i.rates.response, 0)}</td>
              <td className={cls(i.rates.resolution, TARGETS.resolution)}>{pct(i.rates.resolution, 0)}</td>
              <td className={cls(i.rates.satisfaction, TARGETS.satisfaction)}>
                {pct(i.rates.satisfaction, 0)}
              </td>
              <td>
                <b>{i.score === null ? '—' : i.score.toFixed(1)}</b>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The county view of the map: open cases per township as bars; choosing one draws its grids. */
function OpenByTownship({
  items,
  height,
  onPick,
}: {
  items: Rankings['items'];
  height: number;
  onPick: (code: string) => void;
}) {
  const t = useT();
  const rows = items
    .map((i) => ({ id: i.org.id, name: i.org.name, open: openOf(i) }))
    .sort((a, b) => b.open - a.open);
  const max = Math.max(1, ...rows.map((r) => r.open));
  return (
    <div style={{ maxHeight: height, overflow: 'auto' }}>
      <div className="gz-muted" style={{ marginBottom: 6 }}>
        {t('dash.mapHint')}
      </div>
      {rows.map((r) => (
        <button
          key={r.id}
          type="button"
          onClick={() => onPick(r.id)}
          style={{
            display: 'grid',
            gridTemplateColumns: '7.5em 1fr 3em',
            alignItems: 'center',
            gap: 8,
            width: '100%',
            background: 'none',
            border: 0,
            padding: '3px 0',
            color: 'inherit',
            cursor: 'pointer',
            font: 'inherit',
            fontSize: 13,
            textAlign: 'start',
          }}
          aria-label={t('dash.openIn', { name: r.name, n: r.open })}
        >
          <span style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{r.name}</span>
          <span style={{ background: 'rgba(128,128,128,.15)', borderRadius: 3, height: 10 }}>
            <span
              style={{
                display: 'block',
                height: 10,
                borderRadius: 3,
                width: `${(r.open / max) * 100}%`,
                background: heat(r.open / max),
              }}
            />
          </span>
          <span style={{ textAlign: 'end', fontVariantNumeric: 'tabular-nums' }}>{r.open}</span>
        </button>
      ))}
    </div>
  );
}

/** "象南社区居委会" → "象南社区", "东新村民委员会" → "东新村": room on a wall screen. */
function shortVillage(name: string): string {
  return name
    .replace(/村民委员会$/, '村')
    .replace(/村委会$/, '村')
    .replace(/居民委员会$/, '')
    .replace(/居委会$/, '');
}

/** Grid shapes per township and open counts per township and period, kept while the page lives. */
const gridCache = new Map<string, GridFeature[][]>();
const figureCache = new Map<string, (number | null)[]>();

/** Light yellow → deep red. */
function heat(x: number): string {
  const v = Math.max(0, Math.min(1, x));
  const h = 50 - 50 * v;
  const l = 88 - 40 * v;
  return `hsl(${h} 90% ${l}%)`;
}

/** One township's villages: their grids shaded by the village's open cases (one summary per village). */
function TownshipMap({
  code,
  height,
  dark,
  from,
  to,
}: {
  code: string;
  height: number;
  dark: boolean;
  from: string;
  to: string;
}) {
  const t = useT();
  const regions = useRegions();
  const tw = regions.data?.townships.find((x) => x.code === code);
  const [grids, setGrids] = useState<GridFeature[][] | null>(() => gridCache.get(code) ?? null);
  const figKey = `${code}|${from}|${to}`;
  const [figures, setFigures] = useState<(number | null)[] | null>(() => figureCache.get(figKey) ?? null);
  const [error, setError] = useState<ApiError | null>(null);

  // Shapes first (public and cacheable), then one summary per village for the shading.
  useEffect(() => {
    if (!tw) return;
    const ctrl = new AbortController();
    const s = ctrl.signal;
    setError(null);
    const villages = tw.villages;
    (async () => {
      let g = gridCache.get(code);
      if (!g) {
        g = await pool(villages, 6, (v) =>
          staffApi.publicGrids(v.code, s).then(
            (fc) => fc.features,
            () => [] as GridFeature[],
          ),
        );
        if (s.aborted) return;
        gridCache.set(code, g);
      }
      setGrids(g);
      let f = figureCache.get(figKey);
      if (!f) {
        f = await pool(villages, 6, (v) =>
          staffApi.summary({ orgId: v.code, from, to }, s).then(
            (r) => openOf(r),
            () => null,
          ),
        );
        if (s.aborted) return;
        figureCache.set(figKey, f);
      }
      setFigures(f);
    })().catch((err) => !s.aborted && setError(asApiError(err)));
    return () => ctrl.abort();
  }, [tw, code, figKey, from, to]);

  const shapes = useMemo<Shape[] | null>(() => {
    if (!tw || !grids) return null;
    const max = Math.max(1, ...(figures ?? []).map((x) => x ?? 0));
    const out: Shape[] = [];
    tw.villages.forEach((v, i) => {
      const open = figures ? figures[i] : undefined;
      for (const f of grids[i] ?? []) {
        if (!f.geometry) continue;
        out.push({
          key: f.properties.code,
          geometry: f.geometry,
          fill:
            open === undefined
              ? dark
                ? '#1c2f4d'
                : '#eef2f7'
              : open === null
                ? '#8c8c8c'
                : open === 0
                  ? dark
                    ? '#1d3b2a'
                    : '#e8f5e9'
                  : heat(open / max),
          stroke: dark ? '#0b1a33' : '#ffffff',
          title: `${v.name} · ${f.properties.name} · ${t('dash.openN', { n: open ?? '—' })}`,
        });
      }
    });
    return out;
  }, [tw, grids, figures, dark, t]);

  const legend = useMemo(
    () =>
      tw && figures
        ? tw.villages
            .map((v, i) => ({ name: v.name, open: figures[i] ?? 0 }))
            .sort((a, b) => b.open - a.open)
            .slice(0, 6)
        : [],
    [tw, figures],
  );

  if (!tw) return <Spin />;
  return (
    <div data-loaded={figures ? 'yes' : 'no'}>
      <div className="gz-muted">
        {tw.name} · {t('dash.villages', { n: tw.villages.length })} · {t('dash.synthetic')}
      </div>
      {error && <ErrorAlert error={error} compact />}
      {!shapes && !error && (
        <div style={{ display: 'grid', placeItems: 'center', height: height - 60 }}>
          <Spin tip={t('dash.loadingGrids')} />
        </div>
      )}
      {shapes && (
        <GridSvg
          shapes={shapes}
          label={t('dash.mapOf', { name: tw.name })}
          minHeight={height - 90}
          maxHeight={height - 70}
          labelColor={dark ? '#cfe3ff' : '#1f2937'}
        />
      )}
      {legend.length > 0 && (
        <div className="gz-muted" style={{ display: 'flex', flexWrap: 'wrap', gap: '2px 10px' }}>
          {legend.map((l) => (
            <span key={l.name}>
              {shortVillage(l.name)} {l.open}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
