/**
 * The workbench: the role's work queues as tabs (with counts), filters and a Chinese keyword search,
 * a keyboard-friendly table, batch sign and batch dispatch. In supervision mode the same table lists
 * the supervisor's queues with urge (催办) and supervise (督办) inline.
 */
import { ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import {
  App,
  Badge,
  Button,
  Card,
  Form,
  Input,
  type InputRef,
  List,
  Modal,
  Progress,
  Select,
  Space,
  Table,
  type TableColumnsType,
  Tabs,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { href as buildHref, navigate, useLocation } from '../router.tsx';
import { useAsync } from '../useAsync.ts';
import { SuperviseFields, TextField } from './actions.tsx';
import { type ApiError, asApiError, type CaseListItem, type Queue, type StaffUser, staffApi } from './api.ts';
import { categoryTree, useCategories, useRegions } from './data.ts';
import { actionName, queueName, useStaffLang, useT } from './i18n.ts';
import { OrgPicker } from './OrgPicker.tsx';
import { canSupervise, canUrge, queuesFor, SUPERVISION_QUEUES } from './roles.ts';
import {
  DueText,
  ErrorAlert,
  fieldErrorsOf,
  formatShort,
  StateTag,
  SupervisionTag,
  UrgencyTag,
  useNow,
} from './ui.tsx';

const PAGE_SIZE = 20;
const COUNT_LIMIT = 99;

type Mode = 'workbench' | 'supervision';

/** Counts per queue: one small list call each (no count endpoint), shown as "99+" beyond the limit. */
function useQueueCounts(queues: Queue[], stamp: number) {
  const [counts, setCounts] = useState<Record<string, string>>({});
  const key = queues.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `stamp` asks for a recount after a change.
  useEffect(() => {
    const ctrl = new AbortController();
    const list = key.split(',') as Queue[];
    // `all` is not counted: it is everything visible, not work waiting.
    const todo = list.filter((q) => q !== 'all');
    let i = 0;
    const worker = async () => {
      while (i < todo.length && !ctrl.signal.aborted) {
        const q = todo[i++]!;
        try {
          const r = await staffApi.cases({ queue: q, limit: COUNT_LIMIT }, ctrl.signal);
          if (!ctrl.signal.aborted)
            setCounts((c) => ({ ...c, [q]: r.hasMore ? `${COUNT_LIMIT}+` : String(r.items.length) }));
        } catch {
          /* a count is a convenience; the tab still works */
        }
      }
    };
    void Promise.all([worker(), worker(), worker()]);
    return () => ctrl.abort();
  }, [key, stamp]);
  return counts;
}

interface Filters {
  q: string;
  type: string;
  cat: string;
  town: string;
  page: number;
}

export function QueuePage({ user, queue, mode }: { user: StaffUser; queue: Queue | null; mode: Mode }) {
  const t = useT();
  const lang = useStaffLang();
  const now = useNow();
  const { message } = App.useApp();
  const { query } = useLocation();
  const queues = mode === 'supervision' ? SUPERVISION_QUEUES : queuesFor(user.role);
  const current: Queue = queue && queues.includes(queue) ? queue : (queue ?? queues[0] ?? 'all');
  const base = mode === 'supervision' ? '/staff/supervision' : '/staff/queue';

  const filters: Filters = {
    q: query.get('q') ?? '',
    type: query.get('type') ?? '',
    cat: query.get('cat') ?? '',
    town: query.get('town') ?? '',
    page: Math.max(1, Number(query.get('page')) || 1),
  };
  const go = (next: Partial<Filters>, q: Queue = current) => {
    const f = { ...filters, page: 1, ...next };
    navigate(
      buildHref(`${base}/${q}`, {
        q: f.q,
        type: f.type,
        cat: f.cat,
        town: f.town,
        page: f.page > 1 ? f.page : undefined,
      }),
      { replace: q === current },
    );
  };

  const [stamp, setStamp] = useState(0);
  const listKey = `${current}|${filters.q}|${filters.type}|${filters.cat}|${filters.town}|${filters.page}|${stamp}`;
  const { state, reload } = useAsync(listKey, (signal) =>
    staffApi.cases(
      {
        queue: current,
        q: filters.q || undefined,
        type: filters.type || undefined,
        categoryId: filters.cat || undefined,
        townshipId: filters.town || undefined,
        limit: PAGE_SIZE,
        offset: (filters.page - 1) * PAGE_SIZE,
      },
      signal,
    ),
  );
  const refresh = useCallback(() => {
    setStamp((s) => s + 1);
  }, []);

  const [selected, setSelected] = useState<CaseListItem[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new list clears the selection.
  useEffect(() => setSelected([]), [listKey]);

  // "/" focuses the search, as in many consoles; not while typing somewhere.
  const searchRef = useRef<InputRef>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const el = e.target as HTMLElement | null;
      if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
      e.preventDefault();
      searchRef.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const cats = useCategories();
  const regions = useRegions();
  const catTree = useMemo(
    () =>
      cats.data
        ? categoryTree(cats.data.items, lang).map((n) => ({
            value: n.value,
            title: n.label,
            search: n.title,
            children: n.children?.map((c) => ({ value: c.value, title: c.label, search: c.title })),
          }))
        : [],
    [cats.data, lang],
  );

  const batchSign = current === 'to_sign';
  const batchDispatch = current === 'to_dispatch';
  const [batch, setBatch] = useState<null | 'sign' | 'dispatch'>(null);
  const [quick, setQuick] = useState<null | { action: 'urge' | 'supervise'; row: CaseListItem }>(null);

  const open = (r: CaseListItem) => navigate(`/staff/cases/${r.id}`);

  const columns: TableColumnsType<CaseListItem> = [
    {
      title: t('col.code'),
      dataIndex: 'code',
      width: 150,
      render: (code: string, r) => (
        <Space size={[4, 2]} wrap>
          <a
            href={`/staff/cases/${r.id}`}
            onClick={(e) => {
              if (e.metaKey || e.ctrlKey || e.shiftKey) return;
              e.preventDefault();
              open(r);
            }}
            tabIndex={-1}
          >
            {code}
          </a>
          {r.type === 'event' && <Tag>{t('type.event')}</Tag>}
          <UrgencyTag urgency={r.urgency} />
        </Space>
      ),
    },
    {
      title: t('col.title'),
      dataIndex: 'title',
      ellipsis: true,
      render: (title: string, r) => (
        <span>
          <Typography.Text strong>{title}</Typography.Text>
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {r.categoryName ?? t('case.noCategory')} · {formatShort(r.receivedAt, lang)} ·{' '}
            {t(`channel.${r.channel}`)}
          </Typography.Text>
        </span>
      ),
    },
    {
      title: t('col.village'),
      dataIndex: 'villageName',
      width: 140,
      ellipsis: true,
      render: (v) => v ?? '—',
    },
    { title: t('col.lead'), dataIndex: 'leadName', width: 140, ellipsis: true, render: (v) => v ?? '—' },
    {
      title: t('col.state'),
      dataIndex: 'state',
      width: 96,
      render: (s: string, r) => <StateTag state={s} label={r.stateLabel} />,
    },
    {
      title: t('col.nextDue'),
      dataIndex: 'nextDueAt',
      width: 120,
      render: (v: string | null) => <DueText iso={v} now={now} />,
    },
    {
      title: t('col.supervision'),
      dataIndex: 'supervisionLevel',
      width: 86,
      render: (v: string) => <SupervisionTag level={v} />,
    },
  ];
  if (mode === 'supervision' && canUrge(user.role)) {
    columns.push({
      title: t('col.actions'),
      key: 'actions',
      width: 150,
      render: (_, r) =>
        ['closed', 'voided', 'merged'].includes(r.state) ? null : (
          <Space size={4}>
            <Button
              size="small"
              onClick={(e) => {
                e.stopPropagation();
                setQuick({ action: 'urge', row: r });
              }}
            >
              {actionName(t, 'urge')}
            </Button>
            {canSupervise(user.role) && (
              <Button
                size="small"
                danger
                onClick={(e) => {
                  e.stopPropagation();
                  setQuick({ action: 'supervise', row: r });
                }}
              >
                {actionName(t, 'supervise')}
              </Button>
            )}
          </Space>
        ),
    });
  }

  const data = state.status === 'ok' ? state.data : null;

  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {mode === 'supervision' ? t('menu.supervision') : t('menu.workbench')}
        </Typography.Title>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('queue.keyboardHint')}
        </Typography.Text>
      </Space>
      <Card styles={{ body: { paddingTop: 4 } }}>
        <QueueTabs queues={queues} current={current} stamp={stamp} onChange={(q) => go({ page: 1 }, q)} />
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search
            ref={searchRef}
            key={`q-${filters.q}`}
            defaultValue={filters.q}
            allowClear
            placeholder={t('queue.searchPlaceholder')}
            prefix={<SearchOutlined />}
            onSearch={(v) => go({ q: v.trim() })}
            style={{ width: 260 }}
            aria-label={t('queue.search')}
          />
          <Select
            aria-label={t('queue.type')}
            value={filters.type}
            onChange={(v) => go({ type: v })}
            style={{ width: 110 }}
            options={[
              { value: '', label: t('queue.allTypes') },
              { value: 'appeal', label: t('type.appeal') },
              { value: 'event', label: t('type.event') },
            ]}
          />
          <TreeSelect
            aria-label={t('queue.category')}
            value={filters.cat || undefined}
            onChange={(v) => go({ cat: (v as string | undefined) ?? '' })}
            treeData={catTree}
            allowClear
            showSearch={{
              filterTreeNode: (input, node) =>
                String((node as { search?: string }).search ?? '').includes(input.trim()),
            }}
            placeholder={cats.error ? t('queue.categoryUnavailable') : t('queue.category')}
            disabled={!cats.data}
            style={{ width: 200 }}
            popupMatchSelectWidth={280}
          />
          <Select
            aria-label={t('queue.township')}
            value={filters.town || undefined}
            onChange={(v) => go({ town: (v as string | undefined) ?? '' })}
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            placeholder={t('queue.township')}
            style={{ width: 160 }}
            options={regions.data?.townships.map((tw) => ({ value: tw.code, label: tw.name })) ?? []}
          />
          <Button icon={<ReloadOutlined />} onClick={refresh} aria-label={t('common.refresh')}>
            {t('common.refresh')}
          </Button>
          {batchSign && (
            <Button type="primary" disabled={!selected.length} onClick={() => setBatch('sign')}>
              {t('batch.sign', { n: selected.length })}
            </Button>
          )}
          {batchDispatch && (
            <Button type="primary" disabled={!selected.length} onClick={() => setBatch('dispatch')}>
              {t('batch.dispatch', { n: selected.length })}
            </Button>
          )}
        </Space>
        {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
        <Table<CaseListItem>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={data?.items ?? []}
          loading={state.status === 'loading'}
          pagination={false}
          scroll={{ x: 960 }}
          locale={{ emptyText: t('queue.empty') }}
          rowClassName={() => 'gz-row-focus'}
          rowSelection={
            batchSign || batchDispatch
              ? {
                  selectedRowKeys: selected.map((s) => s.id),
                  onChange: (_, rows) => setSelected(rows),
                }
              : undefined
          }
          onRow={(r) => ({
            tabIndex: 0,
            'aria-label': `${r.code} ${r.title}`,
            onClick: (e) => {
              const el = e.target as HTMLElement;
              if (el.closest('a,button,input,label,.ant-checkbox-wrapper,.ant-table-selection-column'))
                return;
              open(r);
            },
            onKeyDown: (e) => {
              const row = e.currentTarget as HTMLElement;
              if (e.key === 'Enter') {
                e.preventDefault();
                open(r);
              } else if (e.key === 'ArrowDown' || e.key === 'j') {
                e.preventDefault();
                (row.nextElementSibling as HTMLElement | null)?.focus();
              } else if (e.key === 'ArrowUp' || e.key === 'k') {
                e.preventDefault();
                (row.previousElementSibling as HTMLElement | null)?.focus();
              } else if (e.key === ' ' && (batchSign || batchDispatch)) {
                e.preventDefault();
                setSelected((s) =>
                  s.some((x) => x.id === r.id) ? s.filter((x) => x.id !== r.id) : [...s, r],
                );
              }
            },
          })}
        />
        <Space style={{ marginTop: 12, justifyContent: 'flex-end', width: '100%' }}>
          <Typography.Text type="secondary">{t('queue.page', { n: filters.page })}</Typography.Text>
          <Button disabled={filters.page <= 1} onClick={() => go({ page: filters.page - 1 })}>
            {t('queue.prev')}
          </Button>
          <Button disabled={!data?.hasMore} onClick={() => go({ page: filters.page + 1 })}>
            {t('queue.next')}
          </Button>
        </Space>
      </Card>

      <BatchModal
        kind={batch}
        rows={selected}
        onClose={(changed) => {
          setBatch(null);
          if (changed) {
            refresh();
            void message.success(t('batch.finished'));
          }
        }}
      />
      <QuickActionModal
        target={quick}
        onClose={(changed) => {
          setQuick(null);
          if (changed) refresh();
        }}
      />
    </Space>
  );
}

/** The queue tabs with their counts (own state, so a count arriving does not re-render the table). */
function QueueTabs({
  queues,
  current,
  stamp,
  onChange,
}: {
  queues: Queue[];
  current: Queue;
  stamp: number;
  onChange: (q: Queue) => void;
}) {
  const t = useT();
  const counts = useQueueCounts(queues, stamp);
  return (
    <Tabs
      activeKey={current}
      onChange={(k) => onChange(k as Queue)}
      items={queues.map((q) => ({
        key: q,
        label: (
          <span data-queue={q} data-count={counts[q] ?? ''}>
            {queueName(t, q)}{' '}
            {counts[q] === undefined ? (
              // While its count loads, a blank badge of a count's size holds the place: the tabs
              // must not move under the pointer as the counts arrive one by one.
              q !== 'all' && (
                <Badge
                  count={<span className="gz-count-pending" aria-hidden />}
                  style={{ boxShadow: 'none' }}
                />
              )
            ) : (
              <Badge
                count={counts[q]}
                showZero
                overflowCount={999}
                color={
                  counts[q] === '0'
                    ? '#d9d9d9'
                    : q === 'overdue' || q === 'red' || q === 'unsatisfied'
                      ? '#ff4d4f'
                      : '#1677ff'
                }
                style={{ boxShadow: 'none' }}
              />
            )}
          </span>
        ),
      }))}
    />
  );
}

type RowResult = { id: string; code: string; ok: boolean; message: string };

/** Signs or dispatches each selected case in turn and reports per row. */
function BatchModal({
  kind,
  rows,
  onClose,
}: {
  kind: null | 'sign' | 'dispatch';
  rows: CaseListItem[];
  onClose: (changed: boolean) => void;
}) {
  const t = useT();
  const [form] = Form.useForm<{ leadOrgId?: string; note?: string }>();
  const [results, setResults] = useState<RowResult[] | null>(null);
  const [running, setRunning] = useState(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the modal opens.
  useEffect(() => {
    if (kind) {
      setResults(null);
      form.resetFields();
    }
  }, [kind]);

  const run = async () => {
    let input: Record<string, unknown> = {};
    if (kind === 'dispatch') {
      const v = await form.validateFields().catch(() => null);
      if (!v) return;
      input = { leadOrgId: v.leadOrgId, ...(v.note?.trim() ? { note: v.note.trim() } : {}) };
    }
    setRunning(true);
    const out: RowResult[] = [];
    for (const r of rows) {
      try {
        await staffApi.act(r.id, kind === 'sign' ? 'sign' : 'dispatch', r.version, input);
        out.push({ id: r.id, code: r.code, ok: true, message: t('batch.ok') });
      } catch (err) {
        const e = asApiError(err);
        const detail = e.details.map((d) => d.message).join('；');
        out.push({
          id: r.id,
          code: r.code,
          ok: false,
          message:
            e.code === 'CONFLICT' ? t('error.conflict') : detail ? `${e.message}：${detail}` : e.message,
        });
      }
      setResults([...out]);
    }
    setRunning(false);
  };

  const done = results !== null && !running;
  const okCount = results?.filter((r) => r.ok).length ?? 0;
  return (
    <Modal
      open={kind !== null}
      title={
        kind === 'sign'
          ? t('batch.signTitle', { n: rows.length })
          : t('batch.dispatchTitle', { n: rows.length })
      }
      onCancel={() => !running && onClose(okCount > 0)}
      mask={{ closable: false }}
      footer={
        done ? (
          <Button type="primary" onClick={() => onClose(okCount > 0)}>
            {t('common.close')}
          </Button>
        ) : (
          <Space>
            <Button onClick={() => onClose(false)} disabled={running}>
              {t('common.cancel')}
            </Button>
            <Button type="primary" onClick={run} loading={running}>
              {kind === 'sign' ? t('batch.signGo') : t('batch.dispatchGo')}
            </Button>
          </Space>
        )
      }
      destroyOnHidden
    >
      {kind === 'dispatch' && !results && (
        <Form form={form} layout="vertical">
          <Form.Item
            name="leadOrgId"
            label={t('field.leadOrg')}
            rules={[{ required: true, message: t('form.pickUnit') }]}
          >
            <OrgPicker />
          </Form.Item>
          <Form.Item name="note" label={t('field.note')} extra={t('batch.dispatchNoteHint')}>
            <Input.TextArea rows={2} maxLength={1000} />
          </Form.Item>
        </Form>
      )}
      {!results && (
        <List
          size="small"
          dataSource={rows}
          renderItem={(r) => (
            <List.Item>
              {r.code} · {r.title}
            </List.Item>
          )}
          style={{ maxHeight: 240, overflow: 'auto' }}
        />
      )}
      {results && (
        <>
          <Progress percent={Math.round((results.length / Math.max(1, rows.length)) * 100)} size="small" />
          <Typography.Paragraph>
            {t('batch.summary', { ok: okCount, failed: results.length - okCount, total: rows.length })}
          </Typography.Paragraph>
          <List
            size="small"
            dataSource={results}
            style={{ maxHeight: 300, overflow: 'auto' }}
            renderItem={(r) => (
              <List.Item>
                <Space>
                  <Tag color={r.ok ? 'success' : 'error'}>{r.ok ? t('batch.okTag') : t('batch.failTag')}</Tag>
                  <a href={`/staff/cases/${r.id}`} target="_blank" rel="noreferrer">
                    {r.code}
                  </a>
                  <Typography.Text type={r.ok ? 'secondary' : 'danger'}>{r.message}</Typography.Text>
                </Space>
              </List.Item>
            )}
          />
        </>
      )}
    </Modal>
  );
}

/** Urge or supervise one case from a list row, without opening it. */
function QuickActionModal({
  target,
  onClose,
}: {
  target: null | { action: 'urge' | 'supervise'; row: CaseListItem };
  onClose: (changed: boolean) => void;
}) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Record<string, unknown>>();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when a new row is chosen.
  useEffect(() => {
    if (target) {
      form.resetFields();
      form.setFieldsValue(target.action === 'supervise' ? { level: 'yellow' } : {});
      setError(null);
    }
  }, [target]);

  if (!target) return null;
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      const input: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined || x === null || (typeof x === 'string' && !x.trim())) continue;
        input[k] = typeof x === 'string' ? x.trim() : x;
      }
      await staffApi.act(target.row.id, target.action, target.row.version, input);
      void message.success(t('action.done', { name: actionName(t, target.action), code: target.row.code }));
      onClose(true);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(
        fieldErrorsOf(e).filter((f) => f.name === 'message' || f.name === 'level' || f.name === 'days'),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={`${actionName(t, target.action)} · ${target.row.code}`}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('action.submit', { name: actionName(t, target.action) })}
      okButtonProps={{ loading: busy, danger: target.action === 'supervise' }}
      cancelText={t('common.cancel')}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{target.row.title}</Typography.Paragraph>
      <Form form={form} layout="vertical" requiredMark="optional">
        {target.action === 'urge' ? (
          <TextField name="message" label={t('field.urgeMessage')} required max={500} />
        ) : (
          <SuperviseFields />
        )}
      </Form>
      {error && (
        <ErrorAlert error={error} onRetry={error.code === 'CONFLICT' ? () => onClose(true) : undefined} />
      )}
    </Modal>
  );
}
