/** Staff sign-in (password); back to the page asked for, else the role's home. */
import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Button, Card, Form, Input, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { navigate, useLocation } from '../router.tsx';
import { type ApiError, asApiError, staffApi } from './api.ts';
import { useT } from './i18n.ts';
import { LangSwitch } from './Layout.tsx';
import { homeFor } from './roles.ts';
import { signedIn, useStaffSession } from './session.ts';
import { ErrorAlert, fieldErrorsOf } from './ui.tsx';

/** Only a workbench path is a safe place to return to. */
function safeNext(next: string | null): string | null {
  return next && /^\/staff(\/|$|\?)/.test(next) && !next.startsWith('/staff/login') ? next : null;
}

export function LoginPage() {
  const t = useT();
  const { query } = useLocation();
  const session = useStaffSession();
  const [form] = Form.useForm<{ username: string; password: string }>();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(query.get('next'));

  // Already signed in (another tab, or back button): go on.
  useEffect(() => {
    if (session.status === 'staff') navigate(next ?? homeFor(session.user.role), { replace: true });
  }, [session, next]);

  const submit = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const r = await staffApi.login(v.username.trim(), v.password);
      signedIn(r.user);
      navigate(next ?? homeFor(r.user.role), { replace: true });
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as 'username', errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      style={{
        minHeight: '100vh',
        display: 'grid',
        // One column no wider than the screen: a 400 px card alone would overflow a phone.
        gridTemplateColumns: 'minmax(0, 1fr)',
        placeItems: 'center',
        background: 'linear-gradient(160deg, #0f2a52 0%, #1d4f91 55%, #eef3fb 55.1%)',
        padding: 16,
      }}
    >
      <div style={{ position: 'fixed', top: 16, right: 16 }}>
        <LangSwitch />
      </div>
      <Card style={{ width: '100%', maxWidth: 400, boxShadow: '0 12px 40px rgba(15,42,82,.25)' }}>
        <div style={{ textAlign: 'center', marginBottom: 20 }}>
          <div
            className="gz-brand-mark"
            style={{ width: 48, height: 48, fontSize: 24, margin: '0 auto 10px' }}
          >
            治
          </div>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('login.title')}
          </Typography.Title>
          <Typography.Text type="secondary">{t('login.subtitle')}</Typography.Text>
        </div>
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} disabled={busy}>
          <Form.Item
            name="username"
            label={t('login.username')}
            rules={[{ required: true, whitespace: true, message: t('login.usernameRequired') }]}
          >
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus size="large" />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('login.password')}
            rules={[{ required: true, message: t('login.passwordRequired') }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" size="large" />
          </Form.Item>
          {error && (
            <div style={{ marginBottom: 16 }}>
              <ErrorAlert error={error} compact />
            </div>
          )}
          <Button type="primary" htmlType="submit" block size="large" loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0, fontSize: 12 }}>
          {t('login.citizenHint')} <a href="/login">{t('login.citizenLink')}</a>
        </Typography.Paragraph>
      </Card>
    </div>
  );
}
