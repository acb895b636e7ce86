import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { TextField } from '../components/TextField.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { useT } from '../i18n.ts';
import { href, navigate, useLocation } from '../router.tsx';
import { signedInCitizen, signedInStaff, useSession } from '../session.ts';

type Tab = 'staff' | 'citizen';
const TABS: Tab[] = ['staff', 'citizen'];

/** Only same-origin paths may be a post-login destination (no `//evil.example`, no `/\\evil`). */
function safeNext(next: string | null): string | null {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  if (next.startsWith('/login')) return null;
  return next;
}

/** `/login`: staff sign in with username and password; citizens with phone and SMS code. */
export function LoginPage() {
  const t = useT();
  const session = useSession();
  const { query } = useLocation();
  const tab: Tab = query.get('tab') === 'citizen' ? 'citizen' : 'staff';
  const next = safeNext(query.get('next'));
  const tabRefs = useRef<Record<Tab, HTMLButtonElement | null>>({ staff: null, citizen: null });
  useDocumentTitle(t('login.title'));

  const signedIn = session.status === 'staff' || session.status === 'citizen';
  useEffect(() => {
    if (signedIn) navigate(next ?? '/me', { replace: true });
  }, [signedIn, next]);

  const select = (to: Tab, focus = false) => {
    navigate(href('/login', { tab: to === 'staff' ? null : to, next }), { replace: true });
    if (focus) tabRefs.current[to]?.focus();
  };

  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    const i = TABS.indexOf(tab);
    const to =
      e.key === 'ArrowRight'
        ? TABS[(i + 1) % TABS.length]
        : e.key === 'ArrowLeft'
          ? TABS[(i - 1 + TABS.length) % TABS.length]
          : e.key === 'Home'
            ? TABS[0]
            : e.key === 'End'
              ? TABS[TABS.length - 1]
              : undefined;
    if (to) {
      e.preventDefault();
      select(to, true);
    }
  };

  return (
    <section className="card login">
      <h1 tabIndex={-1}>{t('login.title')}</h1>
      <div className="tabs" role="tablist" aria-label={t('login.tabsLabel')}>
        {TABS.map((k) => (
          <button
            key={k}
            ref={(el) => {
              tabRefs.current[k] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${k}`}
            aria-selected={tab === k}
            aria-controls={`panel-${k}`}
            tabIndex={tab === k ? 0 : -1}
            className="tab"
            onClick={() => select(k)}
            onKeyDown={onTabKey}
          >
            {k === 'staff' ? t('login.tabStaff') : t('login.tabCitizen')}
          </button>
        ))}
      </div>
      {/* Both panels stay mounted so switching tabs keeps what was typed. */}
      <div role="tabpanel" id="panel-staff" aria-labelledby="tab-staff" hidden={tab !== 'staff'}>
        <StaffLoginForm next={next} />
      </div>
      <div role="tabpanel" id="panel-citizen" aria-labelledby="tab-citizen" hidden={tab !== 'citizen'}>
        <CitizenLoginForm next={next} />
      </div>
    </section>
  );
}

/** The server's error for the whole form (message) and per field (details). */
function FormError({ error }: { error: ApiError | null }) {
  const t = useT();
  if (!error) return null;
  return (
    <div className="form-error" role="alert">
      <span className="status-icon" aria-hidden="true">
        !
      </span>
      <div>
        <p>{error.message}</p>
        {error.code === 'AUTH_LOCKED' ? <p className="small">{t('login.lockedHint')}</p> : null}
      </div>
    </div>
  );
}

function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'CLIENT_ERROR', String(err));
}

function StaffLoginForm({ next }: { next: string | null }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (sending) return;
    const local: Record<string, string> = {};
    if (!username.trim()) local.username = t('login.usernameRequired');
    if (!password) local.password = t('login.passwordRequired');
    setFieldErrors(local);
    setError(null);
    if (Object.keys(local).length > 0) return;
    setSending(true);
    try {
      const r = await api.login(username.trim(), password);
      signedInStaff(r.user);
      navigate(next ?? '/me');
    } catch (err) {
      const apiErr = toApiError(err);
      setError(apiErr);
      setFieldErrors(apiErr.fieldErrors());
      setSending(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-describedby="staff-login-note">
      <p id="staff-login-note" className="muted">
        {t('login.staffNote')}
      </p>
      <TextField
        label={t('login.username')}
        value={username}
        onValue={setUsername}
        error={fieldErrors.username}
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
      />
      <TextField
        label={t('login.password')}
        value={password}
        onValue={setPassword}
        error={fieldErrors.password}
        name="password"
        type={showPassword ? 'text' : 'password'}
        autoComplete="current-password"
        required
        addon={
          <button
            type="button"
            className="btn btn-secondary btn-addon"
            aria-pressed={showPassword}
            onClick={() => setShowPassword((s) => !s)}
          >
            {t('login.showPassword')}
          </button>
        }
      />
      <FormError error={error} />
      <button type="submit" className="btn btn-primary btn-block" disabled={sending} aria-busy={sending}>
        {sending ? t('login.signingIn') : t('login.submit')}
      </button>
    </form>
  );
}

const PHONE_RE = /^1\d{10}$/;
const CODE_RE = /^\d{4,8}$/;

function CitizenLoginForm({ next }: { next: string | null }) {
  const t = useT();
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [sending, setSending] = useState<'otp' | 'verify' | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [codeInLog, setCodeInLog] = useState(false);
  const [resendAt, setResendAt] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const codeRef = useRef<HTMLInputElement>(null);

  const wait = Math.max(0, Math.ceil((resendAt - now) / 1000));
  useEffect(() => {
    if (wait <= 0) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [wait]);

  const cleanPhone = phone.replace(/[\s-]/g, '');

  const requestCode = async () => {
    if (sending || wait > 0) return;
    setError(null);
    if (!PHONE_RE.test(cleanPhone)) {
      setFieldErrors({ phone: t('login.phoneInvalid') });
      return;
    }
    setFieldErrors({});
    setSending('otp');
    try {
      const r = await api.otpRequest(cleanPhone);
      setSentTo(cleanPhone);
      // Shown unless the server says it sent a real SMS; see the proposed `delivery` field in api.ts.
      setCodeInLog(r.delivery !== 'sms');
      const start = Date.now();
      setNow(start);
      setResendAt(start + Math.max(0, r.retryAfterSeconds || 60) * 1000);
      codeRef.current?.focus();
    } catch (err) {
      const apiErr = toApiError(err);
      setError(apiErr);
      setFieldErrors(apiErr.fieldErrors());
    } finally {
      setSending(null);
    }
  };

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (sending) return;
    setError(null);
    const local: Record<string, string> = {};
    if (!PHONE_RE.test(cleanPhone)) local.phone = t('login.phoneInvalid');
    if (!CODE_RE.test(code.trim())) local.code = t('login.codeInvalid');
    setFieldErrors(local);
    if (Object.keys(local).length > 0) return;
    setSending('verify');
    try {
      const r = await api.otpVerify(cleanPhone, code.trim());
      signedInCitizen(r.citizen);
      navigate(next ?? '/me');
    } catch (err) {
      const apiErr = toApiError(err);
      setError(apiErr);
      setFieldErrors(apiErr.fieldErrors());
      setSending(null);
    }
  };

  const otpLabel =
    sending === 'otp'
      ? t('login.sendingCode')
      : wait > 0
        ? t('login.resendIn', { n: wait })
        : sentTo
          ? t('login.resend')
          : t('login.getCode');

  return (
    <form onSubmit={submit} noValidate>
      <p className="muted">{t('login.citizenNote')}</p>
      <TextField
        label={t('login.phone')}
        value={phone}
        onValue={setPhone}
        error={fieldErrors.phone}
        name="phone"
        type="tel"
        inputMode="tel"
        autoComplete="tel"
        maxLength={20}
        required
        addon={
          <button
            type="button"
            className="btn btn-secondary btn-addon"
            onClick={requestCode}
            disabled={sending !== null || wait > 0}
            aria-busy={sending === 'otp'}
          >
            {otpLabel}
          </button>
        }
      />
      {sentTo ? (
        <div className="notice" role="status">
          <p>{t('login.codeSent', { phone: `${sentTo.slice(0, 3)}****${sentTo.slice(-4)}` })}</p>
          {codeInLog ? <p className="small">{t('login.devHint')}</p> : null}
        </div>
      ) : null}
      <TextField
        ref={codeRef}
        label={t('login.code')}
        value={code}
        onValue={(v) => setCode(v.replace(/\D/g, ''))}
        error={fieldErrors.code}
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={8}
        required
      />
      <FormError error={error} />
      <button
        type="submit"
        className="btn btn-primary btn-block"
        disabled={sending !== null}
        aria-busy={sending === 'verify'}
      >
        {sending === 'verify' ? t('login.signingIn') : t('login.submit')}
      </button>
    </form>
  );
}
