import { useEffect, useRef } from 'react';
import { AppealForm } from '../components/AppealForm.tsx';
import { AppealSuccess } from '../components/AppealSuccess.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { useT } from '../i18n.ts';
import { href, Link, navigate, useLocation } from '../router.tsx';

export const WEB_DRAFT_KEY = 'gongzhi.appealDraft';

/** `/appeal/new`: submit an appeal (诉求一个口子进). */
export function AppealPage() {
  const t = useT();
  useDocumentTitle(t('appeal.title'));
  return (
    <>
      <h1 tabIndex={-1} className="page-title">
        {t('appeal.title')}
      </h1>
      <p className="muted">{t('appeal.lead')}</p>
      <section className="card">
        <AppealForm
          mode="web"
          draftKey={WEB_DRAFT_KEY}
          onDone={(done) =>
            navigate(
              href('/appeal/done', { id: done.id, code: done.code, replayed: done.replayed ? 1 : null }),
              { replace: true },
            )
          }
        />
      </section>
    </>
  );
}

/** `/appeal/done?code=…&id=…`: the tracking code (also after a reload: it is in the address). */
export function AppealDonePage() {
  const t = useT();
  const { query } = useLocation();
  const code = query.get('code');
  const id = query.get('id');
  const headingRef = useRef<HTMLHeadingElement>(null);
  useDocumentTitle(t('success.title'));
  useEffect(() => headingRef.current?.focus(), []);

  if (!code) {
    return (
      <section className="card">
        <h1 tabIndex={-1}>{t('success.missingTitle')}</h1>
        <p>{t('success.missing')}</p>
        <Link to="/my" className="btn btn-primary">
          {t('nav.myAppeals')}
        </Link>
      </section>
    );
  }
  return (
    <AppealSuccess
      code={code}
      replayed={query.get('replayed') === '1'}
      headingRef={headingRef}
      actions={
        <>
          {id ? (
            <Link to={`/my/${encodeURIComponent(id)}`} className="btn btn-primary">
              {t('success.track')}
            </Link>
          ) : null}
          <Link to="/appeal/new" className="btn btn-secondary">
            {t('success.another')}
          </Link>
        </>
      }
    />
  );
}
