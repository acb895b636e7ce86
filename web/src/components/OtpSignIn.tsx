import { type Ref, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { useT } from '../i18n.ts';
import { TextField } from './TextField.tsx';

export const PHONE_RE = /^1\d{10}$/;
export const CODE_RE = /^\d{6}$/;

/** Spaces and dashes people type into phone numbers. */
export function cleanPhone(raw: string): string {
  return raw.replace(/[\s-]/g, '');
}

interface Props {
  phone: string;
  code: string;
  onPhone: (v: string) => void;
  onCode: (v: string) => void;
  errors: { phone?: string | undefined; code?: string | undefined };
  codeRef?: Ref<HTMLInputElement>;
}

/**
 * Phone and one-time code inside another form (the appeal form signs the citizen in on submit):
 * asks for the code, counts down to "send again", and says where the code went.
 */
export function OtpSignIn({ phone, code, onPhone, onCode, errors, codeRef }: Props) {
  const t = useT();
  const [sending, setSending] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [inLog, setInLog] = useState(false);
  const [resendAt, setResendAt] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [problem, setProblem] = useState<string | null>(null);
  const localCodeRef = useRef<HTMLInputElement | null>(null);

  const wait = Math.max(0, Math.ceil((resendAt - now) / 1000));
  useEffect(() => {
    if (wait <= 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [wait]);

  const request = async () => {
    if (sending || wait > 0) return;
    const p = cleanPhone(phone);
    if (!PHONE_RE.test(p)) {
      setProblem(t('login.phoneInvalid'));
      return;
    }
    setProblem(null);
    setSending(true);
    try {
      const r = await api.otpRequest(p);
      setSentTo(p);
      setInLog(r.delivery !== 'sms');
      const start = Date.now();
      setNow(start);
      setResendAt(start + Math.max(0, r.retryAfterSeconds || 60) * 1000);
      localCodeRef.current?.focus();
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, 'CLIENT_ERROR', String(err));
      setProblem(e.fieldErrors().phone ?? e.message);
    } finally {
      setSending(false);
    }
  };

  const label = sending
    ? t('login.sendingCode')
    : wait > 0
      ? t('login.resendIn', { n: wait })
      : sentTo
        ? t('login.resend')
        : t('login.getCode');

  return (
    <div className="otp">
      <TextField
        label={t('login.phone')}
        value={phone}
        onValue={onPhone}
        error={errors.phone ?? problem ?? undefined}
        name="phone"
        type="tel"
        inputMode="tel"
        autoComplete="tel"
        maxLength={20}
        enterKeyHint="next"
        data-field="phone"
        addon={
          <button
            type="button"
            className="btn btn-secondary btn-addon"
            onClick={request}
            disabled={sending || wait > 0}
            aria-busy={sending}
          >
            {label}
          </button>
        }
      />
      {sentTo ? (
        <div className="notice" role="status">
          <p>{t('login.codeSent', { phone: `${sentTo.slice(0, 3)}****${sentTo.slice(-4)}` })}</p>
          {inLog ? <p className="small">{t('login.devHint')}</p> : null}
        </div>
      ) : null}
      <TextField
        ref={(el) => {
          localCodeRef.current = el;
          if (typeof codeRef === 'function') codeRef(el);
          else if (codeRef) (codeRef as { current: HTMLInputElement | null }).current = el;
        }}
        label={t('login.code')}
        value={code}
        onValue={(v) => onCode(v.replace(/\D/g, ''))}
        error={errors.code}
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={6}
        enterKeyHint="send"
        data-field="code"
      />
    </div>
  );
}
