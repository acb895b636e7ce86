import type { ReactNode, Ref } from 'react';
import { useT } from '../i18n.ts';
import { CopyCode } from './CopyCode.tsx';

/** The end of a submit: the tracking code, large and copyable, and what happens next. */
export function AppealSuccess({
  code,
  replayed,
  headingRef,
  actions,
  note,
}: {
  code: string;
  replayed?: boolean;
  headingRef?: Ref<HTMLHeadingElement>;
  actions: ReactNode;
  note?: ReactNode;
}) {
  const t = useT();
  return (
    <section className="card success" aria-labelledby="success-title">
      <p className="success-mark" aria-hidden="true">
        ✓
      </p>
      <h1 id="success-title" ref={headingRef} tabIndex={-1}>
        {t('success.title')}
      </h1>
      {replayed ? <p className="notice">{t('success.replayed')}</p> : null}
      <p>{t('success.codeLabel')}</p>
      <CopyCode code={code} />
      <p>{t('success.next')}</p>
      {note}
      <div className="button-row">{actions}</div>
    </section>
  );
}
