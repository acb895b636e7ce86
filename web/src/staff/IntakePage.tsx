/**
 * Operator quick entry (电话 / 来访): category with search, description, place, contact, flags and
 * urgency; similar open appeals are suggested while typing; one idempotency key per form, so a
 * double click or a retry after a timeout never makes a second case. After the case is stored the
 * operator may dispatch it at once to the routing's suggested unit, or merge it into a duplicate.
 */
import { CheckCircleTwoTone } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Cascader,
  Checkbox,
  Col,
  Empty,
  Form,
  Input,
  List,
  Radio,
  Result,
  Row,
  Select,
  Space,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { navigate } from '../router.tsx';
import { knownOrgName } from './actions.tsx';
import {
  type ApiError,
  asApiError,
  type CaseDetail,
  type DuplicateItem,
  type IntakeInput,
  newIdempotencyKey,
  type StaffUser,
  staffApi,
} from './api.ts';
import { categoryTree, useCategories, useRegions } from './data.ts';
import { actionName, useStaffLang, useT } from './i18n.ts';
import { canIntakeEvents } from './roles.ts';
import { ErrorAlert, fieldErrorsOf, formatShort, StateTag } from './ui.tsx';

interface FormValues {
  type: 'appeal' | 'event';
  channel: string;
  category?: string[];
  categoryCode?: string;
  title?: string;
  description: string;
  township?: string;
  villageId?: string;
  address?: string;
  contactName?: string;
  contactPhone?: string;
  anonymous?: boolean;
  confidential?: boolean;
  urgency: 'normal' | 'urgent' | 'emergency';
}

const DEBOUNCE_MS = 500;

export function IntakePage({ user }: { user: StaffUser }) {
  const t = useT();
  const lang = useStaffLang();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [key, setKey] = useState(newIdempotencyKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<CaseDetail | null>(null);
  const [mergeTarget, setMergeTarget] = useState<DuplicateItem | null>(null);
  const cats = useCategories();
  const regions = useRegions();

  const type = (Form.useWatch('type', form) ?? 'appeal') as 'appeal' | 'event';
  const category = Form.useWatch('category', form) as string[] | undefined;
  const categoryCode = Form.useWatch('categoryCode', form) as string | undefined;
  const description = (Form.useWatch('description', form) as string | undefined) ?? '';
  const title = (Form.useWatch('title', form) as string | undefined) ?? '';
  const township = Form.useWatch('township', form) as string | undefined;
  const anonymous = Form.useWatch('anonymous', form) as boolean | undefined;
  const categoryId = category?.[category.length - 1] ?? categoryCode?.trim().toUpperCase();

  const tree = useMemo(
    () => (cats.data ? categoryTree(cats.data.items, lang, type) : []),
    [cats.data, lang, type],
  );
  const villages = useMemo(
    () => regions.data?.townships.find((tw) => tw.code === township)?.villages ?? [],
    [regions.data, township],
  );

  // Duplicate suggestions while typing (same category, similar words), debounced.
  const [dups, setDups] = useState<DuplicateItem[] | null>(null);
  const [dupLoading, setDupLoading] = useState(false);
  const text = `${title} ${description}`.trim();
  useEffect(() => {
    if (type !== 'appeal' || !categoryId || !/^[A-Z]{2}[0-9]{0,2}$/.test(categoryId) || text.length < 4) {
      setDups(null);
      return;
    }
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      setDupLoading(true);
      staffApi
        .suggestDuplicates({ categoryId, text: text.slice(0, 2000) }, ctrl.signal)
        .then((r) => setDups(r.items))
        .catch(() => !ctrl.signal.aborted && setDups(null))
        .finally(() => !ctrl.signal.aborted && setDupLoading(false));
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [type, categoryId, text]);

  const submit = async (mergeInto?: DuplicateItem) => {
    let v: FormValues;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const cat = v.category?.[v.category.length - 1] ?? v.categoryCode?.trim().toUpperCase();
    if (!cat) return;
    const input: IntakeInput = {
      type: v.type,
      channel: v.channel,
      categoryId: cat,
      urgency: v.urgency,
      description: v.description.trim(),
      ...(v.title?.trim() ? { title: v.title.trim() } : {}),
      ...(v.villageId ? { villageId: v.villageId } : {}),
      ...(v.address?.trim() ? { address: v.address.trim() } : {}),
      ...(!v.anonymous && v.contactName?.trim() ? { contactName: v.contactName.trim() } : {}),
      ...(!v.anonymous && v.contactPhone?.trim() ? { contactPhone: v.contactPhone.trim() } : {}),
      ...(v.anonymous ? { anonymous: true } : {}),
      ...(v.confidential ? { confidential: true } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      let d = await staffApi.intake(input, key);
      if (mergeInto && d.abilities.actions.includes('merge')) {
        try {
          d = await staffApi.act(d.case.id, 'merge', d.case.version, {
            intoCaseId: mergeInto.id,
            note: t('intake.mergeNote', { code: mergeInto.code }),
          });
          setMergeTarget(mergeInto);
        } catch (err) {
          setError(asApiError(err));
        }
      }
      setCreated(d);
      if (d.replayed) void message.info(t('intake.replayed'));
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      const map: Record<string, keyof FormValues> = { categoryId: 'category', villageId: 'villageId' };
      form.setFields(
        fieldErrorsOf(e).map((f) => ({
          name: (map[f.name] ?? f.name) as keyof FormValues,
          errors: f.errors,
        })),
      );
    } finally {
      setBusy(false);
    }
  };

  const startOver = () => {
    form.resetFields();
    setCreated(null);
    setMergeTarget(null);
    setError(null);
    setDups(null);
    setKey(newIdempotencyKey());
  };

  if (created) return <Created detail={created} mergedInto={mergeTarget} onAnother={startOver} />;

  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('intake.title')}
      </Typography.Title>
      <Row gutter={16}>
        <Col xs={24} xl={15}>
          <Card size="small">
            <Form<FormValues>
              form={form}
              layout="vertical"
              disabled={busy}
              initialValues={{ type: 'appeal', channel: 'phone', urgency: 'normal' }}
              onFinish={() => void submit()}
            >
              <Row gutter={16}>
                <Col span={12}>
                  <Form.Item name="channel" label={t('intake.channel')}>
                    <Radio.Group
                      optionType="button"
                      buttonStyle="solid"
                      options={['phone', 'walk_in'].map((c) => ({ value: c, label: t(`channel.${c}`) }))}
                    />
                  </Form.Item>
                </Col>
                <Col span={12}>
                  <Form.Item name="type" label={t('intake.type')}>
                    <Radio.Group
                      options={[
                        { value: 'appeal', label: t('type.appeal') },
                        { value: 'event', label: t('type.event'), disabled: !canIntakeEvents(user.role) },
                      ]}
                      onChange={() => form.setFieldValue('category', undefined)}
                    />
                  </Form.Item>
                </Col>
              </Row>
              {cats.error ? (
                <>
                  <ErrorAlert error={cats.error} title={t('intake.categoriesUnavailable')} compact />
                  <Form.Item
                    name="categoryCode"
                    label={t('intake.categoryCode')}
                    rules={[
                      { required: true, message: t('intake.categoryRequired') },
                      { pattern: /^[A-Za-z]{2}[0-9]{0,2}$/, message: t('intake.categoryCodeRule') },
                    ]}
                    style={{ marginTop: 8 }}
                  >
                    <Input placeholder="CJ01" style={{ width: 160 }} />
                  </Form.Item>
                </>
              ) : (
                <Form.Item
                  name="category"
                  label={t('intake.category')}
                  rules={[{ required: true, message: t('intake.categoryRequired') }]}
                >
                  <Cascader
                    options={tree}
                    loading={cats.loading}
                    placeholder={t('intake.categoryPlaceholder')}
                    changeOnSelect
                    showSearch={{
                      filter: (input, path) => path.some((o) => String(o.title ?? '').includes(input.trim())),
                    }}
                    style={{ width: '100%' }}
                  />
                </Form.Item>
              )}
              <Form.Item name="title" label={t('intake.subject')} rules={[{ max: 100 }]}>
                <Input maxLength={100} placeholder={t('intake.subjectPlaceholder')} />
              </Form.Item>
              <Form.Item
                name="description"
                label={t('intake.description')}
                rules={[
                  { required: true, whitespace: true, message: t('intake.descriptionRequired') },
                  { min: 5, message: t('intake.descriptionMin') },
                ]}
              >
                <Input.TextArea
                  rows={5}
                  maxLength={5000}
                  showCount
                  placeholder={t('intake.descriptionPlaceholder')}
                />
              </Form.Item>
              <Row gutter={16}>
                <Col span={12}>
                  <Form.Item name="township" label={t('intake.township')}>
                    <Select
                      allowClear
                      showSearch={{ optionFilterProp: 'label' }}
                      loading={regions.loading}
                      options={
                        regions.data?.townships.map((tw) => ({ value: tw.code, label: tw.name })) ?? []
                      }
                      onChange={() => form.setFieldValue('villageId', undefined)}
                      placeholder={t('intake.townshipPlaceholder')}
                    />
                  </Form.Item>
                </Col>
                <Col span={12}>
                  <Form.Item name="villageId" label={t('intake.village')} extra={t('intake.villageHint')}>
                    <Select
                      allowClear
                      showSearch={{ optionFilterProp: 'label' }}
                      disabled={!township}
                      options={villages.map((v) => ({ value: v.code, label: v.name }))}
                      placeholder={t('intake.villagePlaceholder')}
                    />
                  </Form.Item>
                </Col>
              </Row>
              <Form.Item name="address" label={t('intake.address')} rules={[{ max: 200 }]}>
                <Input maxLength={200} />
              </Form.Item>
              <Row gutter={16}>
                <Col span={12}>
                  <Form.Item name="contactName" label={t('intake.contactName')} rules={[{ max: 50 }]}>
                    <Input maxLength={50} disabled={Boolean(anonymous) || busy} />
                  </Form.Item>
                </Col>
                <Col span={12}>
                  <Form.Item
                    name="contactPhone"
                    label={t('intake.contactPhone')}
                    rules={[{ pattern: /^1[3-9][0-9]{9}$/, message: t('intake.phoneRule') }]}
                  >
                    <Input maxLength={11} inputMode="tel" disabled={Boolean(anonymous) || busy} />
                  </Form.Item>
                </Col>
              </Row>
              <Space size={24} wrap>
                <Form.Item name="anonymous" valuePropName="checked" style={{ marginBottom: 8 }}>
                  <Checkbox>{t('intake.anonymous')}</Checkbox>
                </Form.Item>
                <Form.Item name="confidential" valuePropName="checked" style={{ marginBottom: 8 }}>
                  <Checkbox>{t('intake.confidential')}</Checkbox>
                </Form.Item>
              </Space>
              <Form.Item name="urgency" label={t('intake.urgency')}>
                <Radio.Group
                  optionType="button"
                  options={['normal', 'urgent', 'emergency'].map((u) => ({
                    value: u,
                    label: t(`urgency.${u}`),
                  }))}
                />
              </Form.Item>
              {error && (
                <div style={{ marginBottom: 12 }}>
                  <ErrorAlert error={error} />
                </div>
              )}
              <Space>
                <Button type="primary" htmlType="submit" loading={busy}>
                  {t('intake.submit')}
                </Button>
                <Button onClick={startOver} disabled={busy}>
                  {t('intake.clear')}
                </Button>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('intake.idempotency')}
                </Typography.Text>
              </Space>
            </Form>
          </Card>
        </Col>
        <Col xs={24} xl={9}>
          <Card size="small" title={t('intake.duplicates')} extra={dupLoading ? <Spin size="small" /> : null}>
            {dups === null ? (
              <Typography.Text type="secondary">{t('intake.duplicatesHint')}</Typography.Text>
            ) : dups.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('intake.noDuplicates')} />
            ) : (
              <List
                dataSource={dups}
                renderItem={(d) => (
                  <List.Item
                    actions={[
                      <Button key="m" size="small" onClick={() => void submit(d)} loading={busy}>
                        {t('intake.submitAndMerge')}
                      </Button>,
                    ]}
                  >
                    <List.Item.Meta
                      title={
                        <Space size={6} wrap>
                          <a href={`/staff/cases/${d.id}`} target="_blank" rel="noreferrer">
                            {d.code}
                          </a>
                          <StateTag state={d.state} />
                          <Tag color={d.score >= 0.7 ? 'red' : 'orange'}>
                            {t('merge.score', { s: Math.round(d.score * 100) })}
                          </Tag>
                        </Space>
                      }
                      description={
                        <>
                          <div>{d.title}</div>
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {formatShort(d.receivedAt, lang)} · {d.reasons.join('；')}
                          </Typography.Text>
                          <div>
                            <Typography.Text type="warning" style={{ fontSize: 12 }}>
                              {t('intake.mergeHint', { code: d.code })}
                            </Typography.Text>
                          </div>
                        </>
                      }
                    />
                  </List.Item>
                )}
              />
            )}
          </Card>
          {cats.data?.source === 'public' && (
            <Alert type="info" showIcon style={{ marginTop: 12 }} title={t('intake.publicCategories')} />
          )}
        </Col>
      </Row>
    </Space>
  );
}

/** After the case is stored: its code and routing, dispatch now to the suggested unit, or open it. */
function Created({
  detail,
  mergedInto,
  onAnother,
}: {
  detail: CaseDetail;
  mergedInto: DuplicateItem | null;
  onAnother: () => void;
}) {
  const t = useT();
  const { message } = App.useApp();
  const [d, setD] = useState(detail);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const c = d.case;
  const suggested = c.routing?.suggestedLeadOrgId;
  const known = suggested ? knownOrgName(c, suggested) : null;
  const [suggestedName, setSuggestedName] = useState<string | null>(known);
  const canDispatch = d.abilities.actions.includes('dispatch') && Boolean(suggested);
  const anotherRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!suggested || known) return;
    const ctrl = new AbortController();
    staffApi
      .org(suggested, ctrl.signal)
      .then((o) => setSuggestedName(o.org.name))
      .catch(() => setSuggestedName(suggested));
    return () => ctrl.abort();
  }, [suggested, known]);

  useEffect(() => anotherRef.current?.focus(), []);

  const dispatchNow = async () => {
    if (!suggested) return;
    setBusy(true);
    setError(null);
    try {
      const r = await staffApi.act(c.id, 'dispatch', c.version, { leadOrgId: suggested });
      setD(r);
      void message.success(t('action.done', { name: actionName(t, 'dispatch'), code: c.code }));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <Result
        icon={<CheckCircleTwoTone twoToneColor="#52c41a" />}
        title={
          d.replayed ? t('intake.createdReplayed', { code: c.code }) : t('intake.created', { code: c.code })
        }
        subTitle={
          <Space orientation="vertical" size={4}>
            <span>
              <StateTag state={c.state} label={c.stateLabel} /> {c.title}
            </span>
            {mergedInto && <span>{t('intake.mergedInto', { code: mergedInto.code })}</span>}
          </Space>
        }
        extra={
          <Space wrap>
            {canDispatch && c.state === 'received' && (
              <Button type="primary" onClick={dispatchNow} loading={busy}>
                {t('intake.dispatchNow', { unit: suggestedName ?? suggested ?? '' })}
              </Button>
            )}
            <Button onClick={() => navigate(`/staff/cases/${c.id}`)}>{t('intake.openCase')}</Button>
            <Button ref={anotherRef} onClick={onAnother}>
              {t('intake.another')}
            </Button>
          </Space>
        }
      />
      {c.routing?.reasons && (
        <Alert
          type="info"
          showIcon
          title={t('case.routing')}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {c.routing.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          }
        />
      )}
      {error && (
        <div style={{ marginTop: 12 }}>
          <ErrorAlert error={error} />
        </div>
      )}
    </Card>
  );
}
