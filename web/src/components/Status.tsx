import type { ReactNode } from 'react';
import type { ApiError } from '../api.ts';
import { useT } from '../i18n.ts';

/** A polite "loading" line; screen readers hear it once. */
export function Loading({ label }: { label?: string }) {
  const t = useT();
  return (
    <p className="status status-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </p>
  );
}

/** A failed load, with the server's (or the network's) message and a retry button. */
export function ErrorState({
  error,
  onRetry,
  title,
}: {
  error: ApiError;
  onRetry?: () => void;
  title?: string;
}) {
  const t = useT();
  return (
    <div className="status status-error" role="alert">
      <p className="status-title">
        <span className="status-icon" aria-hidden="true">
          !
        </span>
        {title ?? t('common.loadFailed')}
      </p>
      <p>{error.message}</p>
      {error.requestId ? (
        <p className="muted small">
          {t('common.requestId')}: <code>{error.requestId}</code>
        </p>
      ) : null}
      {onRetry ? (
        <button type="button" className="btn btn-secondary" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}

/** Nothing to show yet: a short explanation, optionally with an action. */
export function EmptyState({ children, action }: { children: ReactNode; action?: ReactNode }) {
  return (
    <div className="status status-empty">
      <p>{children}</p>
      {action}
    </div>
  );
}
