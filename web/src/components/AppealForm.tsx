import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, type AppealInput, api } from '../api.ts';
import { useLang, useT } from '../i18n.ts';
import { clearDraft, loadDraft, saveDraft } from '../offline/draft.ts';
import { classifyFailure, newIdempotencyKey } from '../offline/queue.ts';
import { type Photo, uploadPhotos } from '../photos.ts';
import { signedInCitizen, signedOut, useSession } from '../session.ts';
import { CategoryPicker, type PickedCategory } from './CategoryPicker.tsx';
import { CODE_RE, cleanPhone, OtpSignIn, PHONE_RE } from './OtpSignIn.tsx';
import { PhotoPicker } from './PhotoPicker.tsx';
import { EMPTY_PLACE, type Place, PlacePicker } from './PlacePicker.tsx';
import { charCount, TextAreaField } from './TextAreaField.tsx';
import { TextField } from './TextField.tsx';

export type Privacy = 'normal' | 'confidential' | 'anonymous';

/** Everything typed into the form, kept on the device as it is typed. */
export interface AppealDraft {
  /** The idempotency key of this appeal: one per draft, the same on every retry. */
  key: string;
  category: PickedCategory | null;
  description: string;
  place: Place;
  privacy: Privacy;
  contactName: string;
  contactPhone: string;
}

export interface AppealDone {
  id: string;
  code: string;
  /** The server had this appeal already (an earlier attempt got through): no second case was made. */
  replayed: boolean;
}

interface Props {
  mode: 'web' | 'kiosk';
  /** The storage key of the draft (photos are kept under `<key>.photos`). */
  draftKey: string;
  /** Drafts older than this are thrown away instead of restored (the kiosk: 90 s). */
  restoreMaxAgeMs?: number;
  onDone: (done: AppealDone) => void;
}

const DESCRIPTION_MIN = 5;
const DESCRIPTION_MAX = 5000;
const CONTACT_PHONE_RE = /^1[3-9]\d{9}$/;
/** Fields in the order they appear, to move focus to the first one in error. */
const FIELD_ORDER = [
  'categoryId',
  'description',
  'attachments',
  'place',
  'address',
  'contactName',
  'contactPhone',
  'phone',
  'code',
];

function emptyDraft(mode: Props['mode']): AppealDraft {
  return {
    key: newIdempotencyKey(mode),
    category: null,
    description: '',
    place: EMPTY_PLACE,
    privacy: 'normal',
    contactName: '',
    contactPhone: '',
  };
}

function hasContent(d: AppealDraft, photos: Photo[]): boolean {
  return Boolean(
    d.category ||
      d.description.trim() ||
      photos.length ||
      d.place.villageCode ||
      d.place.lon !== null ||
      d.place.address.trim() ||
      d.contactName.trim() ||
      d.contactPhone.trim(),
  );
}

/** Server field paths → the field that shows the message. */
function fieldOf(path: string): string {
  if (path.startsWith('attachments')) return 'attachments';
  if (path === 'lon' || path === 'lat' || path === 'villageId') return 'place';
  return path;
}

function toBody(d: AppealDraft, photoIds: string[], mode: Props['mode']): AppealInput {
  const body: AppealInput = {
    type: 'appeal',
    channel: mode,
    categoryId: d.category?.code ?? '',
    description: d.description.trim(),
    idempotencyKey: d.key,
  };
  if (d.place.lon !== null && d.place.lat !== null) {
    body.lon = d.place.lon;
    body.lat = d.place.lat;
  }
  if (d.place.villageCode) body.villageId = d.place.villageCode;
  if (d.place.address.trim()) body.address = d.place.address.trim();
  if (d.privacy === 'anonymous') body.anonymous = true;
  else {
    if (d.privacy === 'confidential') body.confidential = true;
    if (d.contactName.trim()) body.contactName = d.contactName.trim();
    if (d.contactPhone.trim()) body.contactPhone = cleanPhone(d.contactPhone);
  }
  if (photoIds.length) body.attachments = photoIds;
  return body;
}

type Phase = 'idle' | 'sending' | 'retry';

/**
 * The appeal form of the portal and the kiosk. It keeps a draft on the device as it is typed, signs
 * the citizen in (phone + code) on submit when needed, shows the server's messages next to the
 * fields, and on a network failure keeps everything and retries with the same idempotency key.
 */
export function AppealForm({ mode, draftKey, restoreMaxAgeMs, onDone }: Props) {
  const t = useT();
  const lang = useLang();
  const id = useId();
  const session = useSession();
  const photosKey = `${draftKey}.photos`;
  const formRef = useRef<HTMLFormElement>(null);

  const [initial] = useState(() => {
    const saved = loadDraft<AppealDraft>(draftKey);
    const savedPhotos = loadDraft<Photo[]>(photosKey);
    const fresh = (s: { savedAt: number } | null) =>
      s !== null && (restoreMaxAgeMs === undefined || Date.now() - s.savedAt <= restoreMaxAgeMs);
    const draft =
      fresh(saved) && saved?.value?.key ? { ...emptyDraft(mode), ...saved.value } : emptyDraft(mode);
    const photos =
      mode === 'web' && fresh(savedPhotos) && Array.isArray(savedPhotos?.value) ? savedPhotos.value : [];
    return { draft, photos, restored: hasContent(draft, photos) };
  });
  const [draft, setDraft] = useState<AppealDraft>(initial.draft);
  const [photos, setPhotos] = useState<Photo[]>(initial.photos);
  const [restored, setRestored] = useState(initial.restored);
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [phase, setPhase] = useState<Phase>('idle');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<'ok' | 'failed' | null>(null);
  const [photosSaved, setPhotosSaved] = useState(true);

  const staff = session.status === 'staff';
  const needSignIn = session.status !== 'citizen';

  // Keep the draft on the device as it is typed (a short pause first), and at once when the page goes.
  const latest = useRef(draft);
  latest.current = draft;
  const photosRef = useRef(photos);
  photosRef.current = photos;
  useEffect(() => {
    const timer = setTimeout(() => setSaved(saveDraft(draftKey, draft) ? 'ok' : 'failed'), 300);
    return () => clearTimeout(timer);
  }, [draft, draftKey]);
  useEffect(() => {
    const flush = () => saveDraft(draftKey, latest.current);
    window.addEventListener('pagehide', flush);
    return () => window.removeEventListener('pagehide', flush);
  }, [draftKey]);
  useEffect(() => {
    if (mode !== 'web') return;
    if (photos.length === 0) {
      clearDraft(photosKey);
      setPhotosSaved(true);
    } else setPhotosSaved(saveDraft(photosKey, photos));
  }, [photos, photosKey, mode]);

  const update = (change: Partial<AppealDraft>) => {
    setDraft((d) => ({ ...d, ...change }));
    // A field that is being corrected loses its old message.
    const keys = Object.keys(change).flatMap((k) =>
      k === 'category' ? ['categoryId'] : k === 'place' ? ['place', 'address'] : [k],
    );
    if (keys.some((k) => k in fieldErrors)) {
      setFieldErrors((f) => Object.fromEntries(Object.entries(f).filter(([k]) => !keys.includes(k))));
    }
  };

  const focusField = (key: string) => {
    const root = formRef.current;
    const el = root?.querySelector<HTMLElement>(`[data-field="${key}"]`);
    if (!el) return;
    const target = el.matches('input, textarea, select, button')
      ? el
      : el.querySelector<HTMLElement>('input:not([type=hidden]):not(:disabled), textarea, select, button');
    target?.focus();
    target?.scrollIntoView?.({ block: 'center' });
  };

  const showErrors = (errors: Record<string, string>) => {
    setFieldErrors(errors);
    const first = FIELD_ORDER.find((k) => k in errors);
    if (first) requestAnimationFrame(() => focusField(first));
  };

  const validate = (): Record<string, string> => {
    const e: Record<string, string> = {};
    if (!draft.category) e.categoryId = t('appeal.categoryRequired');
    const n = charCount(draft.description.trim());
    if (n < DESCRIPTION_MIN) e.description = t('appeal.descriptionShort', { min: DESCRIPTION_MIN });
    else if (n > DESCRIPTION_MAX) e.description = t('appeal.descriptionLong', { max: DESCRIPTION_MAX });
    if (draft.privacy !== 'anonymous' && draft.contactPhone.trim()) {
      if (!CONTACT_PHONE_RE.test(cleanPhone(draft.contactPhone)))
        e.contactPhone = t('appeal.contactPhoneInvalid');
    }
    if (needSignIn && !staff) {
      if (!PHONE_RE.test(cleanPhone(phone))) e.phone = t('login.phoneInvalid');
      if (!CODE_RE.test(code)) e.code = t('login.codeInvalid');
    }
    return e;
  };

  const send = async () => {
    setPhase('sending');
    setFailure(null);
    setFormError(null);
    try {
      const ids = await uploadPhotos(photosRef.current, api.upload, (photoId, serverId) => {
        photosRef.current = photosRef.current.map((p) =>
          p.id === photoId ? { ...p, uploadedId: serverId } : p,
        );
        setPhotos(photosRef.current);
      });
      const r = await api.submitAppeal(toBody(latest.current, ids, mode));
      clearDraft(draftKey);
      clearDraft(photosKey);
      onDone({ id: r.case.id, code: r.case.code, replayed: r.replayed === true });
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, 'CLIENT_ERROR', String(err));
      const kind = classifyFailure(e);
      if (kind === 'retry') {
        // Nothing is lost: the draft stays on the device, and a retry uses the same key.
        saveDraft(draftKey, latest.current);
        setFailure(e);
        setPhase('retry');
        return;
      }
      if (kind === 'auth') {
        signedOut();
        setFormError(e);
        setPhase('idle');
        requestAnimationFrame(() => focusField('phone'));
        return;
      }
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(e.fieldErrors())) fields[fieldOf(k)] ??= v;
      if (e.code === 'UPLOAD_INVALID' || e.code === 'PAYLOAD_TOO_LARGE') fields.attachments = e.message;
      if (fields.attachments) {
        // Uploaded ids that the server no longer takes (expired, another account): upload again.
        photosRef.current = photosRef.current.map(({ uploadedId: _, ...p }) => p);
        setPhotos(photosRef.current);
      }
      setFormError(e);
      showErrors(fields);
      setPhase('idle');
    }
  };
  const sendRef = useRef(send);
  sendRef.current = send;

  // When the connection comes back after a failed submit, try again by itself (same key).
  useEffect(() => {
    if (phase !== 'retry') return;
    const again = () => void sendRef.current();
    window.addEventListener('online', again);
    return () => window.removeEventListener('online', again);
  }, [phase]);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (phase === 'sending' || staff) return;
    setFormError(null);
    const local = validate();
    if (Object.keys(local).length > 0) {
      showErrors(local);
      return;
    }
    setFieldErrors({});
    if (needSignIn) {
      setPhase('sending');
      try {
        const r = await api.otpVerify(cleanPhone(phone), code);
        signedInCitizen(r.citizen);
      } catch (err) {
        const apiErr = err instanceof ApiError ? err : new ApiError(0, 'CLIENT_ERROR', String(err));
        const f = apiErr.fieldErrors();
        showErrors(f.phone || f.code ? f : { code: apiErr.message });
        if (apiErr.status === 0) setFormError(apiErr);
        setPhase('idle');
        return;
      }
    }
    await send();
  };

  const startOver = () => {
    if (mode === 'web' && !window.confirm(t('appeal.startOverConfirm'))) return;
    clearDraft(draftKey);
    clearDraft(photosKey);
    setDraft(emptyDraft(mode));
    setPhotos([]);
    setRestored(false);
    setFieldErrors({});
    setFormError(null);
    setFailure(null);
    setPhase('idle');
  };

  const errorCount = Object.keys(fieldErrors).length;
  const otherErrors = formError
    ? Object.entries(formError.fieldErrors()).filter(([k]) => !FIELD_ORDER.includes(fieldOf(k)))
    : [];

  return (
    <form ref={formRef} className="appeal-form" onSubmit={submit} noValidate lang={lang}>
      {restored ? (
        <div className="notice notice-row" role="status">
          <p>{t('appeal.restored')}</p>
          <button type="button" className="btn btn-secondary" onClick={startOver}>
            {t('appeal.startOver')}
          </button>
        </div>
      ) : null}
      {staff ? (
        <div className="notice" role="status">
          <p>{t('appeal.staffSignedIn')}</p>
        </div>
      ) : null}

      <CategoryPicker
        type="appeal"
        value={draft.category}
        onChange={(category) => update({ category })}
        error={fieldErrors.categoryId}
      />

      <TextAreaField
        label={
          <>
            {t('appeal.description')}
            <span className="required-mark"> *</span>
          </>
        }
        value={draft.description}
        onValue={(description) => update({ description })}
        error={fieldErrors.description}
        hint={t('appeal.descriptionHint')}
        rows={mode === 'kiosk' ? 5 : 6}
        max={DESCRIPTION_MAX}
        min={DESCRIPTION_MIN}
        maxLength={DESCRIPTION_MAX + 100}
        data-field="description"
        enterKeyHint="enter"
      />

      {mode === 'web' ? (
        <PhotoPicker photos={photos} onChange={setPhotos} error={fieldErrors.attachments} />
      ) : null}
      {mode === 'web' && !photosSaved ? <p className="field-hint">{t('photos.notSaved')}</p> : null}

      <PlacePicker
        value={draft.place}
        onChange={(place) => update({ place })}
        allowGps={mode === 'web'}
        error={fieldErrors.place}
        addressError={fieldErrors.address}
      />

      <fieldset className="field privacy" data-field="privacy">
        <legend>{t('appeal.privacy')}</legend>
        {(['normal', 'confidential', 'anonymous'] as const).map((p) => (
          <label key={p} className="choice">
            <input
              type="radio"
              name={`${id}-privacy`}
              value={p}
              checked={draft.privacy === p}
              onChange={() => update({ privacy: p })}
            />
            <span>
              <strong>{t(`appeal.privacy.${p}`)}</strong>
              <span className="choice-desc">{t(`appeal.privacy.${p}Desc`)}</span>
            </span>
          </label>
        ))}
      </fieldset>

      {draft.privacy !== 'anonymous' ? (
        <div className="contact">
          <TextField
            label={t('appeal.contactName')}
            value={draft.contactName}
            onValue={(contactName) => update({ contactName })}
            error={fieldErrors.contactName}
            maxLength={50}
            autoComplete={mode === 'kiosk' ? 'off' : 'name'}
            enterKeyHint="next"
            data-field="contactName"
          />
          <TextField
            label={t('appeal.contactPhone')}
            value={draft.contactPhone}
            onValue={(contactPhone) => update({ contactPhone })}
            error={fieldErrors.contactPhone}
            hint={t('appeal.contactPhoneHint')}
            type="tel"
            inputMode="tel"
            maxLength={20}
            autoComplete={mode === 'kiosk' ? 'off' : 'tel'}
            enterKeyHint="next"
            data-field="contactPhone"
          />
        </div>
      ) : null}

      {needSignIn && !staff ? (
        <section className="sign-in-inline" aria-labelledby={`${id}-signin`}>
          <h2 id={`${id}-signin`}>{t('appeal.signInTitle')}</h2>
          <p className="muted small">{mode === 'kiosk' ? t('kiosk.signInNote') : t('appeal.signInNote')}</p>
          <OtpSignIn
            phone={phone}
            code={code}
            onPhone={(v) => setPhone(v)}
            onCode={(v) => setCode(v)}
            errors={{ phone: fieldErrors.phone, code: fieldErrors.code }}
          />
        </section>
      ) : null}

      {phase === 'retry' && failure ? (
        <div className="form-error retry-box" role="alert">
          <span className="status-icon" aria-hidden="true">
            !
          </span>
          <div>
            <p>
              <strong>{failure.message}</strong>
            </p>
            <p>{t('appeal.keptOnDevice')}</p>
            <button type="button" className="btn btn-primary" onClick={() => void send()}>
              {t('appeal.retry')}
            </button>
          </div>
        </div>
      ) : null}

      {formError || errorCount > 0 ? (
        <div className="form-error" role="alert">
          <span className="status-icon" aria-hidden="true">
            !
          </span>
          <div>
            {formError ? <p>{formError.message}</p> : null}
            {errorCount > 0 ? <p>{t('appeal.checkFields', { n: errorCount })}</p> : null}
            {otherErrors.map(([k, v]) => (
              <p key={k} className="small">
                {k}: {v}
              </p>
            ))}
            {formError?.requestId ? (
              <p className="small muted">
                {t('common.requestId')}: <code>{formError.requestId}</code>
              </p>
            ) : null}
          </div>
        </div>
      ) : null}

      <button
        type="submit"
        className="btn btn-primary btn-block btn-submit"
        disabled={phase === 'sending' || staff}
        aria-busy={phase === 'sending'}
      >
        {phase === 'sending'
          ? t('appeal.sending')
          : needSignIn && !staff
            ? t('appeal.verifyAndSubmit')
            : t('appeal.submit')}
      </button>
      {mode === 'web' ? (
        <p className="small muted draft-status" aria-live="off">
          {saved === 'failed' ? t('appeal.draftNotSaved') : saved === 'ok' ? t('appeal.draftSaved') : ''}
        </p>
      ) : null}
    </form>
  );
}
