/**
 * One small form per workflow action (inputs as in server/engine/workflows/{appeal,event,shared}.ts).
 * The case detail shows a button for each action in `abilities.actions` and opens its form here.
 */
import {
  Alert,
  Empty,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Rate,
  Select,
  Space,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import {
  type ApiError,
  asApiError,
  type CaseData,
  type CaseDetail,
  type DuplicateItem,
  type StaffUser,
  staffApi,
} from './api.ts';
import { actionName, useStaffLang, useT } from './i18n.ts';
import { OrgPicker, type OrgPreset } from './OrgPicker.tsx';
import { ErrorAlert, fieldErrorsOf, formatShort, StateTag } from './ui.tsx';

/** The order buttons appear in: the next step of the main flow first, side paths after. */
export const ACTION_ORDER = [
  'dispatch',
  'answer_directly',
  'sign',
  'first_contact',
  'handle',
  'solve_on_spot',
  'assist_reply',
  'reply',
  'audit',
  'verify',
  'revisit',
  'close',
  'redo',
  'report',
  'report_done',
  'rate_report',
  'whistle',
  'request_extension',
  'decide_extension',
  'request_return',
  'decide_return',
  'reassign',
  'merge',
  'urge',
  'supervise',
  'suspend',
  'resume',
  'void',
];

/** The main-flow actions, shown as primary buttons. */
export const PRIMARY_ACTIONS = new Set([
  'dispatch',
  'sign',
  'first_contact',
  'handle',
  'reply',
  'audit',
  'verify',
  'revisit',
  'close',
  'report',
  'report_done',
  'decide_return',
  'decide_extension',
]);

/** Actions that end or freeze a case: shown in red and confirmed. */
export const DANGER_ACTIONS = new Set(['void', 'suspend']);

/** Sorts the server's action codes into display order (unknown codes last, as given). */
export function sortActions(actions: string[]): string[] {
  const rank = (a: string) => {
    const i = ACTION_ORDER.indexOf(a);
    return i < 0 ? ACTION_ORDER.length : i;
  };
  return [...actions].sort((a, b) => rank(a) - rank(b));
}

/**
 * The name of an org unit the case itself mentions (lead, units, place, whistled departments), so
 * that no lookup is needed — a lookup outside the reader's jurisdiction would answer 404.
 */
export function knownOrgName(c: CaseData, id: string): string | null {
  if (c.lead?.id === id) return c.lead.name;
  const unit = c.units.find((u) => u.orgId === id);
  if (unit) return unit.name;
  if (c.location.villageId === id) return c.location.villageName;
  if (c.location.townshipId === id) return c.location.townshipName;
  return c.whistles.find((w) => w.departmentId === id)?.departmentName ?? null;
}

/** Units worth suggesting for this case: the routing's suggestion, its village and township. */
export function casePresets(c: CaseData, t: (k: string) => string): OrgPreset[] {
  const out: OrgPreset[] = [];
  const suggested = c.routing?.suggestedLeadOrgId;
  if (suggested)
    out.push({ id: suggested, name: knownOrgName(c, suggested) ?? suggested, hint: t('action.suggested') });
  if (c.location.villageId)
    out.push({
      id: c.location.villageId,
      name: c.location.villageName ?? c.location.villageId,
      hint: t('action.ownVillage'),
    });
  if (c.location.townshipId)
    out.push({
      id: c.location.townshipId,
      name: c.location.townshipName ?? c.location.townshipId,
      hint: t('action.ownTownship'),
    });
  return out;
}

type Values = Record<string, unknown>;

/** Drops empty strings and undefined so optional fields stay out of the input (the schemas forbid empty text). */
function clean(v: Values): Values {
  const out: Values = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null) continue;
    if (typeof x === 'string' && x.trim() === '') continue;
    if (Array.isArray(x) && x.length === 0) continue;
    out[k] = typeof x === 'string' ? x.trim() : x;
  }
  return out;
}

/** The form values → the action's input (where the two differ). */
function toInput(action: string, v: Values): Values {
  switch (action) {
    case 'rate_report': {
      const [whistleId, departmentId] = String(v.target ?? '').split('|');
      return clean({ whistleId, departmentId, rating: v.rating, comment: v.comment });
    }
    case 'decide_return':
      return clean(
        v.decision === 'insist'
          ? { decision: 'insist', note: v.note }
          : { decision: 'redispatch', leadOrgId: v.leadOrgId, assistOrgIds: v.assistOrgIds, note: v.note },
      );
    case 'audit':
      return clean({ approved: v.approved === 'yes', comment: v.comment });
    case 'verify':
      return clean({ passed: v.passed === 'yes', note: v.note });
    case 'decide_extension':
      return clean({ approved: v.approved === 'yes', note: v.note });
    case 'revisit':
      return clean({
        resolved: v.resolved === 'yes',
        satisfaction: v.satisfaction,
        comment: v.comment,
        method: v.method,
      });
    case 'reply':
      return clean(v.resolved === undefined ? { ...v } : { ...v, resolved: v.resolved === 'yes' });
    default:
      return clean(v);
  }
}

function initialValues(action: string, c: CaseData): Values {
  switch (action) {
    case 'dispatch':
      return { leadOrgId: c.routing?.suggestedLeadOrgId };
    case 'first_contact':
      return { method: 'phone' };
    case 'audit':
      return { approved: 'yes' };
    case 'verify':
      return { passed: 'yes' };
    case 'decide_extension':
      return { approved: 'yes' };
    case 'revisit':
      return { resolved: 'yes', satisfaction: 'satisfied', method: 'phone' };
    case 'decide_return':
      return { decision: 'redispatch' };
    case 'supervise':
      return { level: 'yellow' };
    case 'whistle':
      return { reasonClass: 'resident_demand' };
    case 'request_extension':
      return { days: 5 };
    case 'rate_report':
      return { rating: 5 };
    default:
      return {};
  }
}

/** The modal form for one action on one case. Resolves with the case as the server now sees it. */
export function ActionModal({
  action,
  detail,
  user,
  open,
  onClose,
  onDone,
}: {
  action: string | null;
  detail: CaseDetail;
  user: StaffUser;
  open: boolean;
  onClose: () => void;
  onDone: (d: CaseDetail) => void;
}) {
  const t = useT();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const c = detail.case;

  useEffect(() => {
    if (open && action) {
      form.resetFields();
      form.setFieldsValue(initialValues(action, c));
      setError(null);
    }
  }, [open, action, c, form]);

  if (!action) return null;

  const submit = async () => {
    let values: Values;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const d = await staffApi.act(c.id, action, c.version, toInput(action, values));
      onDone(d);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      const fields = fieldErrorsOf(e).filter(
        (f) => form.getFieldInstance(f.name) !== undefined || f.name in values,
      );
      if (fields.length) form.setFields(fields);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={`${actionName(t, action)} · ${c.code}`}
      onCancel={onClose}
      onOk={submit}
      okText={t('action.submit', { name: actionName(t, action) })}
      okButtonProps={{ loading: busy, danger: DANGER_ACTIONS.has(action) }}
      cancelText={t('common.cancel')}
      destroyOnHidden
      width={action === 'merge' || action === 'dispatch' || action === 'decide_return' ? 640 : 520}
      mask={{ closable: false }}
    >
      <Form form={form} layout="vertical" requiredMark="optional" disabled={busy} onFinish={submit}>
        <ActionFields action={action} c={c} user={user} />
      </Form>
      {error && (
        <ErrorAlert
          error={error}
          onRetry={error.code === 'CONFLICT' ? () => window.location.reload() : undefined}
        />
      )}
    </Modal>
  );
}

const req = (message: string) => [{ required: true, whitespace: true, message }];

export function TextField({
  name,
  label,
  required,
  rows = 3,
  max = 1000,
  placeholder,
}: {
  name: string;
  label: string;
  required?: boolean;
  rows?: number;
  max?: number;
  placeholder?: string;
}) {
  const t = useT();
  return (
    <Form.Item
      name={name}
      label={label}
      rules={
        required
          ? req(t('form.required', { field: label }))
          : [{ whitespace: true, message: t('form.noBlank') }]
      }
    >
      <Input.TextArea rows={rows} maxLength={max} showCount placeholder={placeholder} />
    </Form.Item>
  );
}

function YesNo({ name, label, yes, no }: { name: string; label: string; yes: string; no: string }) {
  return (
    <Form.Item name={name} label={label} rules={[{ required: true }]}>
      <Radio.Group
        optionType="button"
        buttonStyle="solid"
        options={[
          { value: 'yes', label: yes },
          { value: 'no', label: no },
        ]}
      />
    </Form.Item>
  );
}

/** The rating part shared by the revisit form here and the revisit screen's fast form. */
export function RatingFields() {
  const t = useT();
  return (
    <>
      <YesNo
        name="resolved"
        label={t('rating.resolved')}
        yes={t('rating.resolvedYes')}
        no={t('rating.resolvedNo')}
      />
      <Form.Item name="satisfaction" label={t('rating.satisfaction')} rules={[{ required: true }]}>
        <Radio.Group
          optionType="button"
          buttonStyle="solid"
          options={[
            { value: 'satisfied', label: t('satisfaction.satisfied') },
            { value: 'basically_satisfied', label: t('satisfaction.basically_satisfied') },
            { value: 'unsatisfied', label: t('satisfaction.unsatisfied') },
          ]}
        />
      </Form.Item>
      <Form.Item name="method" label={t('rating.method')}>
        <Radio.Group
          options={['phone', 'sms', 'visit'].map((m) => ({ value: m, label: t(`contactMethod.${m}`) }))}
        />
      </Form.Item>
      <Form.Item
        name="comment"
        label={t('rating.comment')}
        dependencies={['satisfaction']}
        rules={[
          ({ getFieldValue }) => ({
            validator: (_, v: string | undefined) =>
              getFieldValue('satisfaction') === 'unsatisfied' && !v?.trim()
                ? Promise.reject(new Error(t('rating.commentWhyUnsatisfied')))
                : Promise.resolve(),
          }),
        ]}
      >
        <Input.TextArea rows={2} maxLength={1000} showCount />
      </Form.Item>
    </>
  );
}

function ActionFields({ action, c, user }: { action: string; c: CaseData; user: StaffUser }) {
  const t = useT();
  const presets = useMemo(() => casePresets(c, t), [c, t]);
  const isEvent = c.type === 'event';

  switch (action) {
    case 'dispatch':
      return <DispatchFields c={c} presets={presets} />;
    case 'reassign':
      return (
        <>
          <Form.Item
            name="leadOrgId"
            label={t('field.leadOrg')}
            rules={[{ required: true, message: t('form.pickUnit') }]}
          >
            <OrgPicker presets={presets} />
          </Form.Item>
          <Form.Item name="assistOrgIds" label={t('field.assistOrgs')}>
            <OrgPicker multiple presets={presets} />
          </Form.Item>
          <TextField name="reason" label={t('field.reason')} required />
        </>
      );
    case 'answer_directly':
      return <TextField name="answer" label={t('field.answer')} required rows={5} max={2000} />;
    case 'sign':
      return (
        <Alert
          type="info"
          showIcon
          title={t('action.signConfirm', { lead: c.lead?.name ?? '' })}
          description={c.deadlines.find((d) => d.stage === 'sign') ? t('action.signHint') : undefined}
        />
      );
    case 'first_contact':
      return (
        <>
          <Form.Item name="method" label={t('field.contactMethod')} rules={[{ required: true }]}>
            <Radio.Group
              optionType="button"
              options={['phone', 'visit', 'sms', 'other'].map((m) => ({
                value: m,
                label: t(`contactMethod.${m}`),
              }))}
            />
          </Form.Item>
          <TextField name="note" label={t('field.contactNote')} required />
        </>
      );
    case 'handle':
      return <TextField name="note" label={t('field.handleNote')} required />;
    case 'solve_on_spot':
      return <TextField name="result" label={t('field.result')} required />;
    case 'assist_reply':
      return <TextField name="reply" label={t('field.assistReply')} required rows={5} max={2000} />;
    case 'reply':
      return isEvent ? (
        <TextField name="result" label={t('field.result')} required rows={5} max={2000} />
      ) : (
        <>
          <AssistReplies c={c} />
          <TextField name="reply" label={t('field.reply')} required rows={6} max={2000} />
          <Form.Item name="resolved" label={t('field.resolvedByUnit')}>
            <Radio.Group
              options={[
                { value: 'yes', label: t('rating.resolvedYes') },
                { value: 'no', label: t('rating.resolvedNo') },
              ]}
            />
          </Form.Item>
        </>
      );
    case 'audit':
      return (
        <>
          <LeadReply c={c} />
          <YesNo
            name="approved"
            label={t('field.auditResult')}
            yes={t('field.approve')}
            no={t('field.reject')}
          />
          <Form.Item
            name="comment"
            label={t('field.comment')}
            dependencies={['approved']}
            rules={[
              ({ getFieldValue }) => ({
                validator: (_, v: string | undefined) =>
                  getFieldValue('approved') === 'no' && !v?.trim()
                    ? Promise.reject(new Error(t('field.rejectNeedsComment')))
                    : Promise.resolve(),
              }),
            ]}
          >
            <Input.TextArea rows={3} maxLength={1000} showCount />
          </Form.Item>
        </>
      );
    case 'verify':
      return (
        <>
          <YesNo
            name="passed"
            label={t('field.verifyResult')}
            yes={t('field.passed')}
            no={t('field.failed')}
          />
          <TextField name="note" label={t('field.note')} />
        </>
      );
    case 'revisit':
      return (
        <>
          <LeadReply c={c} />
          <RatingFields />
        </>
      );
    case 'close':
      return (
        <>
          {c.satisfaction === 'unsatisfied' && (
            <Alert
              type="warning"
              showIcon
              title={t('action.closeUnsatisfied')}
              style={{ marginBottom: 12 }}
            />
          )}
          <TextField name="note" label={t('field.closeNote')} required={c.satisfaction === 'unsatisfied'} />
        </>
      );
    case 'redo':
      return <TextField name="reason" label={t('field.redoReason')} required />;
    case 'request_return':
      return (
        <>
          <TextField name="reason" label={t('field.returnReason')} required />
          <TextField
            name="legalBasis"
            label={t('field.legalBasis')}
            rows={2}
            max={500}
            placeholder={t('field.legalBasisHint')}
          />
        </>
      );
    case 'decide_return':
      return <DecideReturnFields c={c} presets={presets} />;
    case 'request_extension':
      return (
        <>
          <Form.Item
            name="days"
            label={t('field.extensionDays')}
            rules={[
              { required: true, type: 'integer', min: 1, max: 15, message: t('field.extensionDaysRule') },
            ]}
          >
            <InputNumber
              min={1}
              max={15}
              precision={0}
              suffix={t('unit.workingDays')}
              style={{ width: 200 }}
            />
          </Form.Item>
          <TextField name="reason" label={t('field.reason')} required />
        </>
      );
    case 'decide_extension':
      return (
        <>
          {c.pending.extension ? (
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 12 }}
              title={t('action.extensionAsked', { days: c.pending.extension.days })}
              description={c.pending.extension.reason}
            />
          ) : (
            <Alert
              type="warning"
              showIcon
              title={t('action.noExtensionPending')}
              style={{ marginBottom: 12 }}
            />
          )}
          <YesNo
            name="approved"
            label={t('field.decision')}
            yes={t('field.approve')}
            no={t('field.refuse')}
          />
          <TextField name="note" label={t('field.note')} />
        </>
      );
    case 'merge':
      return <MergeFields c={c} />;
    case 'suspend':
      return <TextField name="reason" label={t('field.suspendReason')} required max={500} />;
    case 'resume':
      return <TextField name="note" label={t('field.note')} max={500} />;
    case 'void':
      return (
        <>
          <Alert type="warning" showIcon title={t('action.voidWarn')} style={{ marginBottom: 12 }} />
          <TextField name="reason" label={t('field.voidReason')} required max={500} />
        </>
      );
    case 'urge':
      return <TextField name="message" label={t('field.urgeMessage')} required max={500} />;
    case 'supervise':
      return <SuperviseFields />;
    case 'whistle':
      return (
        <>
          <Form.Item
            name="departmentIds"
            label={t('field.whistleDepartments')}
            rules={[{ required: true, type: 'array', min: 1, message: t('form.pickUnit') }]}
          >
            <OrgPicker multiple kinds={['department']} />
          </Form.Item>
          <Form.Item name="reasonClass" label={t('field.whistleReason')} rules={[{ required: true }]}>
            <Radio.Group
              options={['resident_demand', 'joint_enforcement', 'emergency'].map((r) => ({
                value: r,
                label: t(`whistleReason.${r}`),
              }))}
            />
          </Form.Item>
          <TextField name="message" label={t('field.whistleMessage')} required />
        </>
      );
    case 'report':
    case 'report_done': {
      const wanted = action === 'report' ? 'pending' : 'reported';
      const mine = c.whistles.filter((w) => w.departmentId === user.org.id && w.status === wanted);
      const list = mine.length ? mine : c.whistles.filter((w) => w.status === wanted);
      return (
        <>
          <Form.Item
            name="whistleId"
            label={t('field.whistle')}
            initialValue={list[0]?.id}
            rules={[{ required: true, message: t('field.pickWhistle') }]}
          >
            <Select
              options={list.map((w) => ({
                value: w.id,
                label: `${formatShort(w.createdAt, 'zh-CN')} · ${w.departmentName} · ${w.message.slice(0, 30)}`,
              }))}
              notFoundContent={t('field.noWhistle')}
            />
          </Form.Item>
          {action === 'report' ? (
            <>
              <Form.Item
                name="responder"
                label={t('field.responder')}
                rules={req(t('form.required', { field: t('field.responder') }))}
              >
                <Input maxLength={100} placeholder={t('field.responderHint')} />
              </Form.Item>
              <TextField name="note" label={t('field.note')} />
            </>
          ) : (
            <TextField name="actionTaken" label={t('field.actionTaken')} required max={2000} />
          )}
        </>
      );
    }
    case 'rate_report': {
      const list = c.whistles.filter(
        (w) => (w.status === 'reported' || w.status === 'done') && w.rating === null,
      );
      return (
        <>
          <Form.Item
            name="target"
            label={t('field.whistleDept')}
            initialValue={list[0] ? `${list[0].id}|${list[0].departmentId}` : undefined}
            rules={[{ required: true, message: t('field.pickWhistle') }]}
          >
            <Select
              options={list.map((w) => ({
                value: `${w.id}|${w.departmentId}`,
                label: `${w.departmentName} · ${w.responder ?? ''} ${w.late ? `(${t('whistle.late')})` : ''}`,
              }))}
              notFoundContent={t('field.noWhistle')}
            />
          </Form.Item>
          <Form.Item name="rating" label={t('field.stars')} rules={[{ required: true }]}>
            <Rate />
          </Form.Item>
          <TextField name="comment" label={t('field.comment')} max={500} />
        </>
      );
    }
    default:
      return (
        <Alert type="info" showIcon title={t('action.genericConfirm', { name: actionName(t, action) })} />
      );
  }
}

function DispatchFields({ c, presets }: { c: CaseData; presets: OrgPreset[] }) {
  const t = useT();
  const suggested = c.routing?.suggestedLeadOrgId;
  const lead = Form.useWatch('leadOrgId') as string | undefined;
  const overriding = Boolean(suggested && lead && lead !== suggested);
  return (
    <>
      {c.routing?.reasons && c.routing.reasons.length > 0 && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('action.routingSays')}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {c.routing.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          }
        />
      )}
      <Form.Item
        name="leadOrgId"
        label={t('field.leadOrg')}
        rules={[{ required: true, message: t('form.pickUnit') }]}
      >
        <OrgPicker presets={presets} />
      </Form.Item>
      <Form.Item name="assistOrgIds" label={t('field.assistOrgs')}>
        <OrgPicker multiple presets={presets} />
      </Form.Item>
      <Form.Item
        name="note"
        label={overriding ? t('field.overrideReason') : t('field.note')}
        rules={overriding ? req(t('field.overrideNeedsReason')) : []}
        extra={overriding ? t('field.overrideHint') : undefined}
      >
        <Input.TextArea rows={2} maxLength={1000} showCount />
      </Form.Item>
    </>
  );
}

function DecideReturnFields({ c, presets }: { c: CaseData; presets: OrgPreset[] }) {
  const t = useT();
  const decision = Form.useWatch('decision') as string | undefined;
  return (
    <>
      {c.pending.returnReason && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('action.returnAsked', { unit: c.lead?.name ?? c.pending.returnFrom ?? '' })}
          description={c.pending.returnReason}
        />
      )}
      <Form.Item name="decision" label={t('field.decision')} rules={[{ required: true }]}>
        <Radio.Group
          optionType="button"
          buttonStyle="solid"
          options={[
            { value: 'redispatch', label: t('field.redispatch') },
            { value: 'insist', label: t('field.insist') },
          ]}
        />
      </Form.Item>
      {decision !== 'insist' && (
        <>
          <Form.Item
            name="leadOrgId"
            label={t('field.newLeadOrg')}
            rules={[{ required: true, message: t('form.pickUnit') }]}
          >
            <OrgPicker presets={presets.filter((p) => p.id !== c.lead?.id)} />
          </Form.Item>
          <Form.Item name="assistOrgIds" label={t('field.assistOrgs')}>
            <OrgPicker multiple presets={presets} />
          </Form.Item>
        </>
      )}
      <TextField name="note" label={t('field.note')} required />
    </>
  );
}

export function SuperviseFields() {
  const t = useT();
  return (
    <>
      <Form.Item name="level" label={t('field.superviseLevel')} rules={[{ required: true }]}>
        <Radio.Group
          optionType="button"
          buttonStyle="solid"
          options={['normal', 'yellow', 'red'].map((l) => ({ value: l, label: t(`supervision.${l}`) }))}
        />
      </Form.Item>
      <TextField name="message" label={t('field.superviseMessage')} required max={500} />
      <Form.Item name="days" label={t('field.superviseDays')} extra={t('field.superviseDaysHint')}>
        <InputNumber min={1} max={30} precision={0} suffix={t('unit.workingDays')} style={{ width: 200 }} />
      </Form.Item>
    </>
  );
}

function LeadReply({ c }: { c: CaseData }) {
  const t = useT();
  const lead = c.units.find((u) => u.relation === 'lead' && u.reply);
  if (!lead?.reply) return null;
  return (
    <Alert
      type="success"
      style={{ marginBottom: 12 }}
      title={t('action.replyOf', { unit: lead.name })}
      description={<p className="gz-pre">{lead.reply}</p>}
    />
  );
}

function AssistReplies({ c }: { c: CaseData }) {
  const t = useT();
  const assists = c.units.filter((u) => u.relation === 'assist');
  if (!assists.length) return null;
  return (
    <div style={{ marginBottom: 12 }}>
      <Typography.Text strong>{t('action.assistReplies')}</Typography.Text>
      {assists.map((u) => (
        <div key={u.orgId} style={{ marginTop: 4 }}>
          <Tag color={u.reply ? 'green' : 'orange'}>{u.name}</Tag>
          {u.reply ?? t('action.assistWaiting')}
        </div>
      ))}
    </div>
  );
}

function MergeFields({ c }: { c: CaseData }) {
  const t = useT();
  const lang = useStaffLang();
  const [dups, setDups] = useState<DuplicateItem[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<{ id: string; code: string; title: string }[]>([]);

  useEffect(() => {
    const ctrl = new AbortController();
    staffApi
      .duplicatesOf(c.id, ctrl.signal)
      .then((r) => setDups(r.items))
      .catch((err) => !ctrl.signal.aborted && setError(asApiError(err)));
    return () => ctrl.abort();
  }, [c.id]);

  useEffect(() => {
    if (search.trim().length < 2) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      staffApi
        .cases({ queue: 'all', q: search.trim(), limit: 10 }, ctrl.signal)
        .then((r) =>
          setFound(
            r.items
              .filter((x) => x.id !== c.id && !['closed', 'voided', 'merged'].includes(x.state))
              .map((x) => ({ id: x.id, code: x.code, title: x.title })),
          ),
        )
        .catch(() => setFound([]));
    }, 300);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [search, c.id]);

  return (
    <>
      <Typography.Paragraph type="secondary">{t('merge.hint')}</Typography.Paragraph>
      {error && <ErrorAlert error={error} compact />}
      {!dups && !error && <Spin />}
      <Form.Item
        name="intoCaseId"
        label={t('merge.into')}
        rules={[{ required: true, message: t('merge.pick') }]}
      >
        <Radio.Group style={{ width: '100%' }}>
          <Space orientation="vertical" style={{ width: '100%' }}>
            {dups?.length === 0 && (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('merge.noneFound')} />
            )}
            {dups?.map((d) => (
              <Radio key={d.id} value={d.id}>
                <Space size={6} wrap>
                  <a href={`/staff/cases/${d.id}`} target="_blank" rel="noreferrer">
                    {d.code}
                  </a>
                  <span>{d.title}</span>
                  <StateTag state={d.state} />
                  <Tag color="magenta">{t('merge.score', { s: Math.round(d.score * 100) })}</Tag>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {formatShort(d.receivedAt, lang)} · {d.reasons.join('；')}
                  </Typography.Text>
                </Space>
              </Radio>
            ))}
            {found
              .filter((f) => !dups?.some((d) => d.id === f.id))
              .map((f) => (
                <Radio key={f.id} value={f.id}>
                  {f.code} · {f.title}
                </Radio>
              ))}
          </Space>
        </Radio.Group>
      </Form.Item>
      <Form.Item label={t('merge.searchOther')}>
        <Input.Search
          allowClear
          placeholder={t('merge.searchPlaceholder')}
          onSearch={setSearch}
          onChange={(e) => setSearch(e.target.value)}
        />
      </Form.Item>
      <TextField name="note" label={t('field.note')} max={500} />
    </>
  );
}
