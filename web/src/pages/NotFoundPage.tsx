import { useDocumentTitle } from '../hooks.ts';
import { useT } from '../i18n.ts';
import { Link } from '../router.tsx';

/** Any path the client does not know. */
export function NotFoundPage() {
  const t = useT();
  useDocumentTitle(t('notFound.title'));
  return (
    <section className="card">
      <h1 tabIndex={-1}>{t('notFound.title')}</h1>
      <p>{t('notFound.body')}</p>
      <p>
        <Link to="/" className="btn btn-primary">
          {t('notFound.home')}
        </Link>
      </p>
    </section>
  );
}
