/**
 * The revisit agent's screen (回访): the to_revisit queue on the left, the chosen case's answer and
 * the citizen's number (revealed with a reason, audited) on the right, and a fast rating form that
 * moves on to the next case after saving.
 */
import { PhoneOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Empty, Form, Input, List, Row, Space, Spin, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link } from '../router.tsx';
import { useAsync } from '../useAsync.ts';
import { RatingFields } from './actions.tsx';
import {
  type ApiError,
  asApiError,
  type CaseDetail,
  type CaseListItem,
  type StaffUser,
  staffApi,
} from './api.ts';
import { actionName, useStaffLang, useT } from './i18n.ts';
import { ErrorAlert, formatShort, StateTag } from './ui.tsx';

interface RatingValues {
  resolved: 'yes' | 'no';
  satisfaction: string;
  method?: string;
  comment?: string;
}

export function RevisitPage({ user: _user }: { user: StaffUser }) {
  const t = useT();
  const lang = useStaffLang();
  const [stamp, setStamp] = useState(0);
  const list = useAsync(`revisit|${stamp}`, (signal) =>
    staffApi.cases({ queue: 'to_revisit', limit: 50 }, signal),
  );
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const items = list.state.status === 'ok' ? list.state.data.items : [];

  useEffect(() => {
    if (list.state.status !== 'ok') return;
    const its = list.state.data.items;
    if (!selectedId || !its.some((i) => i.id === selectedId)) setSelectedId(its[0]?.id ?? null);
  }, [list.state, selectedId]);

  const next = (doneId: string) => {
    const idx = items.findIndex((i) => i.id === doneId);
    const after = items[idx + 1] ?? items[idx - 1] ?? null;
    setSelectedId(after?.id ?? null);
    setStamp((s) => s + 1);
  };

  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('revisit.title')}
      </Typography.Title>
      <Row gutter={16}>
        <Col xs={24} lg={9}>
          <Card
            size="small"
            title={t('revisit.queue', {
              n: items.length + (list.state.status === 'ok' && list.state.data.hasMore ? '+' : ''),
            })}
            styles={{ body: { padding: 0 } }}
          >
            {list.state.status === 'error' && <ErrorAlert error={list.state.error} onRetry={list.reload} />}
            <List<CaseListItem>
              loading={list.state.status === 'loading'}
              dataSource={items}
              locale={{ emptyText: t('revisit.empty') }}
              style={{ maxHeight: 'calc(100vh - 200px)', overflow: 'auto' }}
              renderItem={(r) => (
                <List.Item
                  onClick={() => setSelectedId(r.id)}
                  tabIndex={0}
                  onKeyDown={(e) => e.key === 'Enter' && setSelectedId(r.id)}
                  style={{
                    cursor: 'pointer',
                    padding: '10px 14px',
                    background: r.id === selectedId ? '#e6f4ff' : undefined,
                  }}
                >
                  <List.Item.Meta
                    title={
                      <Space size={6}>
                        <span>{r.code}</span>
                        <StateTag state={r.state} label={r.stateLabel} />
                      </Space>
                    }
                    description={
                      <>
                        <div>{r.title}</div>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {r.leadName ?? '—'} · {formatShort(r.receivedAt, lang)}
                        </Typography.Text>
                      </>
                    }
                  />
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} lg={15}>
          {selectedId ? (
            <RevisitForm key={selectedId} id={selectedId} onDone={next} />
          ) : (
            <Card>
              <Empty description={t('revisit.pick')} />
            </Card>
          )}
        </Col>
      </Row>
    </Space>
  );
}

function RevisitForm({ id, onDone }: { id: string; onDone: (id: string) => void }) {
  const t = useT();
  const { message } = App.useApp();
  const { state, reload } = useAsync(id, (signal) => staffApi.case(id, signal));
  const [form] = Form.useForm<RatingValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [phone, setPhone] = useState<{ name: string | null; phone: string | null } | null>(null);
  const [reason, setReason] = useState('');

  if (state.status === 'loading') return <Spin />;
  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={reload} />;
  const d: CaseDetail = state.data;
  const c = d.case;
  const reply = c.units.find((u) => u.relation === 'lead')?.reply;
  const canRevisit = d.abilities.actions.includes('revisit');

  const save = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      await staffApi.act(c.id, 'revisit', c.version, {
        resolved: v.resolved === 'yes',
        satisfaction: v.satisfaction,
        ...(v.method ? { method: v.method } : {}),
        ...(v.comment?.trim() ? { comment: v.comment.trim() } : {}),
      });
      void message.success(t('action.done', { name: actionName(t, 'revisit'), code: c.code }));
      onDone(c.id);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const reveal = async () => {
    setError(null);
    try {
      setPhone(await staffApi.revealContact(c.id, reason.trim() || t('revisit.revealReason')));
    } catch (err) {
      setError(asApiError(err));
    }
  };

  return (
    <Card
      size="small"
      title={
        <Space>
          <Link to={`/staff/cases/${c.id}`}>{c.code}</Link>
          <StateTag state={c.state} label={c.stateLabel} />
        </Space>
      }
    >
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {c.title}
      </Typography.Title>
      <Typography.Paragraph ellipsis={{ rows: 3, expandable: true }} className="gz-pre">
        {c.description}
      </Typography.Paragraph>
      <Card
        size="small"
        type="inner"
        title={t('revisit.answer', { unit: c.lead?.name ?? '' })}
        style={{ marginBottom: 12 }}
      >
        <p className="gz-pre">{reply ?? t('revisit.noAnswer')}</p>
      </Card>
      <Space style={{ marginBottom: 12 }} wrap>
        {c.contact.anonymous ? (
          <Tag>{t('contact.anonymous')}</Tag>
        ) : phone ? (
          <span>
            <PhoneOutlined /> {phone.name ?? ''} <a href={`tel:${phone.phone ?? ''}`}>{phone.phone}</a>
          </span>
        ) : (
          <>
            <span>
              {t('contact.phone')}：{c.contact.phoneMasked ?? '—'}
            </span>
            {d.abilities.revealContact && (
              <Space.Compact>
                <Input
                  size="small"
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                  placeholder={t('revisit.revealReason')}
                  style={{ width: 180 }}
                  aria-label={t('contact.reason')}
                />
                <Button size="small" icon={<PhoneOutlined />} onClick={reveal}>
                  {t('contact.reveal')}
                </Button>
              </Space.Compact>
            )}
          </>
        )}
      </Space>
      {canRevisit ? (
        <Form<RatingValues>
          form={form}
          layout="vertical"
          disabled={busy}
          initialValues={{ resolved: 'yes', satisfaction: 'satisfied', method: 'phone' }}
          onFinish={save}
        >
          <RatingFields />
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('revisit.save')}
          </Button>
        </Form>
      ) : (
        <Typography.Text type="secondary">{t('revisit.notAllowed')}</Typography.Text>
      )}
      {error && (
        <div style={{ marginTop: 12 }}>
          <ErrorAlert error={error} onRetry={error.code === 'CONFLICT' ? reload : undefined} />
        </div>
      )}
    </Card>
  );
}
