import { useEffect, useRef, useState } from 'react';
import { ApiError, api, type Id, type OrgDetail, type OrgSummary } from '../api.ts';
import { useFocusOnChange } from '../hooks.ts';
import { orgKindLabel, useLang, useT } from '../i18n.ts';
import { href, Link } from '../router.tsx';
import { signedOut } from '../session.ts';
import { useAsync } from '../useAsync.ts';
import { StaffGrids } from './StaffGrids.tsx';
import { EmptyState, ErrorState, Loading } from './Status.tsx';

/** Deepest jurisdiction tree we walk up for breadcrumbs (province → … → grid is 6 levels). */
const MAX_DEPTH = 8;

type OrgCache = Map<string, OrgDetail>;

async function loadOrg(cache: OrgCache, id: Id, signal: AbortSignal): Promise<OrgDetail> {
  const key = String(id);
  const hit = cache.get(key);
  if (hit) return hit;
  const detail = await api.org(id, signal);
  cache.set(key, detail);
  return detail;
}

/**
 * The org and its ancestors up to the user's scope root, root first. An ancestor the server will not
 * show (outside the jurisdiction) simply ends the chain.
 */
async function loadChain(cache: OrgCache, id: Id, rootId: Id, signal: AbortSignal): Promise<OrgDetail[]> {
  const chain = [await loadOrg(cache, id, signal)];
  while (chain.length < MAX_DEPTH) {
    const top = chain[0]!.org;
    if (String(top.id) === String(rootId) || top.parentId === null || top.parentId === undefined) break;
    try {
      chain.unshift(await loadOrg(cache, top.parentId, signal));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) break;
      throw err;
    }
  }
  return chain;
}

function isVillage(org: OrgSummary): boolean {
  return org.kind === 'village' || org.subtype === 'village' || org.subtype === 'community';
}

/** 我的辖区: browse the org tree from the user's scope root; `orgId` comes from the URL (`/me?org=…`). */
export function OrgBrowser({ rootId, orgId }: { rootId: Id; orgId: string | null }) {
  const t = useT();
  const lang = useLang();
  const current = orgId ?? String(rootId);
  // Caches live as long as this view (not the tab), so nothing of one user's jurisdiction outlives
  // sign-out; within the view, breadcrumbs and going back need no new request.
  const [orgCache] = useState<OrgCache>(() => new Map());
  const [chainCache] = useState(() => new Map<string, OrgDetail[]>());
  const { state, reload } = useAsync(
    `org:${current}`,
    (signal) => loadChain(orgCache, current, rootId, signal),
    chainCache,
  );
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusOnChange(current, headingRef);

  useEffect(() => {
    if (state.status === 'error' && state.error.status === 401) signedOut();
  }, [state]);

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') {
    if (state.error.status === 404) {
      return (
        <EmptyState action={<Link to="/me">{t('org.backToRoot')}</Link>}>{t('org.notFound')}</EmptyState>
      );
    }
    return <ErrorState error={state.error} onRetry={reload} />;
  }

  const chain = state.data;
  const detail = chain[chain.length - 1]!;
  const { org, children } = detail;
  const link = (id: Id) => (String(id) === String(rootId) ? '/me' : href('/me', { org: String(id) }));

  return (
    <div className="org-browser">
      {chain.length > 1 ? (
        <nav aria-label={t('org.breadcrumb')}>
          <ol className="breadcrumbs">
            {chain.map((c, i) => (
              <li key={String(c.org.id)}>
                {i < chain.length - 1 ? (
                  <Link to={link(c.org.id)}>{c.org.name}</Link>
                ) : (
                  <span aria-current="location">{c.org.name}</span>
                )}
              </li>
            ))}
          </ol>
        </nav>
      ) : null}
      <h3 ref={headingRef} tabIndex={-1} className="org-title">
        {org.name} <span className="tag">{orgKindLabel(lang, org.kind, org.subtype)}</span>
      </h3>

      {children.length > 0 ? (
        <>
          <h4 className="list-heading">{t('org.children', { n: children.length })}</h4>
          <ul className="list">
            {children.map((c) => (
              <li key={String(c.id)}>
                <Link to={link(c.id)} className="list-item">
                  <span className="list-main">
                    <span className="list-title">{c.name}</span>
                    <span className="list-meta">
                      <span className="tag">{orgKindLabel(lang, c.kind, c.subtype)}</span>
                    </span>
                  </span>
                  <span className="chevron" aria-hidden="true">
                    ›
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </>
      ) : isVillage(org) ? null : (
        <EmptyState>{t('org.noChildren')}</EmptyState>
      )}

      {isVillage(org) ? <StaffGrids villageCode={String(org.code ?? org.id)} /> : null}
    </div>
  );
}
