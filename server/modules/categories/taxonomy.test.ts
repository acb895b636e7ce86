import { describe, expect, it } from 'vitest';
import { DEPARTMENTS } from '../orgs/demo-county.ts';
import { CATEGORY_TAXONOMY, type CategorySeed, validateTaxonomy } from './taxonomy.ts';

const DEPARTMENT_KEYS = DEPARTMENTS.map((d) => d.key);
const TOP = CATEGORY_TAXONOMY.filter((c) => c.parent === null);
const CHILDREN = CATEGORY_TAXONOMY.filter((c) => c.parent !== null);
const byName = (name: string): CategorySeed => {
  const found = CATEGORY_TAXONOMY.find((c) => c.name === name);
  if (!found) throw new Error(`no category named ${name}`);
  return found;
};

describe('CATEGORY_TAXONOMY', () => {
  it('has no problems against the departments of the demo county', () => {
    expect(validateTaxonomy(CATEGORY_TAXONOMY, DEPARTMENT_KEYS)).toEqual([]);
  });

  it('has at least 80 second-level categories', () => {
    expect(CHILDREN.length).toBeGreaterThanOrEqual(80);
    expect(CHILDREN.length).toBeLessThanOrEqual(110);
  });

  it('covers every required group with 4 to 8 children', () => {
    const groups = [
      '城乡建设',
      '生态环境',
      '交通出行',
      '市场监管',
      '劳动保障',
      '教育',
      '医疗卫生',
      '农业农村',
      '水电气',
      '公共安全',
      '民政',
      '市容环卫',
      '矛盾纠纷',
      '政务服务',
      '咨询建议表扬',
      '其他',
    ];
    for (const name of groups) {
      const top = TOP.find((c) => c.name === name);
      expect(top, name).toBeDefined();
      const children = CHILDREN.filter((c) => c.parent === top!.code);
      expect(children.length, name).toBeGreaterThanOrEqual(4);
      expect(children.length, name).toBeLessThanOrEqual(8);
    }
    for (const top of TOP) {
      expect(
        CHILDREN.some((c) => c.parent === top.code),
        top.name,
      ).toBe(true);
    }
  });

  it('includes the categories named in the brief', () => {
    for (const name of [
      '违章建筑',
      '房屋安全',
      '物业管理',
      '餐饮油烟',
      '工地扬尘',
      '道路破损',
      '违法停车',
      '食品安全',
      '拖欠工资',
      '入学学位',
      '疫苗接种',
      '惠农补贴',
      '停水',
      '停电',
      '消防隐患',
      '殡葬管理',
      '垃圾清运',
      '公共厕所',
      '占道经营',
      '违规广告',
      '邻里纠纷',
      '办事效率',
      '工作作风',
      '意见建议',
      '表扬感谢',
    ]) {
      expect(byName(name).parent, name).not.toBeNull();
    }
  });

  it('routes by level: village, township, department and county centre', () => {
    for (const name of ['邻里纠纷', '村内道路', '村容村貌', '村务公开']) {
      expect(byName(name), name).toMatchObject({ level: 'village', departmentKey: null });
    }
    expect(byName('集镇管理')).toMatchObject({ level: 'township', departmentKey: null });
    expect(byName('占道经营')).toMatchObject({ level: 'department', departmentKey: 'urban_mgmt' });
    expect(byName('拖欠工资')).toMatchObject({ level: 'department', departmentKey: 'hrss' });
    expect(byName('停电')).toMatchObject({ level: 'department', departmentKey: 'power_supply' });
    for (const name of ['职责不清事项', '政策咨询', '意见建议', '表扬感谢']) {
      expect(byName(name), name).toMatchObject({ level: 'county', departmentKey: null });
    }
    const levels = new Set(CHILDREN.map((c) => c.level));
    expect([...levels].sort()).toEqual(['county', 'department', 'township', 'village']);
  });

  it('uses the default reply limits for emergencies, utilities and complex matters', () => {
    for (const c of CATEGORY_TAXONOMY.filter((x) => x.urgency === 'emergency')) {
      expect(c.replyLimit, c.name).toEqual({ amount: 2, unit: 'hours' });
    }
    for (const name of ['停水', '水质异常', '停电', '燃气供应与服务']) {
      expect(byName(name).replyLimit, name).toEqual({ amount: 24, unit: 'hours' });
    }
    expect(byName('燃气泄漏')).toMatchObject({
      urgency: 'emergency',
      replyLimit: { amount: 2, unit: 'hours' },
    });
    expect(byName('征收拆迁安置').replyLimit).toEqual({ amount: 15, unit: 'working_days' });
    expect(byName('物业管理').replyLimit).toEqual({ amount: 7, unit: 'working_days' });
  });

  it('has event categories, public ones and internal ones', () => {
    const events = CHILDREN.filter((c) => c.caseTypes.includes('event'));
    expect(events.length).toBeGreaterThan(10);
    for (const name of ['占道经营', '垃圾清运', '井盖及道路附属设施', '烟感报警', '公共厕所']) {
      expect(byName(name).caseTypes, name).toContain('event');
    }
    expect(byName('烟感报警')).toMatchObject({ caseTypes: ['event'], public: false });
    expect(CHILDREN.filter((c) => c.public).length).toBeGreaterThan(CHILDREN.length / 2);
    expect(byName('政策咨询').caseTypes).toEqual(['appeal']);
  });

  it('has codes of the stated shape and keywords for every category', () => {
    for (const c of TOP) expect(c.code).toMatch(/^[A-Z]{2}$/);
    for (const c of CHILDREN) expect(c.code).toMatch(new RegExp(`^${c.parent}\\d{2}$`));
    for (const c of CATEGORY_TAXONOMY) {
      expect(c.keywords.length, c.code).toBeGreaterThan(0);
      expect(c.name, c.code).toMatch(/\p{Script=Han}/u);
      expect(c.nameEn, c.code).toMatch(/^[A-Z]/);
    }
  });

  it('keeps codes stable', () => {
    // Codes are identifiers stored with every case: these must never change meaning.
    expect(byName('城乡建设').code).toBe('CJ');
    expect(byName('违章建筑').code).toBe('CJ01');
    expect(byName('占道经营').code).toBe('SR03');
    expect(byName('邻里纠纷').code).toBe('JF01');
    expect(byName('停水').code).toBe('SD01');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(CATEGORY_TAXONOMY)).toBe(true);
    const first = CATEGORY_TAXONOMY[1]!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.replyLimit)).toBe(true);
    expect(Object.isFrozen(first.keywords)).toBe(true);
    // No two entries share a reply limit object.
    expect(new Set(CATEGORY_TAXONOMY.map((c) => c.replyLimit)).size).toBe(CATEGORY_TAXONOMY.length);
  });
});

describe('validateTaxonomy', () => {
  const top: CategorySeed = {
    code: 'CJ',
    name: '城乡建设',
    nameEn: 'Urban-rural construction',
    parent: null,
    level: 'department',
    departmentKey: 'housing',
    urgency: 'normal',
    replyLimit: { amount: 7, unit: 'working_days' },
    caseTypes: ['appeal'],
    public: true,
    keywords: ['住建'],
  };
  const child: CategorySeed = {
    ...top,
    code: 'CJ01',
    name: '违章建筑',
    nameEn: 'Illegal construction',
    parent: 'CJ',
  };
  const keys = ['housing', 'urban_mgmt'];
  const check = (...list: CategorySeed[]): string[] => validateTaxonomy(list, keys);

  it('accepts a sound list', () => {
    expect(check(top, child)).toEqual([]);
  });

  it('catches duplicate codes', () => {
    const problems = check(top, child, { ...child, name: '另一个' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/CJ01.*duplicate/);
  });

  it('catches a child with an unknown parent', () => {
    const problems = check(top, { ...child, code: 'XX01', parent: 'XX' });
    expect(problems).toEqual([expect.stringMatching(/XX01.*unknown parent XX/)]);
  });

  it('catches a third level and codes of the wrong shape', () => {
    expect(check(top, child, { ...child, code: 'CJ0101', parent: 'CJ01' })).toEqual([
      expect.stringMatching(/not top-level/),
      expect.stringMatching(/parent code CJ01 and two digits/),
    ]);
    expect(check({ ...top, code: 'cj1' })).toEqual([expect.stringMatching(/two capital letters/)]);
    expect(check(top, { ...child, code: 'ST01' })).toEqual([expect.stringMatching(/parent code CJ/)]);
  });

  it('catches a department level without a known key', () => {
    expect(check(top, { ...child, departmentKey: null })).toEqual([
      expect.stringMatching(/CJ01.*without a department key/),
    ]);
    expect(check(top, { ...child, departmentKey: 'nowhere' })).toEqual([
      expect.stringMatching(/CJ01.*unknown department key nowhere/),
    ]);
  });

  it('catches a non-department level with a key', () => {
    for (const level of ['village', 'township', 'county'] as const) {
      expect(check(top, { ...child, level }), level).toEqual([
        expect.stringMatching(new RegExp(`CJ01.*level ${level} must not name a department`)),
      ]);
    }
    expect(check(top, { ...child, level: 'village', departmentKey: null })).toEqual([]);
  });

  it('catches empty case types', () => {
    expect(check(top, { ...child, caseTypes: [] })).toEqual([expect.stringMatching(/CJ01.*no case types/)]);
  });

  it('catches non-positive limits', () => {
    for (const amount of [0, -1, Number.NaN]) {
      expect(check(top, { ...child, replyLimit: { amount, unit: 'hours' } }), String(amount)).toEqual([
        expect.stringMatching(/CJ01.*reply limit must be positive/),
      ]);
    }
  });

  it('reports every problem, not only the first', () => {
    const bad: CategorySeed = {
      ...child,
      departmentKey: 'nowhere',
      caseTypes: [],
      replyLimit: { amount: 0, unit: 'hours' },
    };
    expect(check(top, bad)).toHaveLength(3);
  });
});
