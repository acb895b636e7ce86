/**
 * The working calendar of a year: official holidays and adjusted working days (调休) from the
 * `chinese-days` data, and the county's own overrides, which an admin adds or removes here.
 */
import { App, Button, Form, Input, Popconfirm, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useAsync } from '../../useAsync.ts';
import { type ApiError, asApiError, type CalendarDay, staffApi } from '../api.ts';
import { useStaffLang, useT } from '../i18n.ts';
import { chinaDay, ErrorAlert, fieldErrorsOf } from '../ui.tsx';

export function CalendarTab() {
  const t = useT();
  const lang = useStaffLang();
  const { message } = App.useApp();
  const thisYear = Number(chinaDay(new Date()).slice(0, 4));
  const [year, setYear] = useState(thisYear);
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`cal|${year}|${stamp}`, (signal) => staffApi.calendar(year, signal));
  const [form] = Form.useForm<{ date: string; working: boolean; note?: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={reload} />;
  const days: CalendarDay[] = state.status === 'ok' ? state.data.months.flatMap((m) => m.days) : [];

  const put = async (v: { date: string; working: boolean; note?: string }) => {
    setBusy(true);
    setError(null);
    try {
      await staffApi.putCalendarOverride(v.date, {
        working: v.working,
        ...(v.note?.trim() ? { note: v.note.trim() } : {}),
      });
      void message.success(t('common.saved'));
      form.resetFields();
      setStamp((s) => s + 1);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as 'date', errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (date: string) => {
    try {
      await staffApi.deleteCalendarOverride(date);
      setStamp((s) => s + 1);
    } catch (err) {
      setError(asApiError(err));
    }
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Select
          value={year}
          onChange={setYear}
          options={[thisYear - 1, thisYear, thisYear + 1].map((y) => ({ value: y, label: String(y) }))}
          style={{ width: 100 }}
          aria-label={t('admin.year')}
        />
        {state.status === 'ok' && !state.data.known && <Tag color="orange">{t('admin.yearUnknown')}</Tag>}
      </Space>
      <Form
        form={form}
        layout="inline"
        onFinish={put}
        disabled={busy}
        initialValues={{ working: false }}
        style={{ rowGap: 8 }}
      >
        <Form.Item
          name="date"
          label={t('admin.date')}
          rules={[{ required: true, pattern: /^\d{4}-\d{2}-\d{2}$/ }]}
        >
          <Input type="date" style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="working">
          <Radio.Group
            optionType="button"
            options={[
              { value: false, label: t('admin.dayOff') },
              { value: true, label: t('admin.workday') },
            ]}
          />
        </Form.Item>
        <Form.Item name="note" label={t('admin.note')}>
          <Input maxLength={100} style={{ width: 220 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('admin.addOverride')}
        </Button>
      </Form>
      {error && <ErrorAlert error={error} />}
      <Table<CalendarDay>
        rowKey="date"
        size="small"
        loading={state.status === 'loading'}
        dataSource={days}
        pagination={false}
        scroll={{ y: 480 }}
        columns={[
          { title: t('admin.date'), dataIndex: 'date', width: 120 },
          {
            title: t('admin.weekday'),
            dataIndex: 'weekday',
            width: 80,
            render: (w: number) =>
              new Intl.DateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' }).format(
                new Date(Date.UTC(2023, 0, 1 + w)),
              ),
          },
          {
            title: t('admin.dayKind'),
            dataIndex: 'kind',
            width: 110,
            render: (k: string, d) => (
              <Tag color={d.source === 'override' ? 'purple' : k === 'holiday' ? 'red' : 'blue'}>
                {t(`dayKind.${k}`)}
              </Tag>
            ),
          },
          {
            title: t('admin.dayName'),
            key: 'n',
            render: (_, d) => (lang === 'en' ? d.nameEn : d.name) ?? '—',
          },
          {
            title: t('admin.working'),
            dataIndex: 'working',
            width: 90,
            render: (w: boolean) =>
              w ? <Tag color="blue">{t('admin.workday')}</Tag> : <Tag color="red">{t('admin.dayOff')}</Tag>,
          },
          { title: t('admin.note'), dataIndex: 'note', render: (n: string | null) => n ?? '' },
          {
            title: '',
            key: 'x',
            width: 90,
            render: (_, d) =>
              d.source === 'override' ? (
                <Popconfirm title={t('admin.removeOverrideQ')} onConfirm={() => void remove(d.date)}>
                  <Button size="small" danger>
                    {t('admin.removeOverride')}
                  </Button>
                </Popconfirm>
              ) : null,
          },
        ]}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('admin.calendarHint')}
      </Typography.Text>
    </Space>
  );
}
