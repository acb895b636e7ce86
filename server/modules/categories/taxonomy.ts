/**
 * The two-level taxonomy of a county's appeals (诉求) and events (事件), in the style of the 12345 hotline
 * and grid management (网格化管理): top-level groups (城乡建设, 生态环境, …) and the categories under them.
 *
 * Each category says who handles it by default (DESIGN.md §4, routing): village-level categories go to
 * the village, township-level ones to the township, department categories to the named county
 * department (a key of `DEPARTMENTS` in orgs/demo-county.ts), and unclear ownership to the county centre
 * (兜底). It also carries the default urgency and reply limit (emergency 2 h; water, power, gas 24 h;
 * general 7 working days; complex 15 working days) — defaults only: deadlines are configurable.
 *
 * Codes are stable identifiers: never reuse or renumber one; retire a category instead. Top-level codes
 * are two capital letters (mostly the pinyin initials of the group: CJ 城建), second-level codes are the
 * parent code plus two digits (CJ01).
 *
 * Children are written with only what differs from their group; `group()` fills in the rest from the
 * top-level entry, so a child of a department group is handled by that department unless it says
 * otherwise.
 */

export type HandlingLevel = 'village' | 'township' | 'department' | 'county'; // county = unclear ownership → county centre (兜底)
export type Urgency = 'normal' | 'urgent' | 'emergency';
export type CaseType = 'appeal' | 'event';
export type LimitUnit = 'hours' | 'working_hours' | 'working_days' | 'natural_days';

export interface CategorySeed {
  code: string; // top level 'A'..'Z' two letters e.g. 'CJ' (城建); second level top code + 2 digits e.g. 'CJ01'
  name: string; // Chinese
  nameEn: string;
  parent: string | null;
  level: HandlingLevel; // who handles by default
  departmentKey: string | null; // for level 'department': one of the DEPARTMENTS keys; else null
  urgency: Urgency; // default urgency
  /** time limit to reply, e.g. { amount: 7, unit: 'working_days' }; emergencies { amount: 2, unit: 'hours' }; water/power/gas { amount: 24, unit: 'hours' }; complex ones 15 working days */
  replyLimit: { amount: number; unit: LimitUnit };
  caseTypes: CaseType[]; // events: things a grid worker / IoT sensor / camera reports
  public: boolean; // offered to citizens/Open311 as a service
  keywords: string[]; // a few Chinese keywords for search and routing hints
}

/* Reply limits (DESIGN.md §4 defaults). Functions, so that no two entries share one object. */
/** Emergencies: answer within 2 hours. */
const H2 = () => ({ amount: 2, unit: 'hours' }) as const;
/** Things that cannot wait for the next working day (burning, open hazards): 4 hours. */
const H4 = () => ({ amount: 4, unit: 'hours' }) as const;
/** Water, power, gas and other urgent matters: 24 hours, around the clock. */
const H24 = () => ({ amount: 24, unit: 'hours' }) as const;
/** Consultations: 3 working days. */
const WD3 = () => ({ amount: 3, unit: 'working_days' }) as const;
/** Simple urgent matters: 2 working days. */
const WD2 = () => ({ amount: 2, unit: 'working_days' }) as const;
/** General: 7 working days. */
const WD7 = () => ({ amount: 7, unit: 'working_days' }) as const;
/** Complex matters (several units, investigation, history): 15 working days. */
const WD15 = () => ({ amount: 15, unit: 'working_days' }) as const;

const APPEAL = (): CaseType[] => ['appeal'];
const EVENT = (): CaseType[] => ['event'];
const BOTH = (): CaseType[] => ['appeal', 'event'];

/** A second-level row: its own code, names and keywords, and whatever differs from its group. */
type ChildRow = Pick<CategorySeed, 'code' | 'name' | 'nameEn' | 'keywords'> &
  Partial<Omit<CategorySeed, 'code' | 'name' | 'nameEn' | 'keywords' | 'parent'>>;

/** Handled by a county department. */
const dept = (departmentKey: string) => ({ level: 'department' as const, departmentKey });
/** Handled by the village (or community) committee. */
const VILLAGE = { level: 'village', departmentKey: null } as const;
/** Handled by the township (or sub-district) government. */
const TOWNSHIP = { level: 'township', departmentKey: null } as const;
/** Unclear or shared ownership: the county centre decides (兜底). */
const COUNTY = { level: 'county', departmentKey: null } as const;

/** A top-level entry followed by its children, which inherit the group's defaults. */
function group(top: Omit<CategorySeed, 'parent'>, rows: readonly ChildRow[]): CategorySeed[] {
  const parent: CategorySeed = { ...top, parent: null };
  return [
    parent,
    ...rows.map(
      (row): CategorySeed => ({
        code: row.code,
        name: row.name,
        nameEn: row.nameEn,
        parent: top.code,
        level: row.level ?? top.level,
        departmentKey: row.departmentKey !== undefined ? row.departmentKey : top.departmentKey,
        urgency: row.urgency ?? top.urgency,
        replyLimit: { ...(row.replyLimit ?? top.replyLimit) },
        caseTypes: [...(row.caseTypes ?? top.caseTypes)],
        public: row.public ?? top.public,
        keywords: row.keywords,
      }),
    ),
  ];
}

function deepFreeze(list: CategorySeed[]): readonly CategorySeed[] {
  for (const c of list) {
    Object.freeze(c.replyLimit);
    Object.freeze(c.caseTypes);
    Object.freeze(c.keywords);
    Object.freeze(c);
  }
  return Object.freeze(list);
}

export const CATEGORY_TAXONOMY: readonly CategorySeed[] = deepFreeze([
  // ── 城乡建设 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'CJ',
      name: '城乡建设',
      nameEn: 'Urban-rural construction',
      ...dept('housing'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['住建', '建设', '房屋'],
    },
    [
      {
        code: 'CJ01',
        name: '违章建筑',
        nameEn: 'Illegal construction',
        ...dept('urban_mgmt'),
        caseTypes: BOTH(),
        keywords: ['违建', '私搭乱建', '违法加层', '阳台搭建'],
      },
      {
        code: 'CJ02',
        name: '房屋安全',
        nameEn: 'Building safety',
        urgency: 'urgent',
        replyLimit: WD2(),
        caseTypes: BOTH(),
        keywords: ['危房', '房屋裂缝', '墙体开裂', '外墙脱落'],
      },
      {
        code: 'CJ03',
        name: '物业管理',
        nameEn: 'Property management',
        keywords: ['物业', '物业费', '业委会', '小区管理'],
      },
      {
        code: 'CJ04',
        name: '征收拆迁安置',
        nameEn: 'Expropriation, demolition and resettlement',
        replyLimit: WD15(),
        keywords: ['拆迁', '征收', '安置房', '补偿款'],
      },
      {
        code: 'CJ05',
        name: '商品房买卖',
        nameEn: 'Commercial housing sales',
        replyLimit: WD15(),
        keywords: ['开发商', '逾期交房', '房屋质量', '烂尾'],
      },
      {
        code: 'CJ06',
        name: '建筑工程质量与施工安全',
        nameEn: 'Construction quality and site safety',
        caseTypes: BOTH(),
        keywords: ['工地', '施工安全', '工程质量', '脚手架'],
      },
      {
        code: 'CJ07',
        name: '住房保障',
        nameEn: 'Public housing',
        keywords: ['公租房', '保障房', '廉租房', '住房补贴'],
      },
      {
        code: 'CJ08',
        name: '老旧小区改造',
        nameEn: 'Renovation of old residential compounds',
        replyLimit: WD15(),
        keywords: ['老旧小区', '加装电梯', '改造', '雨污分流'],
      },
    ],
  ),

  // ── 生态环境 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'ST',
      name: '生态环境',
      nameEn: 'Ecology and environment',
      ...dept('ecology_env'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: BOTH(),
      public: true,
      keywords: ['环保', '污染', '环境'],
    },
    [
      {
        code: 'ST01',
        name: '大气污染',
        nameEn: 'Air pollution',
        keywords: ['废气', '异味', '烟囱冒黑烟', '露天焚烧'],
      },
      {
        code: 'ST02',
        name: '水污染',
        nameEn: 'Water pollution',
        keywords: ['排污', '污水直排', '河道污染', '黑臭水体'],
      },
      {
        code: 'ST03',
        name: '工业噪声',
        nameEn: 'Industrial noise',
        keywords: ['工厂噪音', '机器轰鸣', '噪声', '夜间生产'],
      },
      {
        code: 'ST04',
        name: '建筑施工噪声',
        nameEn: 'Construction noise',
        ...dept('urban_mgmt'),
        urgency: 'urgent',
        replyLimit: H24(),
        keywords: ['夜间施工', '施工噪音', '打桩', '扰民'],
      },
      {
        code: 'ST05',
        name: '社会生活噪声',
        nameEn: 'Neighbourhood and commercial noise',
        ...dept('public_security'),
        replyLimit: WD2(),
        caseTypes: APPEAL(),
        keywords: ['广场舞', '商铺喇叭', '装修噪音', 'KTV'],
      },
      {
        code: 'ST06',
        name: '餐饮油烟',
        nameEn: 'Restaurant cooking fumes',
        ...dept('urban_mgmt'),
        keywords: ['油烟', '烧烤', '排烟', '饭店'],
      },
      {
        code: 'ST07',
        name: '工地扬尘',
        nameEn: 'Construction site dust',
        ...dept('housing'),
        keywords: ['扬尘', '渣土车', '未覆盖', '灰尘'],
      },
      {
        code: 'ST08',
        name: '固体废物与危险废物',
        nameEn: 'Solid and hazardous waste',
        urgency: 'urgent',
        replyLimit: WD2(),
        keywords: ['倾倒垃圾', '危废', '工业固废', '偷倒'],
      },
    ],
  ),

  // ── 交通出行 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'JT',
      name: '交通出行',
      nameEn: 'Transport and travel',
      ...dept('transport'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['交通', '道路', '出行'],
    },
    [
      {
        code: 'JT01',
        name: '道路破损',
        nameEn: 'Damaged road',
        caseTypes: BOTH(),
        keywords: ['坑洼', '路面破损', '塌陷', '修路'],
      },
      {
        code: 'JT02',
        name: '交通信号与标志标线',
        nameEn: 'Traffic signals, signs and markings',
        ...dept('traffic_police'),
        replyLimit: WD3(),
        caseTypes: BOTH(),
        keywords: ['红绿灯', '信号灯', '标线', '限速牌'],
      },
      {
        code: 'JT03',
        name: '公交服务',
        nameEn: 'Bus service',
        keywords: ['公交车', '班次', '站台', '线路'],
      },
      {
        code: 'JT04',
        name: '违法停车',
        nameEn: 'Illegal parking',
        ...dept('traffic_police'),
        replyLimit: WD2(),
        caseTypes: BOTH(),
        keywords: ['违停', '乱停车', '占用消防通道', '堵门'],
      },
      {
        code: 'JT05',
        name: '出租车与网约车',
        nameEn: 'Taxis and ride-hailing',
        keywords: ['出租车', '网约车', '拒载', '绕路'],
      },
      {
        code: 'JT06',
        name: '交通秩序与拥堵',
        nameEn: 'Traffic order and congestion',
        ...dept('traffic_police'),
        caseTypes: BOTH(),
        keywords: ['堵车', '超载', '闯红灯', '电动车'],
      },
      {
        code: 'JT07',
        name: '村内道路',
        nameEn: 'Village roads',
        ...VILLAGE,
        caseTypes: BOTH(),
        keywords: ['村道', '组道', '村道破损', '道路硬化'],
      },
      {
        code: 'JT08',
        name: '井盖及道路附属设施',
        nameEn: 'Manhole covers and road fixtures',
        ...dept('urban_mgmt'),
        urgency: 'emergency',
        replyLimit: H2(),
        caseTypes: BOTH(),
        keywords: ['井盖缺失', '井盖破损', '护栏', '下水道'],
      },
    ],
  ),

  // ── 市场监管 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'SC',
      name: '市场监管',
      nameEn: 'Market regulation',
      ...dept('market_reg'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['市场', '经营者', '12315'],
    },
    [
      {
        code: 'SC01',
        name: '食品安全',
        nameEn: 'Food safety',
        urgency: 'urgent',
        replyLimit: WD3(),
        caseTypes: BOTH(),
        keywords: ['过期食品', '食物中毒', '小作坊', '餐馆卫生'],
      },
      {
        code: 'SC02',
        name: '价格监管',
        nameEn: 'Prices',
        keywords: ['价格欺诈', '明码标价', '涨价', '收费过高'],
      },
      {
        code: 'SC03',
        name: '消费纠纷',
        nameEn: 'Consumer disputes',
        keywords: ['退款', '预付卡', '售后', '退货'],
      },
      {
        code: 'SC04',
        name: '无证无照经营',
        nameEn: 'Unlicensed business',
        caseTypes: BOTH(),
        keywords: ['无照经营', '无证', '黑作坊', '营业执照'],
      },
      {
        code: 'SC05',
        name: '药品与医疗器械',
        nameEn: 'Medicines and medical devices',
        keywords: ['药店', '假药', '处方药', '医疗器械'],
      },
      {
        code: 'SC06',
        name: '特种设备安全',
        nameEn: 'Lifts and special equipment',
        urgency: 'urgent',
        replyLimit: H24(),
        caseTypes: BOTH(),
        keywords: ['电梯', '电梯故障', '锅炉', '压力容器'],
      },
      {
        code: 'SC07',
        name: '产品质量与假冒伪劣',
        nameEn: 'Product quality and counterfeits',
        keywords: ['假货', '质量问题', '三无产品', '缺斤短两'],
      },
    ],
  ),

  // ── 劳动保障 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'LD',
      name: '劳动保障',
      nameEn: 'Labour and social security',
      ...dept('hrss'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['人社', '劳动', '社保'],
    },
    [
      {
        code: 'LD01',
        name: '拖欠工资',
        nameEn: 'Unpaid wages',
        urgency: 'urgent',
        replyLimit: WD3(),
        keywords: ['欠薪', '讨薪', '农民工工资', '拖欠'],
      },
      {
        code: 'LD02',
        name: '社会保险',
        nameEn: 'Social insurance',
        keywords: ['养老保险', '社保缴费', '工伤保险', '失业金'],
      },
      {
        code: 'LD03',
        name: '就业创业',
        nameEn: 'Employment and entrepreneurship',
        keywords: ['招聘', '职业培训', '创业贷款', '就业补贴'],
      },
      {
        code: 'LD04',
        name: '劳动关系',
        nameEn: 'Labour relations',
        keywords: ['劳动合同', '辞退', '加班', '劳动仲裁'],
      },
      {
        code: 'LD05',
        name: '人才与职称',
        nameEn: 'Talent and professional titles',
        keywords: ['职称评审', '人才引进', '人事档案', '技能等级'],
      },
    ],
  ),

  // ── 教育 ───────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'JY',
      name: '教育',
      nameEn: 'Education',
      ...dept('education'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['学校', '教育', '学生'],
    },
    [
      {
        code: 'JY01',
        name: '入学学位',
        nameEn: 'School places and enrolment',
        keywords: ['学位', '入学', '划片', '转学'],
      },
      {
        code: 'JY02',
        name: '教育收费',
        nameEn: 'School fees and charges',
        keywords: ['乱收费', '补课费', '资料费', '学费'],
      },
      {
        code: 'JY03',
        name: '校园安全',
        nameEn: 'Campus safety',
        urgency: 'urgent',
        replyLimit: WD2(),
        keywords: ['校园欺凌', '食堂', '校车', '学校周边'],
      },
      {
        code: 'JY04',
        name: '师德师风',
        nameEn: 'Teacher conduct',
        keywords: ['体罚', '有偿补课', '老师', '收礼'],
      },
      {
        code: 'JY05',
        name: '校外培训',
        nameEn: 'Off-campus tutoring',
        keywords: ['培训机构', '双减', '退费', '无证办学'],
      },
      {
        code: 'JY06',
        name: '学生资助',
        nameEn: 'Student financial aid',
        keywords: ['助学金', '贫困生', '营养餐', '生源地贷款'],
      },
    ],
  ),

  // ── 医疗卫生 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'YL',
      name: '医疗卫生',
      nameEn: 'Health care',
      ...dept('health'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['医院', '卫健', '看病'],
    },
    [
      {
        code: 'YL01',
        name: '医疗服务',
        nameEn: 'Medical services',
        keywords: ['服务态度', '看病难', '挂号', '卫生院'],
      },
      {
        code: 'YL02',
        name: '医疗纠纷',
        nameEn: 'Medical disputes',
        replyLimit: WD15(),
        keywords: ['医疗事故', '误诊', '医患纠纷', '赔偿'],
      },
      {
        code: 'YL03',
        name: '疫苗接种',
        nameEn: 'Vaccination',
        keywords: ['疫苗', '预防接种', '接种证', '狂犬疫苗'],
      },
      {
        code: 'YL04',
        name: '医疗保障',
        nameEn: 'Medical insurance',
        ...dept('medical_insurance'),
        keywords: ['医保', '报销', '城乡居民医保', '异地就医'],
      },
      {
        code: 'YL05',
        name: '公共卫生与传染病',
        nameEn: 'Public health and infectious disease',
        urgency: 'urgent',
        replyLimit: H24(),
        caseTypes: BOTH(),
        keywords: ['传染病', '疫情', '病媒', '卫生监督'],
      },
      {
        code: 'YL06',
        name: '非法行医',
        nameEn: 'Illegal medical practice',
        caseTypes: BOTH(),
        keywords: ['黑诊所', '游医', '无证行医', '医美'],
      },
    ],
  ),

  // ── 农业农村 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'NY',
      name: '农业农村',
      nameEn: 'Agriculture and rural affairs',
      ...dept('agriculture'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['农业', '农村', '农民'],
    },
    [
      {
        code: 'NY01',
        name: '农田水利',
        nameEn: 'Farmland irrigation',
        ...dept('water'),
        caseTypes: BOTH(),
        keywords: ['灌溉', '水渠', '泵站', '抗旱'],
      },
      {
        code: 'NY02',
        name: '土地承包经营',
        nameEn: 'Rural land contracting',
        replyLimit: WD15(),
        keywords: ['土地承包', '土地流转', '确权', '承包费'],
      },
      {
        code: 'NY03',
        name: '惠农补贴',
        nameEn: 'Farm subsidies',
        keywords: ['种粮补贴', '耕地地力保护补贴', '一卡通', '农机补贴'],
      },
      {
        code: 'NY04',
        name: '农村人居环境',
        nameEn: 'Rural living environment',
        caseTypes: BOTH(),
        keywords: ['改厕', '农村污水', '人居环境整治', '垃圾收运'],
      },
      {
        code: 'NY05',
        name: '村容村貌',
        nameEn: 'Village appearance',
        ...VILLAGE,
        caseTypes: BOTH(),
        keywords: ['村庄环境', '房前屋后', '柴草乱堆', '残垣断壁'],
      },
      {
        code: 'NY06',
        name: '农资与动植物疫病',
        nameEn: 'Farm inputs and animal and plant diseases',
        keywords: ['假种子', '化肥', '农药', '非洲猪瘟'],
      },
      {
        code: 'NY07',
        name: '宅基地管理',
        nameEn: 'Rural homesteads',
        replyLimit: WD15(),
        keywords: ['宅基地', '农村建房', '一户一宅', '建房审批'],
      },
      {
        code: 'NY08',
        name: '秸秆焚烧',
        nameEn: 'Straw burning',
        ...TOWNSHIP,
        urgency: 'urgent',
        replyLimit: H4(),
        caseTypes: BOTH(),
        keywords: ['烧秸秆', '焚烧', '冒烟', '禁烧'],
      },
    ],
  ),

  // ── 水电气 ─────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'SD',
      name: '水电气',
      nameEn: 'Water, power and gas',
      ...dept('water'),
      urgency: 'urgent',
      replyLimit: H24(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['水电气', '公用事业', '供应'],
    },
    [
      {
        code: 'SD01',
        name: '停水',
        nameEn: 'Water outage',
        keywords: ['停水', '没水', '水压低', '供水'],
      },
      {
        code: 'SD02',
        name: '水质异常',
        nameEn: 'Tap water quality',
        keywords: ['水质', '自来水浑浊', '有异味', '黄水'],
      },
      {
        code: 'SD03',
        name: '供水管网漏损',
        nameEn: 'Water main leaks',
        caseTypes: BOTH(),
        keywords: ['爆管', '漏水', '水管破裂', '冒水'],
      },
      {
        code: 'SD04',
        name: '停电',
        nameEn: 'Power outage',
        ...dept('power_supply'),
        keywords: ['停电', '跳闸', '电压不稳', '断电'],
      },
      {
        code: 'SD05',
        name: '电力设施隐患',
        nameEn: 'Power line hazards',
        ...dept('power_supply'),
        urgency: 'emergency',
        replyLimit: H2(),
        caseTypes: BOTH(),
        keywords: ['电线垂落', '电杆倾斜', '变压器', '漏电'],
      },
      {
        code: 'SD06',
        name: '燃气泄漏',
        nameEn: 'Gas leak',
        ...dept('gas'),
        urgency: 'emergency',
        replyLimit: H2(),
        caseTypes: BOTH(),
        keywords: ['燃气泄漏', '煤气味', '天然气', '燃气报警'],
      },
      {
        code: 'SD07',
        name: '燃气供应与服务',
        nameEn: 'Gas supply and service',
        ...dept('gas'),
        keywords: ['停气', '开户', '燃气费', '燃气改造'],
      },
    ],
  ),

  // ── 公共安全 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'GA',
      name: '公共安全',
      nameEn: 'Public safety',
      ...dept('public_security'),
      urgency: 'urgent',
      replyLimit: H24(),
      caseTypes: BOTH(),
      public: true,
      keywords: ['安全', '隐患', '治安'],
    },
    [
      {
        code: 'GA01',
        name: '社会治安',
        nameEn: 'Public order',
        keywords: ['偷盗', '赌博', '打架', '可疑人员'],
      },
      {
        code: 'GA02',
        name: '消防隐患',
        nameEn: 'Fire hazards',
        ...dept('fire_rescue'),
        keywords: ['消防通道', '电动车充电', '灭火器', '飞线充电'],
      },
      {
        code: 'GA03',
        name: '烟感报警',
        nameEn: 'Smoke detector alarm',
        ...dept('fire_rescue'),
        urgency: 'emergency',
        replyLimit: H2(),
        caseTypes: EVENT(),
        public: false,
        keywords: ['烟感', '火警', '报警', '物联网'],
      },
      {
        code: 'GA04',
        name: '安全生产',
        nameEn: 'Work safety',
        ...dept('emergency'),
        replyLimit: WD3(),
        keywords: ['安全生产', '违规作业', '危化品', '烟花爆竹'],
      },
      {
        code: 'GA05',
        name: '户籍与证件',
        nameEn: 'Household registration and IDs',
        urgency: 'normal',
        replyLimit: WD7(),
        caseTypes: APPEAL(),
        keywords: ['户口', '身份证', '落户', '居住证'],
      },
      {
        code: 'GA07',
        name: '防汛与自然灾害',
        nameEn: 'Floods and natural disasters',
        ...dept('emergency'),
        urgency: 'emergency',
        replyLimit: H2(),
        keywords: ['内涝', '积水', '防汛', '险情'],
      },
    ],
  ),

  // ── 民政 ───────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'MZ',
      name: '民政',
      nameEn: 'Civil affairs',
      ...dept('civil_affairs'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['民政', '救助', '社会福利'],
    },
    [
      {
        code: 'MZ01',
        name: '低保与社会救助',
        nameEn: 'Subsistence allowance and social assistance',
        keywords: ['低保', '特困', '临时救助', '五保'],
      },
      {
        code: 'MZ02',
        name: '养老服务',
        nameEn: 'Elderly care',
        keywords: ['养老院', '高龄补贴', '居家养老', '敬老院'],
      },
      {
        code: 'MZ03',
        name: '殡葬管理',
        nameEn: 'Funerals and burials',
        caseTypes: BOTH(),
        keywords: ['殡葬', '乱埋乱葬', '公墓', '骨灰'],
      },
      {
        code: 'MZ04',
        name: '残疾人服务',
        nameEn: 'Services for people with disabilities',
        ...dept('disabled_federation'),
        keywords: ['残疾证', '残疾人补贴', '康复', '无障碍'],
      },
      {
        code: 'MZ05',
        name: '妇女儿童权益',
        nameEn: "Women's and children's rights",
        ...dept('women_federation'),
        urgency: 'urgent',
        replyLimit: WD2(),
        keywords: ['家暴', '妇女权益', '留守儿童', '婚姻家庭'],
      },
      {
        code: 'MZ06',
        name: '退役军人服务',
        nameEn: 'Veterans services',
        ...dept('veterans'),
        keywords: ['退役军人', '优抚', '安置', '军人'],
      },
    ],
  ),

  // ── 市容环卫 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'SR',
      name: '市容环卫',
      nameEn: 'City appearance and sanitation',
      ...dept('urban_mgmt'),
      urgency: 'normal',
      replyLimit: WD3(),
      caseTypes: BOTH(),
      public: true,
      keywords: ['城管', '市容', '环卫'],
    },
    [
      {
        code: 'SR01',
        name: '垃圾清运',
        nameEn: 'Garbage collection',
        urgency: 'urgent',
        replyLimit: H24(),
        keywords: ['垃圾满溢', '垃圾桶', '未清运', '垃圾堆积'],
      },
      {
        code: 'SR02',
        name: '公共厕所',
        nameEn: 'Public toilets',
        replyLimit: H24(),
        keywords: ['公厕', '厕所脏', '公厕异常', '无人保洁'],
      },
      {
        code: 'SR03',
        name: '占道经营',
        nameEn: 'Street vending and shop spill-over',
        keywords: ['占道经营', '流动摊贩', '摆摊', '店外经营'],
      },
      {
        code: 'SR04',
        name: '违规广告',
        nameEn: 'Illegal advertising',
        keywords: ['牛皮癣', '小广告', '横幅', '招牌'],
      },
      {
        code: 'SR05',
        name: '路灯照明',
        nameEn: 'Street lighting',
        keywords: ['路灯不亮', '路灯', '照明', '亮化'],
      },
      {
        code: 'SR06',
        name: '园林绿化',
        nameEn: 'Parks and greenery',
        keywords: ['树木倒伏', '绿化带', '修剪', '毁绿'],
      },
      {
        code: 'SR07',
        name: '乱堆乱放与渣土',
        nameEn: 'Dumping and construction spoil',
        keywords: ['乱堆乱放', '渣土', '建筑垃圾', '撒漏'],
      },
      {
        code: 'SR08',
        name: '集镇管理',
        nameEn: 'Market-town management',
        ...TOWNSHIP,
        replyLimit: WD7(),
        keywords: ['集镇', '赶集', '集市秩序', '街道脏乱'],
      },
    ],
  ),

  // ── 矛盾纠纷 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'JF',
      name: '矛盾纠纷',
      nameEn: 'Disputes',
      ...VILLAGE,
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: BOTH(),
      public: true,
      keywords: ['纠纷', '调解', '矛盾'],
    },
    [
      {
        code: 'JF01',
        name: '邻里纠纷',
        nameEn: 'Neighbour disputes',
        keywords: ['邻居', '吵架', '楼上渗水', '采光'],
      },
      {
        code: 'JF02',
        name: '婚姻家庭纠纷',
        nameEn: 'Marriage and family disputes',
        keywords: ['赡养', '离婚', '分家', '家庭矛盾'],
      },
      {
        code: 'JF03',
        name: '宅基地与相邻权纠纷',
        nameEn: 'Homestead and right-of-way disputes',
        keywords: ['宅基地纠纷', '通行', '排水', '滴水'],
      },
      {
        code: 'JF04',
        name: '山林土地权属纠纷',
        nameEn: 'Forest and land boundary disputes',
        ...TOWNSHIP,
        replyLimit: WD15(),
        keywords: ['山林', '地界', '权属', '边界'],
      },
      {
        code: 'JF05',
        name: '群体性矛盾苗头',
        nameEn: 'Early signs of group conflict',
        ...TOWNSHIP,
        urgency: 'urgent',
        replyLimit: H24(),
        public: false,
        keywords: ['聚集', '群体', '上访', '不稳定因素'],
      },
      {
        code: 'JF06',
        name: '法律援助与调解',
        nameEn: 'Legal aid and mediation',
        ...dept('justice'),
        caseTypes: APPEAL(),
        keywords: ['法律援助', '人民调解', '律师', '打官司'],
      },
    ],
  ),

  // ── 基层治理 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'JC',
      name: '基层治理',
      nameEn: 'Village and community affairs',
      ...TOWNSHIP,
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['村委会', '居委会', '村务'],
    },
    [
      {
        code: 'JC01',
        name: '村务公开',
        nameEn: 'Village affairs transparency',
        ...VILLAGE,
        keywords: ['村务公开', '公示', '财务公开', '村民代表'],
      },
      {
        code: 'JC02',
        name: '村级财务与集体资产',
        nameEn: 'Village finances and collective assets',
        replyLimit: WD15(),
        keywords: ['集体资产', '三资', '村账', '分红'],
      },
      {
        code: 'JC03',
        name: '村（社区）干部作风',
        nameEn: 'Conduct of village and community cadres',
        keywords: ['村干部', '优亲厚友', '村干部不作为', '村干部态度'],
      },
      {
        code: 'JC04',
        name: '村（居）委会选举',
        nameEn: 'Village and residents committee elections',
        keywords: ['换届', '选举', '拉票', '贿选'],
      },
    ],
  ),

  // ── 自然资源 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'ZR',
      name: '自然资源',
      nameEn: 'Natural resources',
      ...dept('natural_res'),
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['国土', '土地', '自然资源'],
    },
    [
      {
        code: 'ZR01',
        name: '非法占地与耕地保护',
        nameEn: 'Illegal land use and farmland protection',
        caseTypes: BOTH(),
        keywords: ['非法占地', '占用耕地', '乱占耕地建房', '挖塘'],
      },
      {
        code: 'ZR02',
        name: '不动产登记',
        nameEn: 'Real estate registration',
        keywords: ['房产证', '不动产证', '过户', '产权登记'],
      },
      {
        code: 'ZR03',
        name: '地质灾害',
        nameEn: 'Geological hazards',
        urgency: 'emergency',
        replyLimit: H2(),
        caseTypes: BOTH(),
        keywords: ['山体滑坡', '塌方', '地面塌陷', '崩塌'],
      },
      {
        code: 'ZR04',
        name: '非法采砂',
        nameEn: 'Illegal sand mining',
        ...dept('water'),
        urgency: 'urgent',
        replyLimit: H24(),
        caseTypes: BOTH(),
        keywords: ['采砂', '挖沙', '采砂船', '河道'],
      },
      {
        code: 'ZR05',
        name: '林木采伐与森林防火',
        nameEn: 'Logging and forest fire prevention',
        ...dept('forestry'),
        caseTypes: BOTH(),
        keywords: ['砍树', '盗伐', '山火', '野外用火'],
      },
    ],
  ),

  // ── 政务服务 ────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'ZW',
      name: '政务服务',
      nameEn: 'Government services',
      ...COUNTY,
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['政务', '办事', '服务'],
    },
    [
      {
        code: 'ZW01',
        name: '办事效率',
        nameEn: 'Service efficiency',
        ...dept('admin_approval'),
        keywords: ['办事难', '排队', '审批慢', '多次跑', '一网通办'],
      },
      {
        code: 'ZW02',
        name: '工作作风',
        nameEn: 'Conduct of officials',
        keywords: ['推诿扯皮', '态度恶劣', '吃拿卡要', '不作为'],
      },
      {
        code: 'ZW03',
        name: '政务公开',
        nameEn: 'Government information disclosure',
        replyLimit: WD15(),
        keywords: ['信息公开', '依申请公开', '政策文件', '公开不及时'],
      },
      {
        code: 'ZW04',
        name: '营商环境',
        nameEn: 'Business environment',
        replyLimit: WD15(),
        keywords: ['营商环境', '企业诉求', '惠企政策', '涉企检查'],
      },
    ],
  ),

  // ── 咨询建议表扬 ────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'ZX',
      name: '咨询建议表扬',
      nameEn: 'Enquiries, suggestions and praise',
      ...COUNTY,
      urgency: 'normal',
      replyLimit: WD3(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['咨询', '建议', '表扬'],
    },
    [
      {
        code: 'ZX01',
        name: '政策咨询',
        nameEn: 'Policy enquiry',
        keywords: ['政策', '怎么申请', '条件', '标准'],
      },
      {
        code: 'ZX02',
        name: '办事咨询',
        nameEn: 'Procedure enquiry',
        keywords: ['需要什么材料', '办理地点', '办事流程', '上班时间'],
      },
      {
        code: 'ZX03',
        name: '意见建议',
        nameEn: 'Suggestion',
        replyLimit: WD15(),
        keywords: ['建议', '意见', '希望增设', '献策'],
      },
      {
        code: 'ZX04',
        name: '表扬感谢',
        nameEn: 'Praise and thanks',
        replyLimit: WD7(),
        keywords: ['表扬', '感谢', '锦旗', '点赞'],
      },
    ],
  ),

  // ── 其他 ───────────────────────────────────────────────────────────────────
  ...group(
    {
      code: 'QT',
      name: '其他',
      nameEn: 'Other',
      ...COUNTY,
      urgency: 'normal',
      replyLimit: WD7(),
      caseTypes: APPEAL(),
      public: true,
      keywords: ['其他'],
    },
    [
      {
        code: 'QT01',
        name: '职责不清事项',
        nameEn: 'Unclear responsibility',
        keywords: ['管不了', '不知道找谁', '没人管', '踢皮球'],
      },
      {
        code: 'QT02',
        name: '跨部门综合事项',
        nameEn: 'Cross-department matters',
        replyLimit: WD15(),
        caseTypes: BOTH(),
        keywords: ['多部门', '综合', '联合执法', '历史遗留'],
      },
      {
        code: 'QT03',
        name: '非政府职能事项',
        nameEn: 'Matters outside government remit',
        replyLimit: WD3(),
        keywords: ['民事', '商业纠纷', '诉讼', '私人'],
      },
      {
        code: 'QT04',
        name: '其他事项',
        nameEn: 'Other matters',
        caseTypes: BOTH(),
        keywords: ['其他', '未分类'],
      },
    ],
  ),
]);

const TOP_CODE = /^[A-Z]{2}$/;
const CHILD_CODE = /^[A-Z]{2}\d{2}$/;

/**
 * Problems in a taxonomy, one message each (empty when it is sound): duplicate codes, a code of the wrong
 * shape, a child whose parent is unknown or not top-level, a department-level category without a known
 * department key, a category of another level with a key, empty case types, and non-positive limits.
 */
export function validateTaxonomy(list: readonly CategorySeed[], departmentKeys: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set(departmentKeys);
  const byCode = new Map<string, CategorySeed>();
  for (const c of list) {
    if (byCode.has(c.code)) problems.push(`${c.code}: duplicate code`);
    else byCode.set(c.code, c);
  }
  for (const c of list) {
    const where = `${c.code} ${c.name}`;
    if (c.parent === null) {
      if (!TOP_CODE.test(c.code)) problems.push(`${where}: top-level code must be two capital letters`);
    } else {
      const parent = byCode.get(c.parent);
      if (!parent) problems.push(`${where}: unknown parent ${c.parent}`);
      else if (parent.parent !== null) problems.push(`${where}: parent ${c.parent} is not top-level`);
      if (!CHILD_CODE.test(c.code) || !c.code.startsWith(c.parent)) {
        problems.push(`${where}: code must be the parent code ${c.parent} and two digits`);
      }
    }
    if (c.name.trim() === '' || c.nameEn.trim() === '') problems.push(`${where}: empty name`);
    if (c.level === 'department') {
      if (c.departmentKey === null) problems.push(`${where}: department level without a department key`);
      else if (!known.has(c.departmentKey))
        problems.push(`${where}: unknown department key ${c.departmentKey}`);
    } else if (c.departmentKey !== null) {
      problems.push(`${where}: level ${c.level} must not name a department (${c.departmentKey})`);
    }
    if (c.caseTypes.length === 0) problems.push(`${where}: no case types`);
    if (new Set(c.caseTypes).size !== c.caseTypes.length) problems.push(`${where}: repeated case type`);
    const { amount } = c.replyLimit;
    if (!Number.isFinite(amount) || amount <= 0) problems.push(`${where}: reply limit must be positive`);
  }
  return problems;
}
