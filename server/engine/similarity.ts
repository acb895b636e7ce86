/**
 * Duplicate-appeal detection (重复件): how alike two Chinese descriptions are, how far apart two points
 * are, and a combined score of a new appeal against recent candidates.
 *
 * Segmentation uses the ICU word break dictionary that Node ships (`Intl.Segmenter('zh')`). That
 * dictionary knows common words (小区, 垃圾桶, 人行道) but breaks words it does not know into single
 * characters: 占道经营 becomes 占|道|经营 and 摊贩 becomes 摊|贩. Runs of such single characters are
 * therefore turned into character bigrams (占道, 摊贩) for comparison, so that the same out-of-vocabulary
 * word matches whichever way it was split.
 */

const SEGMENTER = new Intl.Segmenter('zh', { granularity: 'word' });

/**
 * Words that carry no meaning for telling one appeal from another: function words, pronouns, and the
 * boilerplate of hotline records (反映, 问题, 情况, 希望尽快处理, 谢谢).
 */
const STOP_WORDS: ReadonlySet<string> = new Set([
  // function words and particles
  '的',
  '地',
  '得',
  '了',
  '着',
  '过',
  '是',
  '在',
  '和',
  '与',
  '及',
  '以及',
  '或',
  '或者',
  '也',
  '都',
  '都有',
  '就',
  '有',
  '还',
  '又',
  '很',
  '太',
  '非常',
  '被',
  '把',
  '给',
  '对',
  '向',
  '从',
  '于',
  '为',
  '因为',
  '所以',
  '但是',
  '而且',
  '吗',
  '呢',
  '吧',
  '啊',
  '呀',
  '哦',
  '嗯',
  '一个',
  '一些',
  '什么',
  '怎么',
  '已经',
  '一直',
  '现在',
  '目前',
  // pronouns and demonstratives
  '我',
  '我们',
  '我想',
  '你',
  '你们',
  '您',
  '他',
  '她',
  '它',
  '他们',
  '她们',
  '它们',
  '这',
  '那',
  '这个',
  '那个',
  '这里',
  '那里',
  '这些',
  '那些',
  // hotline boilerplate
  '请',
  '一下',
  '反映',
  '问题',
  '情况',
  '希望',
  '要求',
  '尽快',
  '处理',
  '解决',
  '有关',
  '相关',
  '部门',
  '麻烦',
  '谢谢',
  '您好',
  '你好',
  '市民',
  '来电',
  // English
  'a',
  'an',
  'the',
  'of',
  'to',
  'in',
  'on',
  'at',
  'is',
  'are',
  'and',
  'or',
  'please',
]);

/** A segment counts as a word if it holds a letter or a digit (not punctuation, symbols, emoji). */
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
/** One Han character: the segments that are broken out of out-of-vocabulary words. */
const SINGLE_HAN = /^\p{Script=Han}$/u;

/**
 * Segments a text into lower-cased tokens. Stop words are returned as `null` so that callers can treat
 * them as breaks (a run of single characters does not continue across a removed word).
 */
function tokens(text: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (const { segment, isWordLike } of SEGMENTER.segment(text.normalize('NFKC'))) {
    if (!isWordLike || !HAS_WORD_CHAR.test(segment)) {
      out.push(null);
      continue;
    }
    const word = segment.toLowerCase();
    out.push(STOP_WORDS.has(word) ? null : word);
  }
  return out;
}

/** Words of a Chinese (or mixed) text, segmented with Intl.Segmenter('zh', { granularity: 'word' }), lower-cased, without punctuation, whitespace and stop words (的 了 是 在 我 我们 你 他 她 它 和 与 及 也 都 就 有 这 那 请 一下 反映 问题 情况 …). */
export function words(text: string): string[] {
  return tokens(text).filter((t): t is string => t !== null);
}

/**
 * The features compared by {@link textSimilarity}: every word the dictionary knows as is; every run of
 * two or more single Han characters as its character bigrams; a lone single character as itself.
 */
function features(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (f: string): void => {
    counts.set(f, (counts.get(f) ?? 0) + 1);
  };
  let run: string[] = [];
  const flush = (): void => {
    if (run.length === 1) add(run[0]!);
    for (let i = 0; i + 1 < run.length; i++) add(run[i]! + run[i + 1]!);
    run = [];
  };
  for (const t of tokens(text)) {
    if (t !== null && SINGLE_HAN.test(t)) {
      run.push(t);
      continue;
    }
    flush();
    if (t !== null) add(t);
  }
  flush();
  return counts;
}

/** Cosine similarity of word-frequency vectors with character-bigram fallback for out-of-vocabulary runs (so 占道经营 and 占道 still match partly); 0..1. */
export function textSimilarity(a: string, b: string): number {
  const fa = features(a);
  const fb = features(b);
  if (fa.size === 0 || fb.size === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [f, n] of fa) {
    na += n * n;
    dot += n * (fb.get(f) ?? 0);
  }
  for (const n of fb.values()) nb += n * n;
  // Integer counts: for identical texts dot === na === nb and sqrt(na * nb) is exactly na.
  return Math.min(1, dot / Math.sqrt(na * nb));
}

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres. */
export function distanceM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface DuplicateCandidate {
  id: string;
  text: string;
  categoryId: string;
  lon: number | null;
  lat: number | null;
  createdAt: Date;
}

/** Default radius within which nearness adds to the score, metres. */
export const DEFAULT_DUPLICATE_RADIUS_M = 500;
/** Default minimum score for a candidate to be reported. */
export const DEFAULT_DUPLICATE_MIN_SCORE = 0.5;

const WEIGHT_CATEGORY = 0.3;
const WEIGHT_DISTANCE = 0.3;
const WEIGHT_TEXT = 0.4;

function hasPoint(lon: number | null, lat: number | null): boolean {
  return lon !== null && lat !== null && Number.isFinite(lon) && Number.isFinite(lat);
}

/**
 * Scores candidates against a new appeal: same category +0.3, within radiusM scaled +0.3 (linear to 0 at radius), text similarity ×0.4; returns those ≥ minScore sorted by score desc, each with { id, score, reasons: string[] (Chinese: '同一类别', '相距 120 米', '描述相似度 0.72') }.
 *
 * Defaults: radiusM 500, minScore 0.5. Equal scores are ordered oldest first (the earliest case is the
 * one a duplicate is merged into), then by id. A reason is given only for a part that added to the score.
 */
export function scoreDuplicates(
  input: { text: string; categoryId: string; lon: number | null; lat: number | null },
  candidates: readonly DuplicateCandidate[],
  opts?: { radiusM?: number; minScore?: number },
): { id: string; score: number; reasons: string[] }[] {
  const radiusM = opts?.radiusM ?? DEFAULT_DUPLICATE_RADIUS_M;
  const minScore = opts?.minScore ?? DEFAULT_DUPLICATE_MIN_SCORE;
  const scored: { id: string; score: number; reasons: string[]; createdAt: number }[] = [];
  for (const c of candidates) {
    let score = 0;
    const reasons: string[] = [];
    if (c.categoryId === input.categoryId) {
      score += WEIGHT_CATEGORY;
      reasons.push('同一类别');
    }
    if (radiusM > 0 && hasPoint(input.lon, input.lat) && hasPoint(c.lon, c.lat)) {
      const d = distanceM(input.lon!, input.lat!, c.lon!, c.lat!);
      if (d <= radiusM) {
        score += WEIGHT_DISTANCE * (1 - d / radiusM);
        reasons.push(`相距 ${Math.round(d)} 米`);
      }
    }
    const sim = textSimilarity(input.text, c.text);
    if (sim > 0) {
      score += WEIGHT_TEXT * sim;
      reasons.push(`描述相似度 ${sim.toFixed(2)}`);
    }
    if (score >= minScore) scored.push({ id: c.id, score, reasons, createdAt: c.createdAt.getTime() });
  }
  scored.sort(
    (x, y) => y.score - x.score || x.createdAt - y.createdAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
  return scored.map(({ id, score, reasons }) => ({ id, score, reasons }));
}
