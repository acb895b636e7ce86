import { useId, useMemo, useRef, useState } from 'react';
import { ApiError, api, type CaseKind, type CategoryNode, takeEarly } from '../api.ts';
import { type Lang, useLang, useT } from '../i18n.ts';
import { useAsync } from '../useAsync.ts';
import { ErrorState, Loading } from './Status.tsx';

/** The tree changes by admin edits only: one request per page load. */
const cache = new Map<string, { items: CategoryNode[] }>();

export interface PickedCategory {
  code: string;
  /** "group › category", in the language of the moment it was picked (shown before the tree loads). */
  label: string;
}

interface Props {
  type: CaseKind;
  /** 'staff' reads every active category (not only the public ones), falling back to the public tree. */
  source?: 'public' | 'staff';
  value: PickedCategory | null;
  onChange: (value: PickedCategory) => void;
  error?: string | undefined;
}

interface Option {
  code: string;
  name: string;
  group: string | null;
  /** Lower-case text searched: names in both languages, code, group. */
  haystack: string;
}

function nameOf(lang: Lang, n: CategoryNode): string {
  return lang === 'en' && n.nameEn ? n.nameEn : n.name;
}

/** Flattens the two levels into choosable options: the children, or a group that has none. */
function optionsOf(lang: Lang, items: CategoryNode[]): Option[] {
  return items.flatMap((g): Option[] => {
    const group = nameOf(lang, g);
    const kids = g.children ?? [];
    if (kids.length === 0) {
      return [
        {
          code: g.code,
          name: group,
          group: null,
          haystack: `${g.name} ${g.nameEn ?? ''} ${g.code}`.toLowerCase(),
        },
      ];
    }
    return kids.map((c) => ({
      code: c.code,
      name: nameOf(lang, c),
      group,
      haystack: `${c.name} ${c.nameEn ?? ''} ${c.code} ${g.name} ${g.nameEn ?? ''}`.toLowerCase(),
    }));
  });
}

const MAX_RESULTS = 40;

/**
 * Chooses a category from the two-level tree: search across both levels, or open a group. The chosen
 * category collapses the picker to one line with a "change" button.
 */
export function CategoryPicker({ type, source = 'public', value, onChange, error }: Props) {
  const t = useT();
  const lang = useLang();
  const id = useId();
  const [open, setOpen] = useState(value === null);
  const [query, setQuery] = useState('');
  const [expanded, setExpanded] = useState<string | null>(null);
  const changeRef = useRef<HTMLButtonElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const { state, reload } = useAsync(
    `categories:${source}:${type}`,
    async (signal) => {
      if (source === 'staff') {
        try {
          return await api.staffCategories(type, signal);
        } catch (err) {
          if (!(err instanceof ApiError && (err.status === 403 || err.status === 404))) throw err;
        }
      }
      // Started by main.tsx while this page's code was still on its way (the appeal form's first load).
      const early = await takeEarly<{ items: CategoryNode[] }>(`categories:public:${type}`);
      return early ?? api.publicCategories(type, signal);
    },
    cache,
  );

  const items = state.status === 'ok' ? (state.data.items ?? []) : [];
  const options = useMemo(() => optionsOf(lang, items), [lang, items]);
  const needle = query.trim().toLowerCase();
  const matches = needle ? options.filter((o) => o.haystack.includes(needle)) : [];
  // Shown label follows the language once the tree is here.
  const current = value ? options.find((o) => o.code === value.code) : undefined;
  const shownLabel = current
    ? current.group
      ? `${current.group} › ${current.name}`
      : current.name
    : value?.label;

  const pick = (o: Option) => {
    onChange({ code: o.code, label: o.group ? `${o.group} › ${o.name}` : o.name });
    setOpen(false);
    setQuery('');
    // The list disappears: keep focus on the line that replaces it.
    requestAnimationFrame(() => changeRef.current?.focus());
  };

  const errorId = `${id}-error`;
  const optionButton = (o: Option, withGroup: boolean) => (
    <li key={o.code}>
      <button type="button" className="option" aria-pressed={value?.code === o.code} onClick={() => pick(o)}>
        {withGroup && o.group ? <span className="option-group">{o.group} › </span> : null}
        {o.name}
      </button>
    </li>
  );

  return (
    <fieldset
      className={error ? 'field category-picker has-error' : 'field category-picker'}
      aria-describedby={error ? errorId : undefined}
      data-field="categoryId"
    >
      <legend>
        {type === 'event' ? t('category.legendEvent') : t('category.legend')}
        <span className="required-mark"> *</span>
      </legend>
      {value && !open ? (
        <div className="picked">
          <span className="picked-label">{shownLabel}</span>
          <button
            ref={changeRef}
            type="button"
            className="btn btn-secondary"
            onClick={() => {
              setOpen(true);
              requestAnimationFrame(() => searchRef.current?.focus());
            }}
          >
            {t('category.change')}
          </button>
        </div>
      ) : state.status === 'loading' ? (
        <Loading label={t('category.loading')} />
      ) : state.status === 'error' ? (
        state.error.status === 404 ? (
          <div className="notice" role="status">
            <p>{t('category.unavailable')}</p>
            <button type="button" className="btn btn-secondary" onClick={reload}>
              {t('common.retry')}
            </button>
          </div>
        ) : (
          <ErrorState error={state.error} onRetry={reload} title={t('category.loadFailed')} />
        )
      ) : (
        <>
          <label htmlFor={`${id}-search`} className="sub-label">
            {t('category.search')}
          </label>
          <input
            ref={searchRef}
            id={`${id}-search`}
            type="search"
            className="input"
            value={query}
            onChange={(e) => setQuery(e.currentTarget.value)}
            placeholder={
              type === 'event' ? t('category.searchPlaceholderEvent') : t('category.searchPlaceholder')
            }
            autoComplete="off"
            enterKeyHint="search"
          />
          {needle ? (
            <>
              <p className="muted small" role="status">
                {matches.length === 0
                  ? t('category.noMatch', { q: query.trim() })
                  : t('category.matchCount', { n: matches.length })}
              </p>
              <ul className="option-list">
                {matches.slice(0, MAX_RESULTS).map((o) => optionButton(o, true))}
              </ul>
            </>
          ) : items.length === 0 ? (
            <p className="muted">{t('category.empty')}</p>
          ) : (
            <ul className="group-list">
              {items.map((g) => {
                const kids = g.children ?? [];
                if (kids.length === 0) {
                  const o = options.find((x) => x.code === g.code);
                  return o ? optionButton(o, false) : null;
                }
                const isOpen = expanded === g.code;
                const panel = `${id}-${g.code}`;
                return (
                  <li key={g.code}>
                    <button
                      type="button"
                      className="group-toggle"
                      aria-expanded={isOpen}
                      aria-controls={panel}
                      onClick={() => setExpanded(isOpen ? null : g.code)}
                    >
                      <span>{nameOf(lang, g)}</span>
                      <span className="group-count">{t('category.count', { n: kids.length })}</span>
                      <span className="chevron" aria-hidden="true">
                        {isOpen ? '−' : '+'}
                      </span>
                    </button>
                    {isOpen ? (
                      <ul id={panel} className="option-list nested">
                        {options
                          .filter((o) => kids.some((k) => k.code === o.code))
                          .map((o) => optionButton(o, false))}
                      </ul>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )}
          {value ? (
            <button type="button" className="btn btn-secondary" onClick={() => setOpen(false)}>
              {t('category.keep', { name: shownLabel ?? '' })}
            </button>
          ) : null}
        </>
      )}
      {error ? (
        <p id={errorId} className="field-error">
          <span aria-hidden="true">! </span>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
