import { type ReactNode, type TextareaHTMLAttributes, useId } from 'react';
import { useT } from '../i18n.ts';

type Props = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'value' | 'onChange'> & {
  label: ReactNode;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  hint?: ReactNode;
  /** Shows "n / max" under the box (characters as people count them, not UTF-16 units). */
  max?: number;
  min?: number;
};

/** Counts characters as the server does (code points: an emoji is one). */
export function charCount(s: string): number {
  return [...s].length;
}

/** A labelled multi-line box with its hint, error and a character counter, tied for screen readers. */
export function TextAreaField({ label, value, onValue, error, hint, max, min, ...area }: Props) {
  const t = useT();
  const id = useId();
  const n = charCount(value.trim());
  const describedBy =
    [hint ? `${id}-hint` : null, error ? `${id}-error` : null, max ? `${id}-count` : null]
      .filter(Boolean)
      .join(' ') || undefined;
  return (
    <div className={error ? 'field has-error' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <textarea
        {...area}
        id={id}
        value={value}
        onChange={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
      <div className="field-foot">
        {hint ? (
          <p id={`${id}-hint`} className="field-hint">
            {hint}
          </p>
        ) : null}
        {max ? (
          <p id={`${id}-count`} className={n > max ? 'field-count over' : 'field-count'}>
            {min && n < min ? t('field.countMin', { n, min }) : t('field.count', { n, max })}
          </p>
        ) : null}
      </div>
      {error ? (
        <p id={`${id}-error`} className="field-error">
          <span aria-hidden="true">! </span>
          {error}
        </p>
      ) : null}
    </div>
  );
}
