import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import {
  ApiError,
  type AppNotification,
  api,
  type CaseDetailResult,
  type MyCaseResult,
  type Satisfaction,
  type TimelineItem,
} from '../api.ts';
import { CopyCode } from '../components/CopyCode.tsx';
import { PhotoGallery } from '../components/PhotoGallery.tsx';
import { EmptyState, ErrorState, Loading } from '../components/Status.tsx';
import { TextAreaField } from '../components/TextAreaField.tsx';
import { formatDateTime } from '../format.ts';
import { useDocumentTitle } from '../hooks.ts';
import { type Lang, labelFor, useLang, useT } from '../i18n.ts';
import { href, Link } from '../router.tsx';
import { signedOut, useSession } from '../session.ts';
import { useAsync } from '../useAsync.ts';

/** States after which nothing more happens to an appeal. */
const DONE = new Set(['closed', 'voided', 'merged']);

/** Shown instead of the page when nobody (or a staff member) is signed in. */
function CitizenGate({ next, children }: { next: string; children: ReactNode }) {
  const t = useT();
  const session = useSession();
  if (session.status === 'loading') return <Loading />;
  if (session.status === 'error') return <ErrorState error={session.error} />;
  if (session.status === 'staff') {
    return (
      <section className="card">
        <p>{t('my.staffNote')}</p>
        <Link to="/me" className="btn btn-secondary">
          {t('nav.me')}
        </Link>
      </section>
    );
  }
  if (session.status !== 'citizen') {
    return (
      <section className="card">
        <p>{t('my.signInNeeded')}</p>
        <div className="button-row">
          <Link to={href('/login', { tab: 'citizen', next })} className="btn btn-primary">
            {t('my.signIn')}
          </Link>
          <Link to="/appeal/new" className="btn btn-secondary">
            {t('home.appealCta')}
          </Link>
        </div>
      </section>
    );
  }
  return <>{children}</>;
}

function StateTag({ state, label }: { state: string; label: string }) {
  const lang = useLang();
  const kind = DONE.has(state)
    ? 'done'
    : state === 'replied' || state === 'answered_directly'
      ? 'replied'
      : 'open';
  return <span className={`tag state-${kind}`}>{labelFor(lang, 'state', state, label)}</span>;
}

/** `/my`: the signed-in citizen's appeals, newest first, and their latest messages. */
export function MyAppealsPage() {
  const t = useT();
  useDocumentTitle(t('my.title'));
  return (
    <>
      <h1 tabIndex={-1} className="page-title">
        {t('my.title')}
      </h1>
      <CitizenGate next="/my">
        <MyList />
      </CitizenGate>
    </>
  );
}

function MyList() {
  const t = useT();
  const lang = useLang();
  const { state, reload } = useAsync('my-cases', (s) => api.myCases(s));
  useEffect(() => {
    if (state.status === 'error' && state.error.status === 401) signedOut();
  }, [state]);

  return (
    <>
      <p>
        <Link to="/appeal/new" className="btn btn-primary">
          {t('home.appealCta')}
        </Link>
      </p>
      <section className="card" aria-labelledby="my-list">
        <h2 id="my-list">{t('my.listTitle')}</h2>
        {state.status === 'loading' ? (
          <Loading />
        ) : state.status === 'error' ? (
          <ErrorState error={state.error} onRetry={reload} />
        ) : state.data.items.length === 0 ? (
          <EmptyState action={<Link to="/appeal/new">{t('home.appealCta')}</Link>}>
            {t('my.empty')}
          </EmptyState>
        ) : (
          <ul className="list">
            {state.data.items.map((c) => (
              <li key={c.id}>
                <Link to={`/my/${encodeURIComponent(c.id)}`} className="list-item">
                  <span className="list-main">
                    <span className="list-title">{c.title}</span>
                    <span className="list-meta">
                      <StateTag state={c.state} label={c.stateLabel} />
                      <span className="mono">{c.code}</span> · {formatDateTime(lang, c.receivedAt)}
                      {c.satisfaction
                        ? ` · ${labelFor(lang, 'satisfaction', c.satisfaction, c.satisfaction)}`
                        : ''}
                    </span>
                  </span>
                  <span className="chevron" aria-hidden="true">
                    ›
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <Messages />
    </>
  );
}

/** The latest in-app messages, when the server has them (`GET /api/notifications` is new: a 404 hides this). */
function Messages() {
  const t = useT();
  const lang = useLang();
  const { state } = useAsync('notifications', (s) => api.notifications(s));
  if (state.status !== 'ok') return null;
  const items: AppNotification[] = (state.data.items ?? []).slice(0, 3);
  if (items.length === 0) return null;
  return (
    <section className="card" aria-labelledby="my-messages">
      <h2 id="my-messages">{t('my.messages')}</h2>
      <ul className="list">
        {items.map((n) => (
          <li key={String(n.id)} className={n.readAt ? 'message' : 'message unread'}>
            <div className="list-item list-item-static">
              <span className="list-main">
                <span className="list-title">
                  {n.readAt ? null : <span className="visually-hidden">{t('my.unread')} </span>}
                  {n.caseId ? <Link to={`/my/${encodeURIComponent(n.caseId)}`}>{n.title}</Link> : n.title}
                </span>
                {n.body ? <span>{n.body}</span> : null}
                {n.createdAt ? <span className="list-meta">{formatDateTime(lang, n.createdAt)}</span> : null}
              </span>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** `/my/:id`: one appeal with its timeline, replies and the rating form when it may be rated. */
export function MyAppealPage({ id }: { id: string }) {
  const t = useT();
  useDocumentTitle(t('detail.title'));
  return (
    <>
      <p className="back-link">
        <Link to="/my">‹ {t('detail.back')}</Link>
      </p>
      <h1 tabIndex={-1} className="page-title">
        {t('detail.title')}
      </h1>
      <CitizenGate next={`/my/${encodeURIComponent(id)}`}>
        <Detail id={id} />
      </CitizenGate>
    </>
  );
}

function Detail({ id }: { id: string }) {
  const t = useT();
  const { state, reload } = useAsync(`my-case:${id}`, (s) => api.myCase(id, s));
  useEffect(() => {
    if (state.status === 'error' && state.error.status === 401) signedOut();
  }, [state]);

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') {
    return (
      <section className="card">
        <ErrorState
          error={state.error}
          onRetry={reload}
          title={state.error.status === 404 || state.error.status === 400 ? t('detail.notFound') : undefined}
        />
      </section>
    );
  }
  return <DetailView key={id} id={id} initial={state.data} reload={reload} />;
}

function DetailView({ id, initial, reload }: { id: string; initial: MyCaseResult; reload: () => void }) {
  const t = useT();
  const lang = useLang();
  // After rating, the page is refreshed in place (no spinner, no jump to the top).
  const [fresh, setFresh] = useState<MyCaseResult | null>(null);
  const [justRated, setJustRated] = useState(false);
  const ratedRef = useRef<HTMLHeadingElement>(null);
  const data = fresh ?? initial;
  const onRated = async () => {
    try {
      setFresh(await api.myCase(id));
      setJustRated(true);
      requestAnimationFrame(() => ratedRef.current?.focus());
    } catch {
      reload();
    }
  };
  const c = data.detail.case;
  const canRate = data.detail.abilities.actions.includes('rate');
  const place = [c.location.townshipName, c.location.villageName, c.location.address]
    .filter(Boolean)
    .join(' · ');
  const privacy = c.contact.anonymous ? 'anonymous' : c.contact.confidential ? 'confidential' : 'normal';
  const items = [...data.timeline.items].reverse();
  // The latest answer is what the citizen came for: shown first, before the rating form.
  const latestReply = items
    .map((e) => ({ e, text: e.details?.reply ?? e.details?.answer }))
    .find((x) => typeof x.text === 'string' && x.text.trim());

  return (
    <>
      <section className="card" aria-labelledby="detail-head">
        <h2 id="detail-head" className="detail-title">
          {c.title}
        </h2>
        <p>
          <StateTag state={c.state} label={c.stateLabel} />
        </p>
        <CopyCode code={c.code} size="small" />
        <dl className="facts">
          <div>
            <dt>{t('detail.category')}</dt>
            <dd>{c.category?.name ?? '—'}</dd>
          </div>
          <div>
            <dt>{t('detail.received')}</dt>
            <dd>{formatDateTime(lang, c.receivedAt)}</dd>
          </div>
          {place ? (
            <div>
              <dt>{t('detail.place')}</dt>
              <dd>{place}</dd>
            </div>
          ) : null}
          {c.lead ? (
            <div>
              <dt>{t('detail.lead')}</dt>
              <dd>{c.lead.name}</dd>
            </div>
          ) : null}
          <div>
            <dt>{t('detail.privacy')}</dt>
            <dd>{t(`appeal.privacy.${privacy}`)}</dd>
          </div>
          {c.closedAt ? (
            <div>
              <dt>{t('detail.closed')}</dt>
              <dd>{formatDateTime(lang, c.closedAt)}</dd>
            </div>
          ) : null}
        </dl>
        <h3 className="detail-section">{t('detail.description')}</h3>
        <p className="prewrap">{c.description}</p>
        <PhotoGallery photos={c.attachments} />
      </section>

      {latestReply ? (
        <section className="card" aria-labelledby="latest-reply">
          <h2 id="latest-reply">{t('detail.latestReply')}</h2>
          <p className="muted small">
            {formatDateTime(lang, latestReply.e.at)} · {latestReply.e.actor.name}
          </p>
          <blockquote className="reply">
            <p className="prewrap">{String(latestReply.text)}</p>
          </blockquote>
        </section>
      ) : null}

      {canRate ? (
        <RatingForm detail={data.detail} onRated={() => void onRated()} />
      ) : c.satisfaction ? (
        <section className="card" aria-labelledby="rated">
          <h2 id="rated" ref={ratedRef} tabIndex={-1}>
            {t('rate.yours')}
          </h2>
          {justRated ? <p className="notice">{t('rate.thanks')}</p> : null}
          <p>
            {c.resolved === null
              ? ''
              : c.resolved
                ? `${t('rate.resolvedYes')} · `
                : `${t('rate.resolvedNo')} · `}
            {labelFor(lang, 'satisfaction', c.satisfaction, c.satisfaction)}
          </p>
        </section>
      ) : null}

      <section className="card" aria-labelledby="timeline">
        <h2 id="timeline">{t('detail.timeline')}</h2>
        {items.length === 0 ? (
          <EmptyState>{t('detail.noTimeline')}</EmptyState>
        ) : (
          <ol className="timeline">
            {items.map((e) => (
              <TimelineEntry key={e.seq} e={e} lang={lang} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function TimelineEntry({ e, lang }: { e: TimelineItem; lang: Lang }) {
  const t = useT();
  const d = e.details ?? {};
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v : null);
  const reply = text(d.reply) ?? text(d.answer);
  return (
    <li className={reply ? 'tl-item tl-reply' : 'tl-item'}>
      <p className="tl-head">
        <strong>{labelFor(lang, 'action', e.action, e.label)}</strong>
        <span className="muted small">
          {' '}
          · {formatDateTime(lang, e.at)} · {e.actor.kind === 'citizen' ? t('detail.me') : e.actor.name}
        </span>
      </p>
      {reply ? (
        <blockquote className="reply">
          <p className="small muted">{t('detail.replyLabel')}</p>
          <p className="prewrap">{reply}</p>
        </blockquote>
      ) : null}
      {text(d.leadName) ? <p className="small">{t('detail.sentTo', { name: String(d.leadName) })}</p> : null}
      {text(d.intoCode) ? (
        <p className="small">{t('detail.mergedInto', { code: String(d.intoCode) })}</p>
      ) : null}
      {typeof d.satisfaction === 'string' ? (
        <p className="small">
          {d.resolved === true
            ? `${t('rate.resolvedYes')} · `
            : d.resolved === false
              ? `${t('rate.resolvedNo')} · `
              : ''}
          {labelFor(lang, 'satisfaction', d.satisfaction, d.satisfaction)}
        </p>
      ) : null}
    </li>
  );
}

const SATISFACTIONS: Satisfaction[] = ['satisfied', 'basically_satisfied', 'unsatisfied'];

function RatingForm({ detail, onRated }: { detail: CaseDetailResult; onRated: () => void }) {
  const t = useT();
  const lang = useLang();
  const id = useId();
  const [resolved, setResolved] = useState<boolean | null>(null);
  const [satisfaction, setSatisfaction] = useState<Satisfaction | null>(null);
  const [comment, setComment] = useState('');
  const [sending, setSending] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (sending) return;
    const local: Record<string, string> = {};
    if (resolved === null) local.resolved = t('rate.resolvedRequired');
    if (satisfaction === null) local.satisfaction = t('rate.satisfactionRequired');
    if (satisfaction === 'unsatisfied' && !comment.trim()) local.comment = t('rate.commentWhy');
    setErrors(local);
    setError(null);
    const first = ['resolved', 'satisfaction', 'comment'].find((k) => k in local);
    if (first) {
      document.querySelector<HTMLElement>(`[data-rate="${id}-${first}"]`)?.focus();
      return;
    }
    setSending(true);
    try {
      await api.rateMyCase(detail.case.id, {
        resolved: resolved!,
        satisfaction: satisfaction!,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
        version: detail.case.version,
      });
      onRated();
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError(0, 'CLIENT_ERROR', String(err));
      if (apiErr.status === 401) signedOut();
      setError(apiErr);
      setErrors(apiErr.fieldErrors());
      setSending(false);
    }
  };

  return (
    <section className="card rate" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('rate.title')}</h2>
      <p className="muted">{t('rate.lead')}</p>
      <form onSubmit={submit} noValidate>
        <fieldset className={errors.resolved ? 'field has-error' : 'field'}>
          <legend>{t('rate.resolved')}</legend>
          <div className="choice-row">
            {[true, false].map((v, i) => (
              <label key={String(v)} className="choice choice-inline">
                <input
                  type="radio"
                  name={`${id}-resolved`}
                  checked={resolved === v}
                  onChange={() => setResolved(v)}
                  data-rate={i === 0 ? `${id}-resolved` : undefined}
                />
                <span>{v ? t('rate.resolvedYes') : t('rate.resolvedNo')}</span>
              </label>
            ))}
          </div>
          {errors.resolved ? <p className="field-error">! {errors.resolved}</p> : null}
        </fieldset>
        <fieldset className={errors.satisfaction ? 'field has-error' : 'field'}>
          <legend>{t('rate.satisfaction')}</legend>
          <div className="choice-row">
            {SATISFACTIONS.map((s, i) => (
              <label key={s} className="choice choice-inline">
                <input
                  type="radio"
                  name={`${id}-satisfaction`}
                  checked={satisfaction === s}
                  onChange={() => setSatisfaction(s)}
                  data-rate={i === 0 ? `${id}-satisfaction` : undefined}
                />
                <span>{labelFor(lang, 'satisfaction', s, s)}</span>
              </label>
            ))}
          </div>
          {errors.satisfaction ? <p className="field-error">! {errors.satisfaction}</p> : null}
        </fieldset>
        <TextAreaField
          label={satisfaction === 'unsatisfied' ? t('rate.commentUnsatisfied') : t('rate.comment')}
          value={comment}
          onValue={setComment}
          error={errors.comment}
          rows={3}
          max={1000}
          maxLength={1100}
          data-rate={`${id}-comment`}
        />
        {error ? (
          <div className="form-error" role="alert">
            <span className="status-icon" aria-hidden="true">
              !
            </span>
            <div>
              <p>{error.message}</p>
              {error.status === 409 ? (
                <button type="button" className="btn btn-secondary" onClick={onRated}>
                  {t('common.reload')}
                </button>
              ) : null}
            </div>
          </div>
        ) : null}
        <button type="submit" className="btn btn-primary btn-block" disabled={sending} aria-busy={sending}>
          {sending ? t('rate.sending') : t('rate.submit')}
        </button>
      </form>
    </section>
  );
}
