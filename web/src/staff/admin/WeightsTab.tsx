/** Weights of the composite assessment score (percent, summing to 100) and the worth of 基本满意. */
import { App, Button, Form, InputNumber, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useAsync } from '../../useAsync.ts';
import { type ApiError, asApiError, staffApi, type Weights } from '../api.ts';
import { useT } from '../i18n.ts';
import { ErrorAlert, fieldErrorsOf } from '../ui.tsx';

export function WeightsTab() {
  const t = useT();
  const { message } = App.useApp();
  const [stamp, setStamp] = useState(0);
  const { state, reload } = useAsync(`weights|${stamp}`, (signal) => staffApi.weights(signal));
  const [form] = Form.useForm<Weights>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const values = Form.useWatch([], form) as Weights | undefined;
  const sum = (values?.response ?? 0) + (values?.resolution ?? 0) + (values?.satisfaction ?? 0);

  useEffect(() => {
    if (state.status === 'ok') form.setFieldsValue(state.data);
  }, [state, form]);

  if (state.status === 'error') return <ErrorAlert error={state.error} onRetry={reload} />;
  if (state.status === 'loading')
    return <Typography.Text type="secondary">{t('common.loading')}</Typography.Text>;

  const save = async (v: Weights) => {
    setBusy(true);
    setError(null);
    try {
      await staffApi.putWeights(v);
      void message.success(t('common.saved'));
      setStamp((s) => s + 1);
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as keyof Weights, errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };

  const d = state.data;
  return (
    <Form<Weights> form={form} layout="vertical" onFinish={save} disabled={busy} style={{ maxWidth: 520 }}>
      <Typography.Paragraph type="secondary">{t('admin.weightsHint')}</Typography.Paragraph>
      <Space size={16} wrap>
        {(['response', 'resolution', 'satisfaction'] as const).map((k) => (
          <Form.Item
            key={k}
            name={k}
            label={t(`rate.${k}`)}
            rules={[{ required: true, type: 'number', min: 0, max: 100 }]}
          >
            <InputNumber min={0} max={100} suffix="%" style={{ width: 120 }} />
          </Form.Item>
        ))}
      </Space>
      <Form.Item
        name="basicWeight"
        label={t('admin.basicWeight')}
        extra={t('admin.basicWeightHint')}
        rules={[{ required: true, type: 'number', min: 0, max: 1 }]}
      >
        <InputNumber min={0} max={1} step={0.1} style={{ width: 120 }} />
      </Form.Item>
      <Space style={{ marginBottom: 12, display: 'flex' }} wrap>
        <Tag color={sum === 100 ? 'green' : 'red'}>{t('admin.weightsSum', { n: sum })}</Tag>
        {d.isDefault ? (
          <Tag>{t('admin.defaultsInUse')}</Tag>
        ) : (
          <Tag color="blue">{t('admin.customWeights')}</Tag>
        )}
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('admin.defaults', {
            a: d.defaults.response,
            b: d.defaults.resolution,
            c: d.defaults.satisfaction,
            w: d.defaults.basicWeight,
          })}
        </Typography.Text>
      </Space>
      {error && <ErrorAlert error={error} />}
      <div>
        <Button type="primary" htmlType="submit" loading={busy} disabled={sum !== 100}>
          {t('common.save')}
        </Button>
      </div>
    </Form>
  );
}
