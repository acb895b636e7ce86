import { useDocumentTitle } from '../hooks.ts';
import { useT } from '../i18n.ts';
import { Link } from '../router.tsx';

/**
 * `/board`: a public board of resolved appeals by village, anonymised. There is no public endpoint
 * for it yet, so it says so instead of showing made-up cases.
 */
export function BoardPage() {
  const t = useT();
  useDocumentTitle(t('board.title'));
  return (
    <>
      <h1 tabIndex={-1} className="page-title">
        {t('board.title')}
      </h1>
      <section className="card">
        <div className="status status-empty coming-soon">
          <p className="coming-soon-mark" aria-hidden="true">
            ☷
          </p>
          <p>
            <strong>{t('board.soonTitle')}</strong>
          </p>
          <p>{t('board.soon')}</p>
          <p className="small">{t('board.privacy')}</p>
        </div>
        <div className="button-row">
          <Link to="/" className="btn btn-secondary">
            {t('board.browse')}
          </Link>
          <Link to="/appeal/new" className="btn btn-primary">
            {t('home.appealCta')}
          </Link>
        </div>
      </section>
    </>
  );
}
