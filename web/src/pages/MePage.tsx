import { useEffect, useState } from 'react';
import { ApiError, api, type Citizen, type StaffUser } from '../api.ts';
import { OrgBrowser } from '../components/OrgBrowser.tsx';
import { ErrorState, Loading } from '../components/Status.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { orgKindLabel, roleLabel, useLang, useT } from '../i18n.ts';
import { href, Link, navigate, useLocation } from '../router.tsx';
import { loadSession, signedOut, useSession } from '../session.ts';

/** `/me`: who is signed in; staff also browse their jurisdiction. */
export function MePage() {
  const t = useT();
  const session = useSession();
  useDocumentTitle(t('me.title'));

  useEffect(() => {
    if (session.status === 'anonymous') navigate(href('/login', { next: '/me' }), { replace: true });
  }, [session.status]);

  return (
    <>
      <h1 tabIndex={-1} className="page-title">
        {t('me.title')}
      </h1>
      {session.status === 'staff' ? (
        <StaffView user={session.user} />
      ) : session.status === 'citizen' ? (
        <CitizenView citizen={session.citizen} />
      ) : session.status === 'error' ? (
        <section className="card">
          <ErrorState error={session.error} onRetry={() => void loadSession()} />
        </section>
      ) : (
        <section className="card">
          <Loading />
        </section>
      )}
    </>
  );
}

function StaffView({ user }: { user: StaffUser }) {
  const t = useT();
  const lang = useLang();
  const { query } = useLocation();
  return (
    <>
      <section className="card" aria-labelledby="me-profile">
        <h2 id="me-profile">{user.displayName}</h2>
        <dl className="facts">
          <div>
            <dt>{t('me.role')}</dt>
            <dd>{roleLabel(lang, user.role)}</dd>
          </div>
          <div>
            <dt>{t('me.unit')}</dt>
            <dd>
              {user.org.name} <span className="tag">{orgKindLabel(lang, user.org.kind, null)}</span>
            </dd>
          </div>
          <div>
            <dt>{t('me.username')}</dt>
            <dd>{user.username}</dd>
          </div>
        </dl>
        {user.role === 'grid_worker' || user.role === 'cadre' ? (
          <p>
            <Link to="/grid" className="btn btn-primary">
              {t('me.gridApp')}
            </Link>
          </p>
        ) : null}
        <SignOutButton />
      </section>
      <section className="card" aria-labelledby="me-scope">
        <h2 id="me-scope">{t('me.scope')}</h2>
        <OrgBrowser rootId={user.org.scopeRootId} orgId={query.get('org')} />
      </section>
    </>
  );
}

function CitizenView({ citizen }: { citizen: Citizen }) {
  const t = useT();
  return (
    <section className="card" aria-labelledby="me-citizen">
      <h2 id="me-citizen">{t('me.citizenAccount')}</h2>
      <dl className="facts">
        <div>
          <dt>{t('me.phone')}</dt>
          <dd className="mono">{citizen.phoneMasked}</dd>
        </div>
      </dl>
      <div className="button-row">
        <Link to="/my" className="btn btn-primary">
          {t('home.myCta')}
        </Link>
        <Link to="/appeal/new" className="btn btn-secondary">
          {t('home.appealCta')}
        </Link>
      </div>
      <SignOutButton />
    </section>
  );
}

function SignOutButton() {
  const t = useT();
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const signOut = async () => {
    setSending(true);
    setError(null);
    try {
      await api.logout();
      signedOut();
      navigate('/');
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'CLIENT_ERROR', String(err)));
      setSending(false);
    }
  };

  return (
    <div className="actions">
      <button
        type="button"
        className="btn btn-secondary"
        onClick={signOut}
        disabled={sending}
        aria-busy={sending}
      >
        {sending ? t('me.signingOut') : t('me.signOut')}
      </button>
      {error ? (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      ) : null}
    </div>
  );
}
