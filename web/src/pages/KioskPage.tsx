import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import { type AppealDone, AppealForm } from '../components/AppealForm.tsx';
import { AppealSuccess } from '../components/AppealSuccess.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { getLang, LANG_NAMES, LANGS, setLang, useLang, useT } from '../i18n.ts';
import { clearDraft } from '../offline/draft.ts';
import { largeText, useStore } from '../prefs.ts';
import { getSession, signedOut, useSession } from '../session.ts';

export const KIOSK_DRAFT_KEY = 'gongzhi.kioskDraft';
/** Inactivity before the kiosk clears everything and starts again. */
export const KIOSK_IDLE_MS = 90_000;
/** The last seconds are counted down on screen. */
const WARN_MS = 10_000;
/** Short button labels (the full name is the accessible name and starts the same). */
const SHORT_LANG: Record<(typeof LANGS)[number], string> = { 'zh-CN': '简体', 'zh-TW': '繁體', en: 'EN' };
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'input', 'wheel', 'touchmove'] as const;

/** Ends any session on this shared device; a failure still forgets it locally. */
async function endSession(): Promise<void> {
  if (getSession().status === 'anonymous') return;
  try {
    await api.logout();
  } catch {
    /* the cookie may already be gone */
  }
  signedOut();
}

/**
 * `/kiosk`: the appeal form for unmanned service kiosks (无人律岗, service halls). Large touch
 * targets, no hover-only UI, on-screen-keyboard friendly inputs; after 90 s without a touch it
 * clears the form, signs out and starts again, counting down the last 10 s. Appeals are sent with
 * channel 'kiosk'. Photos and "my location" are left out: a kiosk has neither a camera roll nor a
 * position that says where the problem is.
 */
export function KioskPage() {
  const t = useT();
  const lang = useLang();
  const big = useStore(largeText);
  const session = useSession();
  const [round, setRound] = useState(0);
  const [done, setDone] = useState<AppealDone | null>(null);
  const [touched, setTouched] = useState(false);
  const lastActivity = useRef(Date.now());
  const [now, setNow] = useState(() => Date.now());
  const headingRef = useRef<HTMLHeadingElement>(null);
  // What the kiosk was set to when it started: every reset goes back to it.
  const [defaults] = useState(() => ({ lang: getLang(), big: largeText.get() }));
  useDocumentTitle(t('kiosk.title'));

  useEffect(() => {
    document.documentElement.classList.add('kiosk-mode');
    return () => document.documentElement.classList.remove('kiosk-mode');
  }, []);

  const reset = useCallback(() => {
    clearDraft(KIOSK_DRAFT_KEY);
    clearDraft(`${KIOSK_DRAFT_KEY}.photos`);
    void endSession();
    setLang(defaults.lang);
    largeText.set(defaults.big);
    setDone(null);
    setTouched(false);
    setRound((r) => r + 1);
    lastActivity.current = Date.now();
    setNow(Date.now());
    window.scrollTo(0, 0);
    requestAnimationFrame(() => headingRef.current?.focus());
  }, [defaults]);

  // A session left from before (a reload, another page) is never kept.
  const sessionStatus = session.status;
  const startedRef = useRef(false);
  useEffect(() => {
    if (startedRef.current || sessionStatus === 'loading') return;
    startedRef.current = true;
    if (sessionStatus !== 'anonymous') void endSession();
  }, [sessionStatus]);

  // The page re-renders only when the countdown is near (every second then), not while people type.
  const warningShown = useRef(false);
  useEffect(() => {
    const onActivity = () => {
      lastActivity.current = Date.now();
      setTouched(true);
      if (warningShown.current) setNow(Date.now());
    };
    for (const e of ACTIVITY_EVENTS)
      document.addEventListener(e, onActivity, { capture: true, passive: true });
    let timer: ReturnType<typeof setTimeout>;
    const check = () => {
      const t = Date.now();
      const idle = t - lastActivity.current;
      const warnAt = KIOSK_IDLE_MS - WARN_MS;
      if (idle >= warnAt || warningShown.current) setNow(t);
      timer = setTimeout(check, idle >= warnAt ? 1000 : warnAt - idle + 20);
    };
    timer = setTimeout(check, 1000);
    return () => {
      for (const e of ACTIVITY_EVENTS) document.removeEventListener(e, onActivity, { capture: true });
      clearTimeout(timer);
    };
  }, []);

  // Only a kiosk with something to clear counts down (not the untouched start screen).
  const dirty = touched || done !== null || session.status === 'citizen';
  const left = KIOSK_IDLE_MS - (now - lastActivity.current);
  useEffect(() => {
    if (dirty && left <= 0) reset();
  }, [dirty, left, reset]);
  const warning = dirty && left <= WARN_MS && left > 0;
  warningShown.current = warning;

  return (
    <div className="kiosk">
      <header className="kiosk-header">
        <div className="kiosk-top">
          <p className="kiosk-brand">
            <span className="brand-mark" aria-hidden="true">
              共
            </span>
            {t('kiosk.brand')}
          </p>
          <button type="button" className="btn btn-toggle" onClick={reset}>
            {t('kiosk.startOver')}
          </button>
        </div>
        <div className="kiosk-tools">
          {/* biome-ignore lint/a11y/useSemanticElements: a group of toggle buttons, not a form fieldset. */}
          <div role="group" aria-label={t('header.language')} className="kiosk-langs">
            {LANGS.map((l) => (
              <button
                key={l}
                type="button"
                lang={l}
                className="btn btn-toggle"
                aria-pressed={lang === l}
                title={LANG_NAMES[l]}
                onClick={() => setLang(l)}
              >
                {SHORT_LANG[l]}
              </button>
            ))}
          </div>
          <button
            type="button"
            className="btn btn-toggle"
            aria-pressed={big}
            onClick={() => largeText.set(!big)}
          >
            {t('header.largeText')}
          </button>
        </div>
      </header>

      <main id="main" className="kiosk-main">
        {done ? (
          <AppealSuccess
            code={done.code}
            replayed={done.replayed}
            headingRef={headingRef}
            note={<p className="notice">{t('kiosk.successNote')}</p>}
            actions={
              <button type="button" className="btn btn-primary btn-block" onClick={reset}>
                {t('kiosk.finish')}
              </button>
            }
          />
        ) : (
          <>
            <h1 ref={headingRef} tabIndex={-1}>
              {t('kiosk.title')}
            </h1>
            <p className="lead">{t('kiosk.lead')}</p>
            <section className="card">
              <AppealForm
                key={round}
                mode="kiosk"
                draftKey={KIOSK_DRAFT_KEY}
                restoreMaxAgeMs={KIOSK_IDLE_MS}
                onDone={(d) => {
                  setDone(d);
                  lastActivity.current = Date.now();
                  requestAnimationFrame(() => headingRef.current?.focus());
                }}
              />
            </section>
          </>
        )}
      </main>

      <footer className="kiosk-footer">
        <p>{t('kiosk.privacy', { s: KIOSK_IDLE_MS / 1000 })}</p>
        <p>{t('footer.hotline')}</p>
      </footer>

      {warning ? (
        <div className="kiosk-countdown" role="alert">
          <p>
            <span className="countdown-number" aria-hidden="true">
              {Math.ceil(left / 1000)}
            </span>
            {t('kiosk.countdown', { s: Math.ceil(WARN_MS / 1000) })}
          </p>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => {
              lastActivity.current = Date.now();
              setNow(Date.now());
            }}
          >
            {t('kiosk.stay')}
          </button>
        </div>
      ) : null}
    </div>
  );
}
