import type { CasePhoto } from '../api.ts';
import { useT } from '../i18n.ts';

/**
 * The photos of a case as thumbnails; each opens the full picture. The server decides who may
 * fetch them (the session cookie goes along), and every picture was stripped of its metadata.
 */
export function PhotoGallery({ photos }: { photos: readonly CasePhoto[] }) {
  const t = useT();
  if (photos.length === 0) return null;
  return (
    <section className="photo-gallery" aria-label={t('detail.attachments')}>
      <h3 className="detail-section">{t('detail.attachments')}</h3>
      <ul className="photo-grid">
        {photos.map((p, i) => (
          <li key={p.id}>
            <a href={`/api/attachments/${encodeURIComponent(p.id)}`} target="_blank" rel="noopener">
              <img
                src={`/api/attachments/${encodeURIComponent(p.id)}?size=thumb`}
                alt={t('detail.photoN', { n: i + 1 })}
                width={p.width >= p.height ? 160 : Math.round((160 * p.width) / p.height)}
                height={p.height >= p.width ? 160 : Math.round((160 * p.height) / p.width)}
                loading="lazy"
                decoding="async"
              />
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
