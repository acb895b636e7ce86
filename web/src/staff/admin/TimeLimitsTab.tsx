/**
 * Time limits per stage × urgency (defaults from DESIGN §4, overrides per county). Saving sends the
 * cells that differ from their defaults as the new overrides, with `updatedAt` as the version.
 */
import { App, Button, InputNumber, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useAsync } from '../../useAsync.ts';
import { type ApiError, asApiError, staffApi, type TimeLimit, type TimeLimits } from '../api.ts';
import { useT } from '../i18n.ts';
import { ErrorAlert } from '../ui.tsx';

const URGENCIES = ['normal', 'urgent', 'emergency'] as const;
const UNITS = ['hours', 'working_hours', 'working_days', 'natural_days'];

type Cells = Record<string, Record<string, TimeLimit>>;

export function TimeLimitsTab() {
  const t = useT();
  const { message } = App.useApp();
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`limits|${stamp}`, (signal) => staffApi.timeLimits(signal));
  const [cells, setCells] = useState<Cells>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    if (state.status !== 'ok') return;
    const next: Cells = {};
    for (const [stage, byU] of Object.entries(state.data.limits)) {
      next[stage] = {};
      for (const [u, l] of Object.entries(byU)) next[stage]![u] = { amount: l.amount, unit: l.unit };
    }
    setCells(next);
  }, [state]);

  if (state.status === 'loading')
    return <Typography.Text type="secondary">{t('common.loading')}</Typography.Text>;
  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={reload} />;
  const data: TimeLimits = state.data;
  const stages = Object.keys(data.limits);

  const set = (stage: string, u: string, patch: Partial<TimeLimit>) =>
    setCells((c) => ({ ...c, [stage]: { ...c[stage], [u]: { ...c[stage]![u]!, ...patch } } }));

  const save = async () => {
    const overrides: TimeLimits['overrides'] = {};
    for (const stage of stages) {
      for (const u of URGENCIES) {
        const cell = cells[stage]?.[u];
        const def = data.limits[stage]?.[u]?.default;
        if (!cell || !def) continue;
        if (cell.amount !== def.amount || cell.unit !== def.unit) {
          overrides[stage] = { ...overrides[stage], [u]: cell };
        }
      }
    }
    setBusy(true);
    setError(null);
    try {
      await staffApi.putTimeLimits({ overrides, updatedAt: data.updatedAt });
      void message.success(t('common.saved'));
      setStamp((s) => s + 1);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary">{t('admin.limitsHint')}</Typography.Paragraph>
      <Table
        rowKey="stage"
        size="small"
        pagination={false}
        dataSource={stages.map((stage) => ({ stage }))}
        columns={[
          { title: t('admin.stage'), dataIndex: 'stage', width: 140, render: (s: string) => t(`stage.${s}`) },
          ...URGENCIES.map((u) => ({
            title: t(`urgency.${u}`),
            key: u,
            render: (_: unknown, r: { stage: string }) => {
              const cell = cells[r.stage]?.[u];
              const def = data.limits[r.stage]?.[u]?.default;
              if (!cell) return null;
              const changed = def && (cell.amount !== def.amount || cell.unit !== def.unit);
              return (
                <Space size={4}>
                  <InputNumber
                    size="small"
                    min={0.5}
                    max={720}
                    value={cell.amount}
                    onChange={(v) => v !== null && set(r.stage, u, { amount: v })}
                    style={{ width: 72 }}
                    aria-label={`${t(`stage.${r.stage}`)} ${t(`urgency.${u}`)}`}
                  />
                  <Select
                    size="small"
                    value={cell.unit}
                    onChange={(v) => set(r.stage, u, { unit: v })}
                    options={UNITS.map((x) => ({ value: x, label: t(`limitUnit.${x}`) }))}
                    style={{ width: 96 }}
                  />
                  {changed && (
                    <Tag color="orange" title={def ? `${def.amount} ${t(`limitUnit.${def.unit}`)}` : ''}>
                      {t('admin.overridden')}
                    </Tag>
                  )}
                </Space>
              );
            },
          })),
        ]}
      />
      {error && <ErrorAlert error={error} onRetry={error.code === 'CONFLICT' ? reload : undefined} />}
      <Space>
        <Button type="primary" onClick={save} loading={busy}>
          {t('common.save')}
        </Button>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {data.updatedAt
            ? t('admin.lastChanged', { at: data.updatedAt.slice(0, 16).replace('T', ' ') })
            : t('admin.allDefaults')}
        </Typography.Text>
      </Space>
    </Space>
  );
}
