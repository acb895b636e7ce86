import { type ChangeEvent, useId, useRef, useState } from 'react';
import { useT } from '../i18n.ts';
import { MAX_PHOTOS, type Photo, readPhoto } from '../photos.ts';

interface Props {
  photos: Photo[];
  onChange: (photos: Photo[]) => void;
  error?: string | undefined;
}

/** Up to nine photos: add from the camera or the gallery, see them, remove one. */
export function PhotoPicker({ photos, onChange, error }: Props) {
  const t = useT();
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [reading, setReading] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const room = MAX_PHOTOS - photos.length;

  const add = async (e: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(e.currentTarget.files ?? []);
    e.currentTarget.value = '';
    if (files.length === 0) return;
    setProblem(null);
    setReading(true);
    const taken = files.slice(0, room);
    const added: Photo[] = [];
    let bad = 0;
    for (const f of taken) {
      try {
        added.push(await readPhoto(f));
      } catch {
        bad++;
      }
    }
    setReading(false);
    onChange([...photos, ...added]);
    if (files.length > room) setProblem(t('photos.tooMany', { n: MAX_PHOTOS }));
    else if (bad > 0) setProblem(t('photos.notImage', { n: bad }));
  };

  const remove = (index: number) => {
    const next = photos.filter((_, i) => i !== index);
    onChange(next);
    setProblem(null);
    // Keep the keyboard near where it was: the next photo's remove button, or the add button.
    requestAnimationFrame(() => {
      const buttons = document.querySelectorAll<HTMLButtonElement>(`[data-photos="${id}"] .photo-remove`);
      (buttons[Math.min(index, buttons.length - 1)] ?? inputRef.current)?.focus();
    });
  };

  const message = error ?? problem;
  return (
    <fieldset className={error ? 'field photos has-error' : 'field photos'} data-field="attachments">
      <legend>{t('photos.legend', { n: photos.length, max: MAX_PHOTOS })}</legend>
      {photos.length > 0 ? (
        <ul className="photo-grid" data-photos={id}>
          {photos.map((p, i) => (
            <li key={p.id} className="photo">
              <img src={p.dataUrl} alt={t('photos.alt', { n: i + 1, name: p.name })} />
              <button
                type="button"
                className="photo-remove"
                onClick={() => remove(i)}
                aria-label={t('photos.remove', { n: i + 1 })}
              >
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {room > 0 ? (
        <div className="file-button-wrap">
          <input
            ref={inputRef}
            id={`${id}-input`}
            type="file"
            accept="image/*"
            multiple
            className="visually-hidden file-input"
            onChange={add}
            disabled={reading}
            aria-describedby={`${id}-hint`}
          />
          <label htmlFor={`${id}-input`} className="btn btn-secondary file-button" aria-busy={reading}>
            {reading ? t('photos.reading') : t('photos.add')}
          </label>
        </div>
      ) : null}
      <p id={`${id}-hint`} className="field-hint">
        {t('photos.hint')}
      </p>
      {message ? (
        <p className="field-error" role="alert">
          <span aria-hidden="true">! </span>
          {message}
        </p>
      ) : null}
    </fieldset>
  );
}
