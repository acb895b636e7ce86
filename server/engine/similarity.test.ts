import { describe, expect, it } from 'vitest';
import { type DuplicateCandidate, distanceM, scoreDuplicates, textSimilarity, words } from './similarity.ts';

const VENDOR_A = '莲塘镇澄湖西路每天晚上都有流动摊贩占道经营，摆摊卖水果，影响行人通行。';
const VENDOR_B = '澄湖西路晚上有小贩摆摊占道经营卖水果，人行道被占用，行人没法走。';
const GARBAGE = '小区的垃圾桶已经满了好几天没人清运，臭味很大。';
const SCHOOL = '孩子入学学位问题，想咨询一下户籍和房产证的要求。';

describe('Intl.Segmenter in this Node', () => {
  it('segments Chinese into dictionary words, not only single characters', () => {
    const seg = new Intl.Segmenter('zh', { granularity: 'word' });
    const parts = [...seg.segment('小区垃圾桶满了')].map((s) => s.segment);
    expect(parts).toContain('小区');
    expect(parts).toContain('垃圾桶');
  });
});

describe('words', () => {
  it('drops punctuation, whitespace and stop words and keeps dictionary words', () => {
    expect(words('我们小区门口有人占道经营，摆摊卖水果。')).toEqual([
      '小区',
      '门口',
      '有人',
      '占',
      '道',
      '经营',
      '摆',
      '摊',
      '卖',
      '水果',
    ]);
  });

  it('returns nothing for a text of boilerplate, stop words and punctuation', () => {
    expect(words('请反映一下，我们这里的情况！！')).toEqual([]);
    expect(words('   ，。！？ ')).toEqual([]);
    expect(words('')).toEqual([]);
  });

  it('lower-cases Latin words and keeps numbers in mixed text', () => {
    expect(words('Hello, WORLD! 5G基站噪音 100分贝')).toEqual([
      'hello',
      'world',
      '5g',
      '基',
      '站',
      '噪音',
      '100',
      '分贝',
    ]);
  });
});

describe('textSimilarity', () => {
  it('scores two descriptions of the same street-vendor problem high', () => {
    expect(textSimilarity(VENDOR_A, VENDOR_B)).toBeGreaterThan(0.4);
    expect(textSimilarity(VENDOR_B, VENDOR_A)).toBeCloseTo(textSimilarity(VENDOR_A, VENDOR_B), 12);
  });

  it('scores unrelated descriptions low', () => {
    expect(textSimilarity(VENDOR_A, GARBAGE)).toBeLessThan(0.1);
    expect(textSimilarity(VENDOR_A, SCHOOL)).toBeLessThan(0.1);
    expect(textSimilarity(GARBAGE, SCHOOL)).toBeLessThan(0.1);
  });

  it('matches an out-of-vocabulary word partly through character bigrams', () => {
    // ICU splits 占道经营 into 占|道|经营; the run 占|道 becomes the bigram 占道.
    expect(textSimilarity('占道经营', '占道')).toBeCloseTo(Math.SQRT1_2, 10);
    expect(textSimilarity('摊贩', '流动摊贩')).toBeGreaterThan(0.5);
  });

  it('ignores punctuation and stop words', () => {
    expect(textSimilarity('路口占道经营', '路口，占道经营！！的了')).toBe(1);
    expect(textSimilarity('请反映一下：垃圾桶满了', '垃圾桶满了')).toBe(1);
  });

  it('is 1 for identical text and 0 for empty text', () => {
    expect(textSimilarity(VENDOR_A, VENDOR_A)).toBe(1);
    expect(textSimilarity(GARBAGE, GARBAGE)).toBe(1);
    expect(textSimilarity('', VENDOR_A)).toBe(0);
    expect(textSimilarity(VENDOR_A, '')).toBe(0);
    expect(textSimilarity('', '')).toBe(0);
    expect(textSimilarity('，。！', '请反映一下')).toBe(0);
  });

  it('stays within 0..1', () => {
    for (const a of [VENDOR_A, VENDOR_B, GARBAGE, SCHOOL]) {
      for (const b of [VENDOR_A, VENDOR_B, GARBAGE, SCHOOL]) {
        const s = textSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('distanceM', () => {
  it('gives the distance of two known points within 1%', () => {
    // Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km great-circle.
    const bjSh = distanceM(116.3975, 39.9087, 121.4737, 31.2304);
    expect(Math.abs(bjSh - 1_067_000) / 1_067_000).toBeLessThan(0.01);
    // One degree of latitude: 60 nautical miles = 111.12 km.
    expect(Math.abs(distanceM(115.9, 28.5, 115.9, 29.5) - 111_120) / 111_120).toBeLessThan(0.01);
  });

  it('is zero for the same point and symmetric', () => {
    expect(distanceM(115.94, 28.55, 115.94, 28.55)).toBe(0);
    expect(distanceM(115.94, 28.55, 115.95, 28.56)).toBeCloseTo(distanceM(115.95, 28.56, 115.94, 28.55), 6);
  });
});

describe('scoreDuplicates', () => {
  // A point in Liantang (莲塘镇), Nanchang County; 0.001° of latitude is about 111 m.
  const LON = 115.944;
  const LAT = 28.553;
  const input = { text: VENDOR_A, categoryId: 'SR03', lon: LON, lat: LAT };
  const at = (iso: string): Date => new Date(iso);
  const candidates: DuplicateCandidate[] = [
    // same problem, same category, about 111 m away
    {
      id: 'near-same',
      text: VENDOR_B,
      categoryId: 'SR03',
      lon: LON,
      lat: LAT + 0.001,
      createdAt: at('2025-03-01'),
    },
    // same problem, same category, no location
    { id: 'no-point', text: VENDOR_B, categoryId: 'SR03', lon: null, lat: null, createdAt: at('2025-03-02') },
    // same category and place, different problem
    { id: 'other-text', text: GARBAGE, categoryId: 'SR03', lon: LON, lat: LAT, createdAt: at('2025-03-03') },
    // unrelated and far away
    {
      id: 'unrelated',
      text: SCHOOL,
      categoryId: 'JY01',
      lon: LON + 0.05,
      lat: LAT,
      createdAt: at('2025-03-04'),
    },
  ];

  it('ranks candidates by score and explains each score in Chinese', () => {
    const result = scoreDuplicates(input, candidates, { minScore: 0 });
    expect(result.map((r) => r.id)).toEqual(['near-same', 'other-text', 'no-point', 'unrelated']);

    const sim = textSimilarity(VENDOR_A, VENDOR_B);
    const d = distanceM(LON, LAT, LON, LAT + 0.001);
    const [nearSame, otherText, noPoint, unrelated] = result;
    expect(nearSame!.score).toBeCloseTo(0.3 + 0.3 * (1 - d / 500) + 0.4 * sim, 10);
    expect(nearSame!.reasons).toEqual([
      '同一类别',
      `相距 ${Math.round(d)} 米`,
      `描述相似度 ${sim.toFixed(2)}`,
    ]);
    expect(nearSame!.reasons[1]).toBe('相距 111 米');
    expect(noPoint!.score).toBeCloseTo(0.3 + 0.4 * sim, 10);
    expect(noPoint!.reasons).toEqual(['同一类别', `描述相似度 ${sim.toFixed(2)}`]);
    // Same category at the same point: 0.3 + 0.3, no text in common.
    expect(otherText!.score).toBeCloseTo(0.6, 10);
    expect(otherText!.reasons).toEqual(['同一类别', '相距 0 米']);
    // Other category, about 4.9 km away, nothing in common.
    expect(unrelated).toEqual({ id: 'unrelated', score: 0, reasons: [] });
  });

  it('leaves out candidates below minScore (default 0.5)', () => {
    expect(scoreDuplicates(input, candidates).map((r) => r.id)).toEqual(['near-same', 'other-text']);
    expect(scoreDuplicates(input, candidates, { minScore: 0.7 }).map((r) => r.id)).toEqual(['near-same']);
    expect(scoreDuplicates(input, candidates, { minScore: 1.01 })).toEqual([]);
  });

  it('scales nearness linearly to zero at the radius', () => {
    const far = { ...candidates[2]!, id: 'far', lat: LAT + 0.004 }; // about 445 m
    const d = distanceM(LON, LAT, LON, LAT + 0.004);
    const [wide] = scoreDuplicates(input, [far], { radiusM: 1000, minScore: 0 });
    expect(wide!.score).toBeCloseTo(0.3 + 0.3 * (1 - d / 1000), 10);
    const [narrow] = scoreDuplicates(input, [far], { radiusM: 300, minScore: 0 });
    expect(narrow!.score).toBeCloseTo(0.3, 10);
    expect(narrow!.reasons).toEqual(['同一类别']);
  });

  it('orders equal scores oldest first', () => {
    const twin = (id: string, createdAt: string): DuplicateCandidate => ({
      id,
      text: VENDOR_A,
      categoryId: 'SR03',
      lon: LON,
      lat: LAT,
      createdAt: at(createdAt),
    });
    const result = scoreDuplicates(input, [twin('newer', '2025-03-05'), twin('older', '2025-03-01')]);
    expect(result.map((r) => r.id)).toEqual(['older', 'newer']);
    expect(result[0]!.score).toBeCloseTo(1, 10);
    expect(result[0]!.reasons).toEqual(['同一类别', '相距 0 米', '描述相似度 1.00']);
  });

  it('returns nothing for no candidates', () => {
    expect(scoreDuplicates(input, [])).toEqual([]);
  });
});
