import { useRef, useState } from 'react';
import { useT } from '../i18n.ts';

/** Copies with the Clipboard API, or the old way (selection + execCommand) on plain-http pages. */
async function copyText(text: string, fallback: HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through */
  }
  if (!fallback) return false;
  const range = document.createRange();
  range.selectNodeContents(fallback);
  const sel = window.getSelection();
  sel?.removeAllRanges();
  sel?.addRange(range);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** A tracking code shown large, with a copy button and a spoken confirmation. */
export function CopyCode({ code, size = 'large' }: { code: string; size?: 'large' | 'small' }) {
  const t = useT();
  const ref = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <div className={`copy-code copy-code-${size}`}>
      <code ref={ref} className="tracking-code">
        {code}
      </code>
      <button
        type="button"
        className="btn btn-secondary"
        onClick={async () => setCopied((await copyText(code, ref.current)) ? 'yes' : 'no')}
      >
        {t('code.copy')}
      </button>
      <span className="small muted" role="status">
        {copied === 'yes' ? t('code.copied') : copied === 'no' ? t('code.copyFailed') : ''}
      </span>
    </div>
  );
}
