/**
 * One case: header, description, location with a small grid map, routing decision and reasons,
 * units, deadlines with countdowns, whistles and reports, the masked contact with an audited
 * reveal, the timeline, and the buttons of exactly the actions the server allows (`abilities`).
 */
import { ArrowLeftOutlined, EyeOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Form,
  Image,
  Input,
  Modal,
  Rate,
  Result,
  Row,
  Skeleton,
  Space,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { Link, navigate } from '../router.tsx';
import { useAsync } from '../useAsync.ts';
import { ActionModal, DANGER_ACTIONS, knownOrgName, PRIMARY_ACTIONS, sortActions } from './actions.tsx';
import {
  type ApiError,
  asApiError,
  type CaseData,
  type CaseDetail,
  type Geometry,
  type StaffUser,
  staffApi,
  type TimelineItem,
} from './api.ts';
import { GridSvg, type Pin, type Shape } from './GridSvg.tsx';
import { actionName, detailKeyName, type TFn, useStaffLang, useT } from './i18n.ts';
import {
  countdown,
  ErrorAlert,
  formatDateTime,
  StateTag,
  SupervisionTag,
  stateName,
  UrgencyTag,
  useNow,
} from './ui.tsx';

export function CaseDetailPage({ id, user }: { id: string; user: StaffUser }) {
  const t = useT();
  const { message } = App.useApp();
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`${id}|${stamp}`, (signal) => staffApi.case(id, signal));
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [action, setAction] = useState<string | null>(null);

  useEffect(() => {
    if (state.status === 'ok') setDetail(state.data);
  }, [state]);
  // A different case: forget the old one at once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on id change only.
  useEffect(() => setDetail(null), [id]);

  const refresh = useCallback(() => setStamp((s) => s + 1), []);

  if (state.status === 'error' && !detail) {
    if (state.error.status === 404 && state.error.code === 'NOT_FOUND') {
      return (
        <Result
          status="404"
          title={t('case.notFound')}
          subTitle={t('case.notFoundHint')}
          extra={<Button onClick={() => navigate('/staff')}>{t('case.backToQueue')}</Button>}
        />
      );
    }
    return <ErrorAlert error={state.error} onRetry={reload} />;
  }
  if (!detail) return <Skeleton active paragraph={{ rows: 12 }} />;

  const c = detail.case;
  const actions = sortActions(detail.abilities.actions);

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Header c={c} onRefresh={refresh} refreshing={state.status === 'loading'} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            <Card title={t('case.description')} size="small">
              <Typography.Title level={5} style={{ marginTop: 0 }}>
                {c.title}
              </Typography.Title>
              <p className="gz-pre">{c.description}</p>
              {c.attachments.length > 0 && (
                <section aria-label={t('case.photos')}>
                  <Typography.Text type="secondary">
                    {t('case.attachments', { n: c.attachments.length })}
                  </Typography.Text>
                  <Image.PreviewGroup>
                    <Space wrap size={8} style={{ display: 'flex', marginTop: 8 }}>
                      {c.attachments.map((p, i) => (
                        <Image
                          key={p.id}
                          width={120}
                          height={120}
                          style={{ objectFit: 'cover', borderRadius: 4 }}
                          src={`/api/attachments/${encodeURIComponent(p.id)}?size=thumb`}
                          preview={{ src: `/api/attachments/${encodeURIComponent(p.id)}` }}
                          alt={t('case.photoN', { n: i + 1 })}
                        />
                      ))}
                    </Space>
                  </Image.PreviewGroup>
                </section>
              )}
            </Card>
            <LocationCard c={c} />
            <RoutingCard c={c} />
            <UnitsCard c={c} />
            {c.whistles.length > 0 && <WhistlesCard c={c} />}
            <TimelineCard id={c.id} stamp={c.version} />
          </Space>
        </Col>
        <Col xs={24} xl={8}>
          <Space orientation="vertical" size={16} style={{ width: '100%' }} className="gz-sticky">
            <Card title={t('case.actions')} size="small">
              {actions.length === 0 ? (
                <Typography.Text type="secondary">{t('case.noActions')}</Typography.Text>
              ) : (
                <Space wrap>
                  {actions.map((a) => (
                    <Button
                      key={a}
                      type={PRIMARY_ACTIONS.has(a) ? 'primary' : 'default'}
                      danger={DANGER_ACTIONS.has(a)}
                      onClick={() => setAction(a)}
                    >
                      {actionName(t, a)}
                    </Button>
                  ))}
                </Space>
              )}
              <PendingNotes c={c} />
            </Card>
            <DeadlinesCard c={c} />
            <ContactCard detail={detail} />
            {(c.resolved !== null || c.satisfaction) && (
              <Card title={t('case.rating')} size="small">
                <Space>
                  {c.resolved !== null && (
                    <Tag color={c.resolved ? 'green' : 'orange'}>
                      {c.resolved ? t('rating.resolvedYes') : t('rating.resolvedNo')}
                    </Tag>
                  )}
                  {c.satisfaction && (
                    <Tag color={c.satisfaction === 'unsatisfied' ? 'red' : 'green'}>
                      {t(`satisfaction.${c.satisfaction}`)}
                    </Tag>
                  )}
                </Space>
              </Card>
            )}
          </Space>
        </Col>
      </Row>
      <ActionModal
        action={action}
        open={action !== null}
        detail={detail}
        user={user}
        onClose={() => setAction(null)}
        onDone={(d) => {
          const name = actionName(t, action ?? '');
          setAction(null);
          setDetail(d);
          void message.success(t('action.done', { name, code: d.case.code }));
        }}
      />
    </Space>
  );
}

function Header({ c, onRefresh, refreshing }: { c: CaseData; onRefresh: () => void; refreshing: boolean }) {
  const t = useT();
  const lang = useStaffLang();
  return (
    <Card size="small">
      <Space style={{ width: '100%', justifyContent: 'space-between' }} align="start" wrap>
        <Space orientation="vertical" size={4}>
          <Space wrap>
            <Button
              type="text"
              icon={<ArrowLeftOutlined />}
              onClick={() => (window.history.length > 1 ? window.history.back() : navigate('/staff'))}
              aria-label={t('common.back')}
            />
            <Typography.Title level={4} style={{ margin: 0 }} copyable={{ text: c.code }}>
              {c.code}
            </Typography.Title>
            <StateTag state={c.state} label={c.stateLabel} />
            <Tag>{c.type === 'event' ? t('type.event') : t('type.appeal')}</Tag>
            <UrgencyTag urgency={c.urgency} showNormal />
            <SupervisionTag level={c.supervisionLevel} />
            {c.contact.confidential && <Tag color="purple">{t('contact.confidential')}</Tag>}
            {c.redoCount > 0 && <Tag color="volcano">{t('case.redoCount', { n: c.redoCount })}</Tag>}
            {c.returnCount > 0 && <Tag color="orange">{t('case.returnCount', { n: c.returnCount })}</Tag>}
            {c.extensionCount > 0 && (
              <Tag color="gold">{t('case.extensionCount', { n: c.extensionCount })}</Tag>
            )}
          </Space>
          <Typography.Text type="secondary">
            {c.category ? `${c.category.name}（${c.category.id}）` : t('case.noCategory')} ·{' '}
            {t(`channel.${c.channel}`)} · {t('case.receivedAt', { at: formatDateTime(c.receivedAt, lang) })}
            {c.dispatchedAt && ` · ${t('case.dispatchedAt', { at: formatDateTime(c.dispatchedAt, lang) })}`}
            {c.repliedAt && ` · ${t('case.repliedAt', { at: formatDateTime(c.repliedAt, lang) })}`}
            {c.closedAt && ` · ${t('case.closedAt', { at: formatDateTime(c.closedAt, lang) })}`}
          </Typography.Text>
          {c.mergedInto && (
            <Alert
              type="info"
              showIcon
              title={
                <span>
                  {t('case.mergedInto')}{' '}
                  <Link to={`/staff/cases/${c.mergedInto}`}>{t('case.openMergedTarget')}</Link>
                </span>
              }
            />
          )}
        </Space>
        <Button icon={<ReloadOutlined />} onClick={onRefresh} loading={refreshing}>
          {t('common.refresh')}
        </Button>
      </Space>
    </Card>
  );
}

function LocationCard({ c }: { c: CaseData }) {
  const t = useT();
  const loc = c.location;
  const [shapes, setShapes] = useState<Shape[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [gridName, setGridName] = useState<string | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    setShapes(null);
    setError(null);
    if (loc.gridId && loc.villageId) {
      // From the village's public shapes: a department on the case may not read the grid record
      // itself (404 outside its jurisdiction), and the shape is public anyway.
      staffApi
        .publicGrids(loc.villageId, ctrl.signal)
        .then((fc) => {
          const g = fc.features.find((f) => f.properties.code === loc.gridId);
          setGridName(g?.properties.name ?? null);
          setShapes(
            g?.geometry
              ? [
                  {
                    key: g.properties.code,
                    geometry: g.geometry,
                    fill: '#dbeafe',
                    stroke: '#2563eb',
                    strokeWidth: 2,
                    label: g.properties.name,
                  },
                ]
              : [],
          );
        })
        .catch((err) => !ctrl.signal.aborted && setError(asApiError(err)));
    } else if (loc.gridId) {
      staffApi
        .grid(loc.gridId, ctrl.signal)
        .then((g) => {
          setGridName(g.grid.name);
          setShapes([
            {
              key: g.grid.id,
              geometry: g.grid.geometry,
              fill: '#dbeafe',
              stroke: '#2563eb',
              strokeWidth: 2,
              label: g.grid.name,
            },
          ]);
        })
        .catch((err) => !ctrl.signal.aborted && setError(asApiError(err)));
    } else if (loc.villageId) {
      staffApi
        .publicGrids(loc.villageId, ctrl.signal)
        .then((fc) =>
          setShapes(
            fc.features
              .filter((f): f is typeof f & { geometry: Geometry } => f.geometry !== null)
              .map((f, i) => ({
                key: f.properties.code,
                geometry: f.geometry,
                fill: i % 2 ? '#eef2f7' : '#e2e8f0',
                label: f.properties.name,
              })),
          ),
        )
        .catch((err) => !ctrl.signal.aborted && setError(asApiError(err)));
    } else {
      setShapes([]);
    }
    return () => ctrl.abort();
  }, [loc.gridId, loc.villageId]);

  const pins = useMemo<Pin[]>(
    () =>
      loc.lon !== null && loc.lat !== null ? [{ lon: loc.lon, lat: loc.lat, title: loc.address ?? '' }] : [],
    [loc.lon, loc.lat, loc.address],
  );

  return (
    <Card title={t('case.location')} size="small">
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Descriptions
            size="small"
            column={1}
            items={[
              { key: 'tw', label: t('case.township'), children: loc.townshipName ?? '—' },
              { key: 'vi', label: t('case.village'), children: loc.villageName ?? '—' },
              {
                key: 'gr',
                label: t('case.grid'),
                children: loc.gridId ? `${gridName ?? ''} ${loc.gridId}`.trim() : t('case.noGrid'),
              },
              { key: 'ad', label: t('case.address'), children: loc.address ?? '—' },
              {
                key: 'ps',
                label: t('case.position'),
                children:
                  loc.lon !== null && loc.lat !== null ? `${loc.lon.toFixed(5)}, ${loc.lat.toFixed(5)}` : '—',
              },
            ]}
          />
        </Col>
        <Col xs={24} md={12}>
          {error && <ErrorAlert error={error} compact />}
          {!error && shapes === null && <Skeleton.Node active style={{ width: 280, height: 160 }} />}
          {shapes && shapes.length > 0 && (
            <GridSvg
              shapes={shapes}
              pins={pins}
              label={t('case.mapLabel', { name: gridName ?? loc.villageName ?? '' })}
              maxHeight={240}
            />
          )}
          {shapes && shapes.length === 0 && !error && (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('case.noMap')} />
          )}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('case.mapSynthetic')}
          </Typography.Text>
        </Col>
      </Row>
    </Card>
  );
}

function RoutingCard({ c }: { c: CaseData }) {
  const t = useT();
  const r = c.routing;
  const known = r?.suggestedLeadOrgId
    ? (r.suggestedLeadOrgName ?? knownOrgName(c, r.suggestedLeadOrgId))
    : null;
  const [suggestedName, setSuggestedName] = useState<string | null>(known);
  useEffect(() => {
    const id = r?.suggestedLeadOrgId;
    if (!id || known) return;
    const ctrl = new AbortController();
    staffApi
      .org(id, ctrl.signal)
      .then((d) => setSuggestedName(d.org.name))
      .catch(() => setSuggestedName(id));
    return () => ctrl.abort();
  }, [r?.suggestedLeadOrgId, known]);
  if (!r) return null;
  return (
    <Card title={t('case.routing')} size="small">
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Space wrap>
          {r.level && <Tag color="blue">{t(`level.${r.level}`)}</Tag>}
          {r.suggestedLeadOrgId && (
            <span>
              {t('case.suggestedUnit')}：<b>{suggestedName ?? r.suggestedLeadOrgId}</b>
              {c.lead && c.lead.id !== r.suggestedLeadOrgId && (
                <Tag color="orange" style={{ marginInlineStart: 8 }}>
                  {t('case.overridden', { name: c.lead.name })}
                </Tag>
              )}
            </span>
          )}
        </Space>
        {r.reasons && r.reasons.length > 0 && (
          <ol style={{ margin: 0, paddingInlineStart: 20 }}>
            {r.reasons.map((x) => (
              <li key={x}>{x}</li>
            ))}
          </ol>
        )}
      </Space>
    </Card>
  );
}

function UnitsCard({ c }: { c: CaseData }) {
  const t = useT();
  return (
    <Card title={t('case.units')} size="small">
      {c.units.length === 0 ? (
        <Typography.Text type="secondary">{t('case.noUnits')}</Typography.Text>
      ) : (
        <Table
          size="small"
          pagination={false}
          rowKey={(u) => `${u.orgId}-${u.relation}`}
          dataSource={c.units}
          columns={[
            { title: t('unit.name'), dataIndex: 'name' },
            {
              title: t('unit.relation'),
              dataIndex: 'relation',
              width: 90,
              render: (v: string) => (
                <Tag color={v === 'lead' ? 'blue' : v === 'whistled' ? 'volcano' : 'default'}>
                  {t(`relation.${v}`)}
                </Tag>
              ),
            },
            {
              title: t('unit.status'),
              dataIndex: 'status',
              width: 90,
              render: (v: string) => t(`unitStatus.${v}`),
            },
            {
              title: t('unit.reply'),
              dataIndex: 'reply',
              render: (v: string | null) => (v ? <p className="gz-pre">{v}</p> : '—'),
            },
          ]}
        />
      )}
    </Card>
  );
}

function WhistlesCard({ c }: { c: CaseData }) {
  const t = useT();
  const lang = useStaffLang();
  const now = useNow();
  return (
    <Card title={t('case.whistles')} size="small">
      <Table
        size="small"
        pagination={false}
        rowKey={(w) => `${w.id}-${w.departmentId}`}
        dataSource={c.whistles}
        columns={[
          {
            title: t('whistle.when'),
            dataIndex: 'createdAt',
            width: 150,
            render: (v: string, w) => (
              <span>
                {formatDateTime(v, lang)}
                <br />
                <Tag>{t(`whistleReason.${w.reasonClass}`)}</Tag>
              </span>
            ),
          },
          { title: t('whistle.department'), dataIndex: 'departmentName' },
          {
            title: t('whistle.status'),
            dataIndex: 'status',
            width: 170,
            render: (v: string, w) => {
              const cd = v === 'pending' ? countdown(w.dueAt, now, t) : null;
              return (
                <span>
                  <Tag
                    color={
                      v === 'pending' ? (cd?.overdue ? 'red' : 'orange') : v === 'done' ? 'green' : 'blue'
                    }
                  >
                    {t(`whistleStatus.${v}`)}
                  </Tag>
                  {w.late && <Tag color="red">{t('whistle.late')}</Tag>}
                  {cd && (
                    <Typography.Text type={cd.overdue ? 'danger' : 'secondary'} style={{ fontSize: 12 }}>
                      {cd.text}
                    </Typography.Text>
                  )}
                </span>
              );
            },
          },
          {
            title: t('whistle.result'),
            key: 'r',
            render: (_, w) => (
              <span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {w.message}
                </Typography.Text>
                {w.responder && (
                  <div>
                    {t('whistle.responder')}：{w.responder}
                    {w.reportedAt && ` · ${formatDateTime(w.reportedAt, lang)}`}
                  </div>
                )}
                {w.actionTaken && <div>{w.actionTaken}</div>}
                {w.rating !== null && <Rate disabled value={w.rating} style={{ fontSize: 12 }} />}
              </span>
            ),
          },
        ]}
      />
    </Card>
  );
}

function DeadlinesCard({ c }: { c: CaseData }) {
  const t = useT();
  const lang = useStaffLang();
  const now = useNow(15_000);
  return (
    <Card title={t('case.deadlines')} size="small">
      {c.deadlines.length === 0 ? (
        <Typography.Text type="secondary">{t('case.noDeadlines')}</Typography.Text>
      ) : (
        <Space orientation="vertical" style={{ width: '100%' }} size={8}>
          {c.deadlines.map((d) => {
            const cd = countdown(d.dueAt, now, t);
            const unit = d.orgId ? (c.units.find((u) => u.orgId === d.orgId)?.name ?? d.orgId) : null;
            return (
              <div
                key={`${d.stage}-${d.orgId ?? ''}-${d.dueAt}`}
                style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}
              >
                <span>
                  <b>{t(`stage.${d.stage}`)}</b>
                  {unit && (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {' '}
                      · {unit}
                    </Typography.Text>
                  )}
                  <br />
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {formatDateTime(d.dueAt, lang)}
                  </Typography.Text>
                </span>
                <span style={{ textAlign: 'end' }}>
                  <Tag
                    color={
                      cd.overdue || d.status === 'overdue'
                        ? 'red'
                        : cd.soon || d.status === 'warned'
                          ? 'orange'
                          : 'green'
                    }
                  >
                    {cd.text}
                  </Tag>
                </span>
              </div>
            );
          })}
        </Space>
      )}
    </Card>
  );
}

function ContactCard({ detail }: { detail: CaseDetail }) {
  const t = useT();
  const c = detail.case;
  const [open, setOpen] = useState(false);
  const [revealed, setRevealed] = useState<{ name: string | null; phone: string | null } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new case hides what was revealed.
  useEffect(() => setRevealed(null), [c.id]);

  const reveal = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      setRevealed(await staffApi.revealContact(c.id, v.reason.trim()));
      setOpen(false);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  let body: ReactNode;
  if (c.contact.anonymous) body = <Tag>{t('contact.anonymous')}</Tag>;
  else if (revealed)
    body = (
      <Space orientation="vertical" size={2}>
        <span>
          {t('contact.name')}：{revealed.name ?? '—'}
        </span>
        <span>
          {t('contact.phone')}：<a href={`tel:${revealed.phone ?? ''}`}>{revealed.phone ?? '—'}</a>
        </span>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('contact.audited')}
        </Typography.Text>
      </Space>
    );
  else
    body = (
      <Space orientation="vertical" size={6}>
        <span>
          {t('contact.phone')}：
          {c.contact.phoneMasked ?? (c.contact.confidential ? t('contact.hidden') : '—')}
          {c.contact.hasName && <Tag style={{ marginInlineStart: 8 }}>{t('contact.hasName')}</Tag>}
        </span>
        {detail.abilities.revealContact && (
          <Button icon={<EyeOutlined />} onClick={() => setOpen(true)}>
            {t('contact.reveal')}
          </Button>
        )}
      </Space>
    );

  return (
    <Card title={t('case.contact')} size="small">
      {body}
      <Modal
        open={open}
        title={t('contact.revealTitle')}
        onCancel={() => setOpen(false)}
        onOk={reveal}
        okText={t('contact.revealGo')}
        okButtonProps={{ loading: busy }}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">{t('contact.revealHint')}</Typography.Paragraph>
        <Form form={form} layout="vertical">
          <Form.Item
            name="reason"
            label={t('contact.reason')}
            rules={[{ required: true, whitespace: true, min: 2, max: 200, message: t('contact.reasonRule') }]}
          >
            <Input maxLength={200} placeholder={t('contact.reasonPlaceholder')} autoFocus />
          </Form.Item>
        </Form>
        {error && <ErrorAlert error={error} compact />}
      </Modal>
    </Card>
  );
}

function PendingNotes({ c }: { c: CaseData }) {
  const t = useT();
  const notes: ReactNode[] = [];
  if (c.pending.extension)
    notes.push(
      <Alert
        key="ext"
        type="warning"
        showIcon
        title={t('action.extensionAsked', { days: c.pending.extension.days })}
        description={c.pending.extension.reason}
      />,
    );
  if (c.pending.returnReason)
    notes.push(
      <Alert
        key="ret"
        type="warning"
        showIcon
        title={t('case.returnPending')}
        description={c.pending.returnReason}
      />,
    );
  if (c.pending.suspendedFrom)
    notes.push(
      <Alert
        key="sus"
        type="info"
        showIcon
        title={t('case.suspendedFrom', { state: stateName(t, c.pending.suspendedFrom) })}
      />,
    );
  return notes.length ? (
    <Space orientation="vertical" style={{ width: '100%', marginTop: 12 }}>
      {notes}
    </Space>
  ) : null;
}

function TimelineCard({ id, stamp }: { id: string; stamp: number }) {
  const t = useT();
  const lang = useStaffLang();
  const { state, reload } = useAsync(`${id}|${stamp}`, (signal) => staffApi.timeline(id, signal));
  return (
    <Card title={t('case.timeline')} size="small">
      {state.status === 'loading' && <Skeleton active />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'ok' && (
        <Timeline
          items={[...state.data.items].reverse().map((e) => ({
            key: e.seq,
            color: timelineColor(e),
            content: (
              <div>
                <Space size={6} wrap>
                  <b>{actionName(t, e.action, e.label)}</b>
                  {e.fromState !== e.toState && (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {e.fromState ? `${stateName(t, e.fromState)} → ` : ''}
                      {stateName(t, e.toState)}
                    </Typography.Text>
                  )}
                </Space>
                <div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {formatDateTime(e.at, lang)} · {e.actor.name}
                  </Typography.Text>
                </div>
                <EventDetails t={t} action={e.action} details={e.details} />
              </div>
            ),
          }))}
        />
      )}
    </Card>
  );
}

function timelineColor(e: TimelineItem): string {
  if (e.action === 'overdue' || e.action === 'void') return 'red';
  if (e.action === 'supervise' || e.action === 'urge' || e.action === 'whistle') return 'orange';
  if (e.toState === 'closed') return 'green';
  return 'blue';
}

/** Event payload as "key: value" lines; ids and internal fields left out. */
/** Payload keys that are internal (ids, routing data shown elsewhere, engine bookkeeping). */
const HIDDEN_DETAILS = new Set([
  'version',
  'pausedMs',
  'minutes',
  'routing',
  'actorUnit',
  'idempotencyKey',
  'path',
]);
/** `reason` on a dispatch is the engine's own code (dispatch / return / reassign), not a person's words. */
const ENGINE_REASONS = new Set(['dispatch', 'return', 'reassign']);

function EventDetails({ t, action, details }: { t: TFn; action: string; details: Record<string, unknown> }) {
  const rows = Object.entries(details).filter(
    ([k, v]) =>
      v !== null &&
      v !== undefined &&
      v !== '' &&
      !(Array.isArray(v) && v.length === 0) &&
      !/(Id|Ids)$/.test(k) &&
      !HIDDEN_DETAILS.has(k) &&
      !(k === 'reason' && typeof v === 'string' && ENGINE_REASONS.has(v) && action !== 'redo'),
  );
  if (!rows.length) return null;
  const show = (k: string, v: unknown): string => {
    if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
    if (k === 'satisfaction' && typeof v === 'string') return t(`satisfaction.${v}`);
    if (k === 'level' && typeof v === 'string') return t(`supervision.${v}`);
    if (k === 'reasonClass' && typeof v === 'string') return t(`whistleReason.${v}`);
    if (k === 'method' && typeof v === 'string') return t(`contactMethod.${v}`);
    if (k === 'channel' && typeof v === 'string') return t(`channel.${v}`);
    if (k === 'urgency' && typeof v === 'string') return t(`urgency.${v}`);
    if (k === 'decision' && typeof v === 'string') return t(`field.${v}`);
    if ((k === 'dueAt' || k === 'newDue') && typeof v === 'string') return formatDateTime(v, 'zh-CN');
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };
  return (
    <dl className="gz-kv" style={{ marginTop: 4 }}>
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt>{detailKeyName(t, k)}</dt>
          <dd className="gz-pre">{show(k, v)}</dd>
        </div>
      ))}
    </dl>
  );
}
