/**
 * The UI's own strings, so that tests find buttons and headings in every language without
 * copying the dictionaries (they are plain modules; in Node nothing is stored).
 */
import { LANGS, loadLang, type MessageKey, translate } from '../web/src/i18n.ts';
import { setStaffLang, tr } from '../web/src/staff/i18n.ts';
import type { Lang } from './browser.ts';

// The portal loads zh-TW and English on demand; the tests need every language's strings at once.
await Promise.all(LANGS.map((l) => loadLang(l)));

/** A portal string in a language. */
export function portalText(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  return translate(lang, key, vars);
}

/** A workbench string in a language. */
export function staffText(lang: Lang, key: string, vars?: Record<string, string | number>): string {
  setStaffLang(lang);
  return tr(key, vars);
}
