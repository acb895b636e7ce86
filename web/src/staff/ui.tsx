/**
 * Small shared pieces of the workbench: error display, time formatting and countdowns, and the
 * tags for states, urgency and supervision level.
 */
import { Alert, Button, Space, Tag, Typography } from 'antd';
import { type ReactNode, useEffect, useState } from 'react';
import { type ApiError, isMissingEndpoint } from './api.ts';
import { type StaffLang, type TFn, useStaffLang, useT } from './i18n.ts';

/** The county runs on China time whatever the browser's zone. */
const TZ = 'Asia/Shanghai';

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function fmt(lang: StaffLang, opts: Intl.DateTimeFormatOptions, key: string): Intl.DateTimeFormat {
  const k = `${lang}|${key}`;
  let f = fmtCache.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { timeZone: TZ, hour12: false, ...opts });
    fmtCache.set(k, f);
  }
  return f;
}

/** "2026-11-30 14:05" style, in China time. */
export function formatDateTime(iso: string | null | undefined, lang: StaffLang): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = fmt(
    lang,
    { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' },
    'dt',
  ).formatToParts(d);
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour') === '24' ? '00' : p('hour')}:${p('minute')}`;
}

/** "11-30 14:05" — compact, for tables. */
export function formatShort(iso: string | null | undefined, lang: StaffLang): string {
  const full = formatDateTime(iso, lang);
  return full.length > 10 ? full.slice(5) : full;
}

/** The China-time calendar day (YYYY-MM-DD) of a moment. */
export function chinaDay(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Re-renders every `ms` milliseconds and returns the current time (countdowns). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** A duration as "2天3小时" / "3 h 20 min" (largest two units). */
export function formatDuration(ms: number, t: TFn): string {
  const min = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  const d = Math.floor(min / 1440);
  const h = Math.floor((min % 1440) / 60);
  const m = min % 60;
  if (d > 0) return t('time.dh', { d, h });
  if (h > 0) return t('time.hm', { h, m });
  return t('time.m', { m });
}

/** "剩 3小时20分" or "超期 2天1小时" and whether it is overdue or close. */
export function countdown(dueIso: string, now: number, t: TFn) {
  const ms = new Date(dueIso).getTime() - now;
  const overdue = ms < 0;
  const soon = !overdue && ms < 24 * 3600_000;
  return {
    overdue,
    soon,
    text: overdue
      ? t('time.overdueBy', { d: formatDuration(ms, t) })
      : t('time.left', { d: formatDuration(ms, t) }),
  };
}

/** A due time with its countdown, red when overdue, orange within a day. */
export function DueText({ iso, now }: { iso: string | null; now: number }) {
  const t = useT();
  const lang = useStaffLang();
  if (!iso) return <Typography.Text type="secondary">—</Typography.Text>;
  const c = countdown(iso, now, t);
  return (
    <span title={formatDateTime(iso, lang)}>
      <Typography.Text type={c.overdue ? 'danger' : c.soon ? 'warning' : undefined} strong={c.overdue}>
        {formatShort(iso, lang)}
      </Typography.Text>
      <br />
      <Typography.Text type={c.overdue ? 'danger' : 'secondary'} style={{ fontSize: 12 }}>
        {c.text}
      </Typography.Text>
    </span>
  );
}

const STATE_COLORS: Record<string, string> = {
  received: 'blue',
  reported: 'blue',
  answered_directly: 'cyan',
  dispatched: 'geekblue',
  return_requested: 'orange',
  signed: 'purple',
  in_progress: 'processing',
  replied: 'cyan',
  audited: 'lime',
  revisited: 'green',
  closed: 'success',
  suspended: 'warning',
  voided: 'default',
  merged: 'default',
};

/** The localised state with its colour. */
export function StateTag({ state, label }: { state: string; label?: string }) {
  const t = useT();
  return <Tag color={STATE_COLORS[state] ?? 'default'}>{stateName(t, state, label)}</Tag>;
}

/** The state's name in the chosen language, the server's (Chinese) label as the fallback. */
export function stateName(t: TFn, state: string, label?: string): string {
  const key = `state.${state}`;
  return t.has(key) ? t(key) : (label ?? state);
}

/** 督办 level: normal / yellow / red; nothing for none. */
export function SupervisionTag({ level }: { level: string }) {
  const t = useT();
  if (!level || level === 'none') return null;
  const color = level === 'red' ? 'red' : level === 'yellow' ? 'gold' : 'blue';
  return <Tag color={color}>{t(`supervision.${level}`)}</Tag>;
}

/** Urgency: only urgent and emergency are tagged. */
export function UrgencyTag({ urgency, showNormal }: { urgency: string; showNormal?: boolean }) {
  const t = useT();
  if (urgency === 'normal' && !showNormal) return null;
  const color = urgency === 'emergency' ? 'red' : urgency === 'urgent' ? 'orange' : 'default';
  return <Tag color={color}>{t(`urgency.${urgency}`)}</Tag>;
}

/**
 * An API error for people: the server's message, its field details, the request id; 409 CONFLICT
 * says someone acted first; a missing endpoint says the feature is not available on this server yet.
 */
export function ErrorAlert({
  error,
  onRetry,
  title,
  compact,
}: {
  error: ApiError;
  onRetry?: (() => void) | undefined;
  title?: ReactNode;
  compact?: boolean;
}) {
  const t = useT();
  if (isMissingEndpoint(error)) {
    return (
      <Alert
        type="warning"
        showIcon
        title={title ?? t('error.unavailable')}
        description={compact ? undefined : t('error.unavailableHint')}
      />
    );
  }
  const conflict = error.code === 'CONFLICT';
  return (
    <Alert
      type="error"
      showIcon
      title={conflict ? t('error.conflict') : (title ?? error.message)}
      description={
        <Space orientation="vertical" size={4}>
          {(conflict || title) && <span>{error.message}</span>}
          {error.details.length > 0 && (
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {error.details.map((d) => (
                <li key={`${d.field}:${d.message}`}>
                  <code>{d.field}</code>：{d.message}
                </li>
              ))}
            </ul>
          )}
          {error.requestId && !compact && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('error.requestId')} {error.requestId}
            </Typography.Text>
          )}
        </Space>
      }
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {conflict ? t('common.reload') : t('common.retry')}
          </Button>
        ) : undefined
      }
    />
  );
}

/** A rate (fraction) as "97.0 %", or — when it cannot be measured. */
export function pct(rate: number | null | undefined, digits = 1): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(digits)}%`;
}

/** Triggers a browser download of a blob. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** antd form errors from an API error's field details (`/body/leadOrgId` → `leadOrgId`). */
export function fieldErrorsOf(error: ApiError): { name: string; errors: string[] }[] {
  const byField = new Map<string, string[]>();
  for (const d of error.details) {
    const name = d.field
      .replace(/^\/+/, '')
      .replace(/^(body|input)[./]/, '')
      .replace(/^input[./]/, '')
      .split(/[./]/)[0];
    if (!name) continue;
    byField.set(name, [...(byField.get(name) ?? []), d.message]);
  }
  return [...byField].map(([name, errors]) => ({ name, errors }));
}
