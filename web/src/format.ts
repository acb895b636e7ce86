/** Dates, distances and durations for people, in the chosen language. Times are China time. */
import type { Lang } from './i18n.ts';

const dateTimeFormats = new Map<Lang, Intl.DateTimeFormat>();

/** "2026/11/30 09:15" (zh) or "Nov 30, 2026, 9:15 AM" (en), in China Standard Time. */
export function formatDateTime(lang: Lang, iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  let f = dateTimeFormats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'Asia/Shanghai',
    });
    dateTimeFormats.set(lang, f);
  }
  return f.format(d);
}

/** 850 m, 1.2 km (localised units). */
export function formatDistance(lang: Lang, metres: number): string {
  const zh = lang !== 'en';
  if (metres < 1000) return `${Math.round(metres)} ${zh ? (lang === 'zh-TW' ? '公尺' : '米') : 'm'}`;
  const km = (metres / 1000).toFixed(metres < 10_000 ? 2 : 1);
  return `${km} ${zh ? (lang === 'zh-TW' ? '公里' : '千米') : 'km'}`;
}

/** 1:05:09 or 5:09 (hours:minutes:seconds). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** Square metres as km² (1 decimal) or m². */
export function formatArea(lang: Lang, m2: number): string {
  if (m2 >= 100_000)
    return `${(m2 / 1e6).toFixed(2)} ${lang === 'en' ? 'km²' : lang === 'zh-TW' ? '平方公里' : '平方千米'}`;
  return `${Math.round(m2)} ${lang === 'en' ? 'm²' : lang === 'zh-TW' ? '平方公尺' : '平方米'}`;
}
