/**
 * Picks one or more org units (lead unit, assisting units, whistled departments, a user's unit):
 * suggested units first, then a name search over `GET /api/orgs` within the caller's jurisdiction.
 */
import { Select, Tag } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { type Org, staffApi } from './api.ts';
import { orgKindName, useStaffLang, useT } from './i18n.ts';

export interface OrgPreset {
  id: string;
  name: string;
  /** A short reason shown beside the name ("推荐", "所在村"). */
  hint?: string;
}

interface Props {
  value?: string | string[] | undefined;
  onChange?: (v: string | string[] | undefined) => void;
  multiple?: boolean;
  /** Only these kinds (default: any unit that can handle a case). */
  kinds?: string[];
  presets?: OrgPreset[];
  placeholder?: string;
  id?: string;
  disabled?: boolean;
  style?: React.CSSProperties;
}

const HANDLING_KINDS = ['department', 'village', 'township', 'centre', 'county'];

export function OrgPicker({
  value,
  onChange,
  multiple,
  kinds,
  presets,
  placeholder,
  id,
  disabled,
  style,
}: Props) {
  const t = useT();
  const lang = useStaffLang();
  const allowed = kinds ?? HANDLING_KINDS;
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<Org[]>([]);
  const [loading, setLoading] = useState(false);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const allowedKey = allowed.join(',');

  // Default list (no search): the departments — the units a centre dispatches to most — or the one kind asked for.
  useEffect(() => {
    const controller = new AbortController();
    const kinds = allowedKey.split(',');
    const kind = kinds.length === 1 ? kinds[0] : kinds.includes('department') ? 'department' : undefined;
    setLoading(true);
    clearTimeout(timer.current);
    timer.current = setTimeout(
      () => {
        staffApi
          .orgs({ kind, q: search.trim() || undefined, limit: 60 }, controller.signal)
          .then((r) => setFound(r.items.filter((o) => kinds.includes(o.kind) && o.active)))
          .catch(() => setFound([]))
          .finally(() => !controller.signal.aborted && setLoading(false));
      },
      search ? 300 : 0,
    );
    return () => {
      controller.abort();
      clearTimeout(timer.current);
    };
  }, [search, allowedKey]);

  // Names of chosen ids that are in no list yet (a value set from elsewhere).
  const values = useMemo(() => (Array.isArray(value) ? value : value ? [value] : []), [value]);
  useEffect(() => {
    const known = new Set([
      ...(presets ?? []).filter((p) => p.name !== p.id).map((p) => p.id),
      ...found.map((o) => o.id),
      ...names.keys(),
    ]);
    const unnamedPresets = (presets ?? []).filter((p) => p.name === p.id).map((p) => p.id);
    const missing = [...new Set([...values, ...unnamedPresets])].filter((v) => !known.has(v));
    if (!missing.length) return;
    let cancelled = false;
    Promise.all(
      missing.map((m) =>
        staffApi
          .org(m)
          .then((d) => [m, d.org.name] as const)
          .catch(() => [m, m] as const),
      ),
    ).then((pairs) => {
      if (!cancelled) setNames((old) => new Map([...old, ...pairs]));
    });
    return () => {
      cancelled = true;
    };
  }, [values, presets, found, names]);

  const options = useMemo(() => {
    const seen = new Set<string>();
    const out: { value: string; label: React.ReactNode; title: string }[] = [];
    const s = search.trim();
    for (const p of presets ?? []) {
      const name = names.get(p.id) ?? p.name;
      if (seen.has(p.id) || (s && !name.includes(s))) continue;
      seen.add(p.id);
      out.push({
        value: p.id,
        title: name,
        label: (
          <span>
            {name} {p.hint && <Tag color="blue">{p.hint}</Tag>}
          </span>
        ),
      });
    }
    for (const o of found) {
      if (seen.has(o.id)) continue;
      seen.add(o.id);
      out.push({
        value: o.id,
        title: o.name,
        label: (
          <span>
            {o.name}{' '}
            <span style={{ color: 'rgba(0,0,0,.45)', fontSize: 12 }}>
              {orgKindName(lang, o.kind, o.subtype)}
            </span>
          </span>
        ),
      });
    }
    for (const v of values) {
      if (!seen.has(v)) out.push({ value: v, title: names.get(v) ?? v, label: names.get(v) ?? v });
    }
    return out;
  }, [presets, found, values, names, search, lang]);

  return (
    <Select
      id={id}
      mode={multiple ? 'multiple' : undefined}
      allowClear
      showSearch={{ filterOption: false, onSearch: setSearch }}
      value={multiple ? values : (values[0] ?? undefined)}
      onChange={(v) => {
        setSearch('');
        onChange?.(v as string | string[] | undefined);
      }}
      options={options}
      loading={loading}
      placeholder={placeholder ?? t('org.searchPlaceholder')}
      notFoundContent={loading ? t('common.loading') : t('org.none')}
      optionLabelProp="title"
      disabled={disabled}
      style={{ width: '100%', ...style }}
    />
  );
}
