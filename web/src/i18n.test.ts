import { describe, expect, it } from 'vitest';
import { getLang, loadLang, setLang, translate } from './i18n.ts';

describe('languages loaded on demand', () => {
  it('shows zh-CN until a language has arrived, then that language; switching waits for it', async () => {
    // In Node (no navigator language, nothing stored) the portal starts in zh-CN.
    expect(getLang()).toBe('zh-CN');
    expect(translate('en', 'nav.home')).toBe('首页');
    await loadLang('en');
    expect(translate('en', 'nav.home')).toBe('Home');

    const switching = setLang('zh-TW');
    // Not switched before the strings are there: the page never shows a half-translated screen.
    expect(getLang()).toBe('zh-CN');
    await switching;
    expect(getLang()).toBe('zh-TW');
    expect(translate('zh-TW', 'header.language')).toBe('語言');
    await setLang('zh-CN');
  });
});
