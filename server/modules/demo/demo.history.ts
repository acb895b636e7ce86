/**
 * A believable year of history for the demo county, played THROUGH THE ENGINE: every case is received
 * with `receiveCase` and moved with `perform`, as the people who would do it (operator, lead units,
 * village handlers, departments, dispatcher, revisit agent, supervisor, grid workers, citizens), on a
 * `FixedClock` that the generator moves forward. Nothing is inserted into `cases` or `case_events`
 * directly, so the timelines, deadlines, overdue events, notifications and assessment rollups are the
 * engine's own.
 *
 * How it runs: a plan is drawn first from the seed (arrival times, places, categories, channels and
 * which side paths each case takes); each case then becomes a small script that says what happens to
 * it and when. A discrete-event scheduler runs all scripts in time order on one clock, with the
 * deadline sweep once per simulated day, so overdue events fall where handlers really were late. Steps
 * that would happen after `endAt` are not played: the most recent cases are still open at the end.
 *
 * Deterministic from the seed and `endAt` (the engine's own UUIDs and encryption IVs differ, counts do
 * not). Handler accounts (`h_<org>`, `gw_<village>`) are created lazily through `createUser` with a
 * random password that is never printed; their creation runs in the background ahead of need.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { StaffRole } from '../../../common/roles.ts';
import { type Actor, type StaffActor, systemActor } from '../../authz/actor.ts';
import type { AppContext } from '../../context.ts';
import type { CaseRow, Urgency } from '../../db/schema.ts';
import type { WorkCalendar } from '../../engine/calendar.ts';
import { calendarFor } from '../../engine/deadlines.ts';
import { perform } from '../../engine/engine.ts';
import { type IntakeInput, receiveCase } from '../../engine/intake.ts';
import { sweepOverdue } from '../../engine/sweep.ts';
import type { Stage } from '../../engine/workflow.ts';
import { FixedClock } from '../../lib/clock.ts';
import { maskPhone } from '../../lib/crypto.ts';
import { centroidOf, type GridGeometry, pointInGeometry } from '../grids/geometry.ts';
import { villageShortName } from '../orgs/demo-county.ts';
import { createUser } from '../users/users.service.ts';

export interface HistoryOptions {
  /** Number of appeals (诉求) to play. */
  cases: number;
  /** Length of the history in days, ending at `endAt`. */
  days: number;
  /** PRNG seed (default 2026). Same seed and `endAt` → same history. */
  seed?: number;
  /** End of the history (default: the context clock's now). */
  endAt?: Date;
  /** Number of grid events (事件); default one per six appeals. */
  events?: number;
}

export interface HistoryResult {
  appeals: number;
  events: number;
  from: Date;
  to: Date;
  /** Final states of this run's cases, per type. */
  states: { appeal: Record<string, number>; event: Record<string, number> };
  /** Closed appeals ÷ appeals (the article's 办结率). */
  closureRate: number;
  /** (satisfied + 0.8 × basically satisfied) ÷ rated, over all ratings of this run. */
  satisfactionRate: number;
  /** Handler and grid-worker accounts created. */
  accountsCreated: number;
  /** Time spent waiting for an account being created (the rest of the creation runs alongside). */
  accountWaitMs: number;
  /** Scripts stopped by an unexpected engine error (0 in a sound run). */
  failures: number;
  ms: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const CN = 8 * HOUR;

// ── Seeded randomness ──────────────────────────────────────────────────────────────────────────────

/** mulberry32: small, fast, good enough for a simulation; one stream per case keeps runs stable. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  between(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  int(a: number, b: number): number {
    return Math.floor(this.between(a, b + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Index drawn from a cumulative weight table. */
  fromCdf(cdf: readonly number[]): number {
    const x = this.next() * cdf[cdf.length - 1]!;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function cdfOf(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += Math.max(0, w)));
}

// ── Reference data read from the database ──────────────────────────────────────────────────────────

interface Org {
  id: string;
  kind: string;
  subtype: string | null;
  name: string;
  parentId: string | null;
  scopePath: string;
}

interface Grid {
  id: string;
  villageId: string;
  geometry: GridGeometry;
  bbox: [number, number, number, number];
  centroid: [number, number];
}

interface Cat {
  id: string;
  parentId: string | null;
  name: string;
  level: string;
  defaultOrgId: string | null;
  urgency: Urgency;
  replyAmount: number;
  replyUnit: string;
  appeal: boolean;
  event: boolean;
}

// ── Plans ──────────────────────────────────────────────────────────────────────────────────────────

type Channel = 'phone' | 'web' | 'walk_in' | 'kiosk' | 'app';
type Satisfaction = 'satisfied' | 'basically_satisfied' | 'unsatisfied';

interface Place {
  village: Org | null;
  township: Org | null;
  grid: Grid | null;
  lon?: number;
  lat?: number;
  spot: string;
}

interface AppealPlan {
  kind: 'appeal';
  at: number;
  seed: number;
  cat: Cat;
  place: Place;
  channel: Channel;
  anonymous: boolean;
  confidential: boolean;
  urgency?: Urgency;
  citizenPhone?: string;
  contactName?: string;
  contactPhone?: string;
  void: boolean;
  dupOf?: AppealPlan;
  answerDirectly: boolean;
  /** Dispatch to this unit instead of the routing suggestion (with a note). */
  override?: string;
  assist?: string;
  /** Return request: redispatch to `to`, or the centre insists (`to` null). */
  ret?: { to: string | null };
  extension?: { approved: boolean };
  suspend: boolean;
  whistle?: { departments: string[]; reason: 'resident_demand' | 'joint_enforcement' | 'emergency' };
  urge: boolean;
  supervise?: 'normal' | 'yellow' | 'red';
  lateSign: boolean;
  lateContact: boolean;
  lateReply: boolean;
  auditReject: boolean;
  selfRate: boolean;
  sat: [Satisfaction, Satisfaction];
  redo: boolean;
  caseId?: string;
  state?: string;
}

interface EventPlan {
  kind: 'event';
  at: number;
  seed: number;
  cat: Cat;
  place: Place;
  reporterVillage: string;
  solve: boolean;
  void: boolean;
  verifyFail: boolean;
  lateReply: boolean;
  caseId?: string;
  state?: string;
}

type Plan = AppealPlan | EventPlan;

// ── Weights ────────────────────────────────────────────────────────────────────────────────────────

/** Share of appeals per top-level group (12345-style mix; 市容环卫, 城乡建设, 交通, 生态环境 lead). */
const GROUP_WEIGHTS: Record<string, number> = {
  SR: 16,
  CJ: 14,
  JT: 11,
  ST: 10,
  SD: 7,
  JF: 6,
  LD: 6,
  SC: 5,
  NY: 5,
  JY: 4,
  YL: 3,
  MZ: 3,
  GA: 3,
  JC: 2,
  ZR: 2,
  ZX: 2,
  ZW: 1.5,
  QT: 0.5,
};

/** Categories asked about more than their siblings. */
const CHILD_BOOST: Record<string, number> = {
  SR01: 2.2,
  SR03: 1.6,
  SR05: 1.3,
  SR07: 1.3,
  CJ03: 2.2,
  CJ01: 1.6,
  CJ04: 1.2,
  JT01: 1.6,
  JT04: 1.6,
  JT07: 1.4,
  ST05: 1.6,
  ST06: 1.4,
  ST04: 1.3,
  SD01: 1.6,
  SD04: 1.6,
  LD01: 2.2,
  JF01: 2,
  JF03: 1.4,
  NY05: 1.5,
  ZX01: 1.5,
  ZX02: 1.5,
};

/** Seasonal factors by month (1–12) for a group or a category. */
const SEASON: Record<string, Partial<Record<number, number>>> = {
  SD: { 1: 1.2, 6: 1.3, 7: 1.6, 8: 1.6, 9: 1.2 },
  ST: { 6: 1.2, 7: 1.25, 8: 1.25 },
  ST05: { 5: 1.3, 6: 1.5, 7: 1.6, 8: 1.6, 9: 1.3 },
  NY08: { 1: 0.2, 2: 0.2, 3: 0.3, 4: 0.3, 5: 0.8, 6: 2.5, 7: 0.8, 8: 0.3, 9: 0.8, 10: 3, 11: 3, 12: 0.6 },
  GA07: { 1: 0.2, 2: 0.2, 3: 0.5, 4: 1, 5: 2, 6: 4, 7: 4, 8: 2, 9: 0.8, 10: 0.3, 11: 0.2, 12: 0.2 },
  JY01: { 5: 1.5, 6: 2.5, 7: 2.5, 8: 2.5 },
  LD01: { 1: 2.5, 2: 1.5, 12: 2.5 },
  SR01: { 7: 1.3, 8: 1.3 },
};

/** Hour-of-day profile of appeals (China time), from hotline call curves. */
const HOURLY = [
  0.2, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.6, 3.0, 2.0, 2.2, 3.0, 3.2, 3.0, 2.6, 2.0, 2.0, 1.8,
  1.4, 0.9, 0.5,
];
/** Grid patrols: daytime. */
const HOURLY_PATROL = [
  0, 0, 0, 0, 0, 0, 0.2, 1, 2.5, 3, 3, 2, 0.8, 1.2, 2.5, 3, 2.8, 1.5, 0.6, 0.3, 0.1, 0, 0, 0,
];

const MONTH_FACTOR: Record<number, number> = { 1: 0.85, 2: 0.8, 6: 1.1, 7: 1.2, 8: 1.2 };

/** Department keys by top-level group, for whistles and returns. */
const WHISTLE_DEPTS: Record<string, string[]> = {
  JF: ['public_security', 'justice'],
  JT: ['transport', 'traffic_police'],
  NY: ['agriculture', 'urban_mgmt', 'ecology_env'],
  JC: ['agriculture', 'civil_affairs'],
  SR: ['urban_mgmt'],
};
const CONFUSABLE: Record<string, string[]> = {
  housing: ['urban_mgmt', 'natural_res'],
  urban_mgmt: ['housing', 'ecology_env'],
  ecology_env: ['urban_mgmt', 'agriculture'],
  traffic_police: ['transport', 'urban_mgmt'],
  transport: ['traffic_police', 'urban_mgmt'],
  market_reg: ['health', 'commerce'],
  hrss: ['housing'],
  water: ['urban_mgmt', 'agriculture'],
  health: ['market_reg', 'medical_insurance'],
  education: ['hrss'],
  natural_res: ['agriculture', 'urban_mgmt'],
  agriculture: ['natural_res', 'water'],
  civil_affairs: ['hrss'],
  public_security: ['urban_mgmt'],
  power_supply: ['urban_mgmt'],
  gas: ['market_reg'],
  medical_insurance: ['health'],
};

/** Channel shares: phone most, then web, app, walk-in, kiosk. */
const CHANNELS: readonly [Channel, number][] = [
  ['phone', 55],
  ['web', 14],
  ['app', 14],
  ['walk_in', 11],
  ['kiosk', 6],
];

// ── Texts ──────────────────────────────────────────────────────────────────────────────────────────

/** Appeal descriptions: {p} place, {s} spot, {n} small number, {m} amount. */
const APPEAL_TEXT: Record<string, string[]> = {
  CJ01: [
    '{p}{s}有住户正在违法加盖第{n}层，已经施工好几天了，挡住了邻居的采光，希望尽快查处。',
    '{p}{s}有人在公共绿地上私搭铁皮棚，还占用了消防通道。',
  ],
  CJ02: ['{p}{s}有一栋老房子外墙开裂、墙皮脱落，下雨后更严重，担心倒塌伤人。'],
  CJ03: [
    '{p}{s}小区电梯坏了{n}天没人修，物业一直推脱，老人上下楼很困难。',
    '{p}{s}小区物业擅自上涨物业费，收支也不公示，业主意见很大。',
    '{p}{s}小区垃圾堆在楼下好几天没人清理，物业不作为。',
  ],
  CJ04: ['{p}的拆迁安置房已经超过约定时间{n}个月没有交付，过渡费也停发了。'],
  CJ05: ['在{p}购买的商品房，开发商逾期{n}个月没有交房，也不给任何说法。'],
  CJ06: ['{p}{s}工地脚手架没有挂防护网，经常有材料往下掉，过路行人很危险。'],
  CJ07: ['申请公租房已经{n}个月了，一直没有审核结果，想了解办理进度。'],
  CJ08: ['{p}{s}老旧小区改造停工{n}周了，路面挖开没人管，居民出行很不方便。'],
  ST01: ['{p}{s}附近的工厂晚上偷排废气，气味刺鼻，晚上都不敢开窗。', '{p}{s}有人露天焚烧垃圾，浓烟很大。'],
  ST02: ['{p}{s}的河道发黑发臭，怀疑有企业往河里偷排污水。'],
  ST03: ['{p}{s}的工厂夜间机器轰鸣，一直响到凌晨，周边居民没法休息。'],
  ST04: ['{p}{s}的工地晚上十点以后还在打桩施工，噪音很大，严重影响休息。'],
  ST05: [
    '{p}{s}广场舞音响声音太大，每天晚上跳到十点多，影响老人小孩休息。',
    '{p}{s}有商铺用大喇叭循环播放促销广告，噪音扰民。',
  ],
  ST06: ['{p}{s}的烧烤店油烟直排，没有安装净化设备，楼上住户窗户上全是油。'],
  ST07: ['{p}{s}工地渣土车进出不冲洗，路面全是泥，扬尘很大。'],
  ST08: ['{p}{s}有人在田边倾倒不明化工废料，气味很重。'],
  JT01: ['{p}{s}路面有个大坑，已经有电动车摔倒了，请尽快修补。'],
  JT02: ['{p}{s}路口的红绿灯坏了{n}天，车辆乱行，很危险。'],
  JT03: ['{p}到县城的公交车班次太少，等车要一个多小时，希望增加班次。'],
  JT04: ['{p}{s}长期有车辆乱停乱放，把小区出入口都堵住了。'],
  JT05: ['在{p}打车，出租车司机不打表、乱要价。'],
  JT06: ['{p}{s}上下学高峰期堵得厉害，希望安排交警疏导。'],
  JT07: ['{p}{s}的村道坑坑洼洼，一下雨全是泥水，村民出行不便，希望硬化路面。'],
  JT08: ['{p}{s}有井盖缺失，晚上路灯又暗，很容易有人掉进去，请尽快处理。'],
  SC01: ['在{p}{s}的一家餐馆吃饭后出现腹泻，怀疑食材不新鲜，后厨卫生很差。'],
  SC02: ['{p}{s}超市的标价和结账价格不一致，多收了钱。'],
  SC03: ['在{p}{s}的商店买的家电坏了，商家拒绝按规定退换。'],
  SC04: ['{p}{s}有一家无证无照的小作坊在生产食品。'],
  SC05: ['{p}{s}的药店卖处方药不要处方。'],
  SC06: ['{p}{s}小区电梯经常困人，这个月已经发生{n}次了。'],
  SC07: ['在{p}买到假冒品牌的化肥，庄稼受了影响。'],
  LD01: ['在{p}{s}的工地干活，老板拖欠我们{n}个工人的工资共{m}元，一直不给。'],
  LD02: ['想咨询灵活就业人员怎么缴纳养老保险，断缴以后怎么补缴。'],
  LD03: ['想了解县里对返乡创业有哪些扶持政策和创业担保贷款。'],
  LD04: ['在{p}的一家企业上班，公司不签劳动合同，也不买社保。'],
  LD05: ['咨询今年中级职称评审的申报时间和条件。'],
  JY01: ['孩子明年上小学，户口在{p}，想了解划片入学的学校和报名材料。'],
  JY02: ['{p}的学校向学生收取资料费，想问是否合规。'],
  JY03: ['{p}{s}的学校门口上下学时段车辆多，没有护学岗，孩子过马路很危险。'],
  JY04: ['反映{p}有学校老师在校外有偿补课。'],
  JY05: ['{p}{s}有培训机构没有资质办学，还预收很高的费用。'],
  JY06: ['家庭困难，想咨询孩子可以申请哪些助学金。'],
  YL01: ['在{p}卫生院看病排队时间太长，医生态度也不好。'],
  YL02: ['家人在{p}的诊所输液后出现不良反应，想讨个说法。'],
  YL03: ['想了解{p}卫生院接种疫苗的时间和预约方式。'],
  YL04: ['咨询异地就医备案怎么办理，报销比例是多少。'],
  YL05: ['{p}{s}有一片积水蚊虫孳生，担心传播登革热，希望消杀。'],
  YL06: ['{p}{s}有人没有执业资格在家里给人看病打针。'],
  NY01: ['{p}{s}的灌溉渠堵塞，水过不去，稻田缺水，请帮忙疏通。'],
  NY02: ['{p}的土地流转租金今年没有按合同支付。'],
  NY03: ['今年的耕地地力保护补贴还没有发到{p}的农户手上。'],
  NY04: ['{p}{s}的生活污水直排进水塘，已经发臭了。'],
  NY05: ['{p}{s}柴草杂物乱堆乱放，旱厕也破损了，影响村容村貌。'],
  NY06: ['{p}{s}附近有病死猪被随意丢弃。'],
  NY07: ['申请在{p}建房的宅基地审批一直没有结果。'],
  NY08: ['{p}{s}有村民在田里焚烧秸秆，烟雾很大，影响道路通行。'],
  SD01: ['{p}{s}从今天早上开始停水，事先没有任何通知，什么时候能恢复？'],
  SD02: ['{p}{s}的自来水发黄有异味，不敢饮用。'],
  SD03: ['{p}{s}路边的自来水管破裂，水一直往外冒。'],
  SD04: ['{p}{s}一片停电{n}个小时了，天气很热，请尽快抢修。'],
  SD05: ['{p}{s}有电线被树枝压断垂到地面，非常危险。'],
  SD06: ['{p}{s}闻到很浓的燃气味，怀疑管道泄漏。'],
  SD07: ['{p}的燃气开户安装等了{n}周还没有上门。'],
  GA01: ['{p}{s}晚上经常有人聚集赌博，影响周边治安。'],
  GA02: ['{p}{s}楼道里堆满杂物，还有人在楼道里给电动车充电。'],
  GA04: ['{p}{s}的小厂房工人没有防护措施，存在安全隐患。'],
  GA05: ['咨询在{p}办理户口迁入需要什么材料。'],
  GA07: ['{p}{s}的河堤出现渗水，担心汛期出险。'],
  MZ01: ['家里老人生病没有收入，想申请低保，不知道怎么办理。'],
  MZ02: ['{p}的养老服务站很少开门，老人没有地方活动。'],
  MZ03: ['{p}{s}有人在耕地上乱埋乱葬。'],
  MZ04: ['想咨询残疾证办理和残疾人两项补贴的申请条件。'],
  MZ05: ['{p}{s}有邻居经常打骂孩子，希望有关部门介入。'],
  MZ06: ['退役军人优待证办理需要多长时间，在哪里办理？'],
  SR01: [
    '{p}{s}的垃圾桶已经满溢{n}天没人清运，气味很大，苍蝇很多。',
    '{p}{s}垃圾中转站周边脏乱，垃圾清运不及时。',
  ],
  SR02: ['{p}{s}的公共厕所卫生很差，没有水冲，晚上也没有灯。'],
  SR03: ['{p}{s}有商贩占道摆摊，把人行道都堵了。', '{p}{s}的沿街店铺把货物摆到人行道上经营。'],
  SR04: ['{p}{s}到处是小广告，墙上和电线杆上都贴满了。'],
  SR05: ['{p}{s}的路灯坏了好几盏，晚上一片漆黑，出行不安全。'],
  SR06: ['{p}{s}的行道树枝叶太茂盛，把红绿灯都遮住了，需要修剪。'],
  SR07: ['{p}{s}有人偷倒建筑垃圾和渣土，堆了一大片。'],
  SR08: ['{p}集镇上逢圩日摊位乱摆，交通堵塞，希望规范管理。'],
  JF01: ['和{p}的邻居因为排水问题闹矛盾，希望村里出面调解。'],
  JF02: ['{p}有一户人家兄弟之间因赡养老人发生争吵，老人没人照顾。'],
  JF03: ['{p}的邻居建房占了我家的出路，协商不成，请村里调解。'],
  JF04: ['{p}与邻村就一片山林的权属存在争议，双方多次发生冲突。'],
  JF05: ['{p}{s}有{n}十多户村民对征地补偿标准有意见，情绪比较激动。'],
  JF06: ['想咨询欠款纠纷怎么起诉，能不能申请法律援助。'],
  JC01: ['{p}的村务公开栏很久没有更新，村集体收支情况不清楚。'],
  JC02: ['反映{p}集体鱼塘承包费的使用情况不公开。'],
  JC03: ['反映{p}的村干部办事推诿，态度很差。'],
  JC04: ['咨询{p}村（居）委会换届选举的选民登记时间。'],
  ZR01: ['{p}{s}有人在基本农田上挖塘建房。'],
  ZR02: ['在{p}买的房子交房两年了，还办不了不动产权证。'],
  ZR03: ['{p}{s}的山坡出现裂缝，下雨后有滑坡迹象。'],
  ZR04: ['{p}{s}河段晚上有人偷偷采砂，河岸都被挖塌了。'],
  ZR05: ['{p}{s}有人滥砍滥伐山上的树木。'],
  ZW01: ['在县政务服务中心办理营业执照变更，跑了{n}次还没有办好。'],
  ZW02: ['反映{p}的工作人员上班时间玩手机，对群众爱答不理。'],
  ZW03: ['想了解{p}今年惠民资金的发放名单在哪里可以查询。'],
  ZW04: ['企业在{p}办理施工许可的审批时间太长，希望优化流程。'],
  ZX01: ['咨询今年城乡居民医保的缴费标准和缴费截止时间。', '咨询县里新出台的购房补贴政策。'],
  ZX02: ['咨询办理居住证需要带哪些材料，在哪里办理。', '咨询新生儿落户需要准备哪些材料。'],
  ZX03: ['建议在{p}{s}增设一处公交站台，方便村民出行。'],
  ZX04: ['感谢{p}的工作人员帮我们解决了路灯问题，办事很认真，特此表扬。'],
  QT01: ['{p}{s}有一处废弃厂房长期无人管理，堆放杂物，不知道归哪个部门管。'],
  QT02: ['{p}{s}河边的违建、垃圾和污水问题交织在一起，几个部门都说不归自己管。'],
  QT03: ['反映{p}的一个快递网点丢失包裹不赔偿。'],
  QT04: ['反映{p}{s}的一些问题，希望有关部门关注。'],
};

/** What a grid worker sees on patrol, by category (fallback: the category name). */
const EVENT_TEXT: Record<string, string> = {
  SR01: '垃圾堆积未及时清运',
  SR02: '公厕卫生差、设施损坏',
  SR03: '流动摊贩占道经营',
  SR04: '墙面和电线杆张贴小广告',
  SR05: '路灯不亮',
  SR06: '绿化带树木倒伏',
  SR07: '有人乱倒建筑垃圾',
  SR08: '集镇摊位乱摆',
  CJ01: '有住户正在违规搭建',
  CJ02: '房屋墙体开裂',
  CJ06: '工地围挡破损、安全防护缺失',
  ST01: '露天焚烧垃圾',
  ST02: '沟渠水体发黑',
  ST04: '工地夜间施工',
  ST06: '餐饮店油烟直排',
  ST07: '工地扬尘未覆盖',
  JT01: '路面坑洼破损',
  JT04: '车辆乱停乱放',
  JT06: '路口交通拥堵',
  JT07: '村道塌陷',
  JT08: '井盖破损缺失',
  NY04: '生活污水直排水塘',
  NY05: '柴草杂物乱堆乱放',
  NY08: '田间焚烧秸秆',
  GA01: '有人聚集赌博',
  GA02: '楼道堆放杂物、电动车违规充电',
  GA04: '小作坊安全防护缺失',
  JF01: '两户村民因琐事发生争执',
  JF03: '两户村民因建房边界发生争执',
  SD03: '供水管道漏水',
  SD05: '电线垂落',
  ZR01: '有人在农田里挖塘',
};

/** What the lead unit did, by top-level group. */
const REPLY_ACTION: Record<string, string[]> = {
  SR: ['已安排环卫人员清理完毕，并加密了清运频次', '已责令当事人整改，并纳入日常巡查'],
  CJ: ['已责令当事人停止违法行为并限期整改', '已约谈物业企业负责人，督促其限期整改到位'],
  ST: [
    '已对相关企业（商户）开展执法检查，责令整改并立案处理',
    '已现场监测，督促相关单位落实降噪（减排）措施',
  ],
  JT: ['已安排养护人员修复', '已加强该路段巡逻管控，并增设了交通标志'],
  SD: ['已安排抢修，现已恢复正常', '已排查处置隐患，并加强巡检'],
  LD: ['已约谈用工单位负责人，督促其依法支付工资', '已向您解释相关政策并告知办理渠道'],
  SC: ['已对商户开展检查，责令整改，并督促其与您协商处理', '已立案调查，将依法处理'],
  JF: ['已组织双方调解，达成一致意见', '已上门走访双方，化解了矛盾'],
  NY: ['已组织人员现场处理完毕', '已核实情况并按政策落实到位'],
  JY: ['已核实情况并向您作了政策解释', '已督促学校整改'],
  YL: ['已调查核实并督促相关机构整改', '已向您解释相关政策和办理流程'],
  MZ: ['已按政策为您办理，并告知了后续流程', '已安排工作人员上门核实情况'],
  GA: ['已安排民警处理，并加强巡逻', '已现场检查并责令整改'],
  JC: ['已督促村（社区）及时公开并作出说明', '已调查核实并向您反馈了情况'],
  ZR: ['已现场核查并责令停止违法行为', '已组织专业人员排查，落实了防范措施'],
  ZW: ['已核实情况并对相关人员进行了批评教育', '已优化办理流程并向您说明'],
  ZX: ['已向您详细解答相关政策'],
  QT: ['已协调相关单位处理完毕', '已向您说明情况'],
};

const SPOTS_COMMUNITY = [
  '小区东门',
  '小区南门',
  '沿街商铺前',
  '菜市场门口',
  '主干道路口',
  '学校附近',
  '老旧小区内',
  '公交站旁',
  '农贸市场后面',
  '广场周边',
];
const SPOTS_VILLAGE = [
  '村委会附近',
  '第{n}村民小组',
  '村口',
  '村小学旁',
  '河堤边',
  '田边',
  '村道上',
  '祠堂前',
  '水塘边',
  '集镇路口',
];

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘熊万涂邹付喻聂龚程魏';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华兰红玉梅建国志文斌辉鹏飞春燕海燕晓东小红德胜';
const PHONE_PREFIXES = [
  '139',
  '138',
  '137',
  '135',
  '136',
  '150',
  '151',
  '152',
  '158',
  '159',
  '182',
  '187',
  '188',
  '133',
  '153',
  '180',
  '189',
  '130',
  '131',
  '155',
  '186',
  '177',
  '199',
];

function personName(r: Rng): string {
  const given = r.chance(0.6) ? r.pick([...GIVEN]) + r.pick([...GIVEN]) : r.pick([...GIVEN]);
  return r.pick([...SURNAMES]) + given;
}

function fill(t: string, r: Rng, place: Place): string {
  const where = place.village
    ? `${place.township?.name ?? ''}${villageShortName(place.village.name)}`
    : (place.township?.name ?? '县城');
  return t
    .replaceAll('{p}', where)
    .replaceAll('{s}', place.spot)
    .replaceAll('{n}', String(r.int(2, 6)))
    .replaceAll('{m}', `${r.int(2, 30) / 2}万`);
}

function monthDay(t: number): string {
  const d = new Date(t + CN);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
}

// ── Accounts ───────────────────────────────────────────────────────────────────────────────────────

interface AccountSpec {
  username: string;
  role: StaffRole;
  orgId: string;
  displayName: string;
  gridIds: string[];
}

/**
 * Handler accounts, created lazily through `createUser` (system actor) with a random password that
 * is never shown. A background queue creates the accounts the plan will need in order of first use,
 * two at a time (password hashing is deliberately slow); `get` starts one at once when it is needed
 * before its turn.
 */
class Accounts {
  private readonly actors = new Map<string, Promise<StaffActor>>();
  private readonly specs = new Map<string, AccountSpec>();
  private readonly queue: string[] = [];
  private running = 0;
  created = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly county: string,
    private readonly orgs: Map<string, Org>,
    existing: StaffActor[],
  ) {
    for (const a of existing) this.actors.set(a.username, Promise.resolve(a));
  }

  /** Queues accounts for background creation (those that exist are skipped). */
  prefetch(specs: Iterable<AccountSpec>): void {
    for (const s of specs) {
      if (this.actors.has(s.username) || this.specs.has(s.username)) continue;
      this.specs.set(s.username, s);
      this.queue.push(s.username);
    }
    this.pump();
  }

  /** Time the simulation spent waiting for an account (its creation had not finished). */
  waitMs = 0;

  get(spec: AccountSpec): Promise<StaffActor> {
    const t = Date.now();
    const p = this.actors.get(spec.username) ?? this.start(spec);
    return p.then((a) => {
      this.waitMs += Date.now() - t;
      return a;
    });
  }

  /** Waits for queued creations still running (so the run ends with no work in flight). */
  async settle(): Promise<void> {
    this.queue.length = 0;
    await Promise.allSettled([...this.actors.values()]);
  }

  private pump(): void {
    while (this.running < 2 && this.queue.length) {
      const name = this.queue.shift()!;
      if (this.actors.has(name)) continue;
      this.running++;
      this.start(this.specs.get(name)!)
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  private start(spec: AccountSpec): Promise<StaffActor> {
    const p = this.create(spec);
    this.actors.set(spec.username, p);
    return p;
  }

  private async create(spec: AccountSpec): Promise<StaffActor> {
    // 24 random bytes plus a letter and a digit: strong, policy-compliant, never printed or stored.
    const password = `${randomBytes(24).toString('base64url')}a7`;
    const { id } = await createUser(this.ctx, systemActor(this.county), {
      username: spec.username,
      displayName: spec.displayName,
      role: spec.role,
      orgId: spec.orgId,
      password,
    });
    if (spec.gridIds.length) {
      await this.ctx.database.db
        .insertInto('user_grids')
        .values(spec.gridIds.map((g) => ({ user_id: id, grid_id: g, county_code: this.county })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    this.created++;
    return {
      kind: 'staff',
      userId: id,
      username: spec.username,
      role: spec.role,
      orgId: spec.orgId,
      countyCode: this.county,
      scopePath: this.orgs.get(spec.orgId)?.scopePath ?? `/${this.county}/`,
    };
  }
}

// ── The simulation ─────────────────────────────────────────────────────────────────────────────────

const TERMINAL = new Set(['closed', 'voided', 'merged']);

interface Entry {
  t: number;
  seq: number;
  plan?: Plan;
  gen?: AsyncGenerator<number, void, undefined>;
  sweep?: boolean;
}

/** A binary min-heap on (t, seq): equal times run in the order they were scheduled. */
class Heap {
  private readonly a: Entry[] = [];
  get size(): number {
    return this.a.length;
  }
  private less(i: number, j: number): boolean {
    const x = this.a[i]!;
    const y = this.a[j]!;
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(e: Entry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

type Mode = 'office' | 'daytime' | 'anytime';

/** The instant of China-time midnight starting the day that contains `t`. */
function chinaMidnight(t: number): number {
  return Math.floor((t + CN) / DAY) * DAY - CN;
}

class Sim {
  private readonly citizens = new Map<string, string>();
  centre!: { operator: StaffActor; dispatcher: StaffActor; revisit: StaffActor; supervisor: StaffActor };
  readonly caseIds: string[] = [];

  constructor(
    readonly ctx: AppContext,
    readonly county: string,
    readonly clock: FixedClock,
    readonly cal: WorkCalendar,
    readonly orgs: Map<string, Org>,
    readonly gridsByVillage: Map<string, Grid[]>,
    readonly accounts: Accounts,
  ) {}

  now(): number {
    return this.clock.now().getTime();
  }

  // Time: when people act.

  /** The next moment inside office hours (08:30–12:00, 14:00–17:30 on working days), China time. */
  office(t: number, r: Rng): number {
    const midnight = chinaMidnight(t);
    const minute = Math.floor((t - midnight) / MIN);
    if (this.cal.isWorkingDay(new Date(t))) {
      if (minute < 510) return midnight + 510 * MIN + r.between(0, 60) * MIN;
      if (minute >= 720 && minute < 840) return midnight + 840 * MIN + r.between(0, 40) * MIN;
      if (minute < 1050) return t;
    }
    return this.cal.nextWorkingDayStart(new Date(t)).getTime() + r.between(0, 90) * MIN;
  }

  /** The next moment between 07:30 and 22:00 China time (any day): people on their phones. */
  daytime(t: number, r: Rng): number {
    const midnight = chinaMidnight(t);
    const minute = Math.floor((t - midnight) / MIN);
    if (minute >= 450 && minute < 1320) return t;
    const next = minute < 450 ? midnight : midnight + DAY;
    return next + 450 * MIN + r.between(0, 90) * MIN;
  }

  snap(mode: Mode, t: number, r: Rng): number {
    return mode === 'office' ? this.office(t, r) : mode === 'daytime' ? this.daytime(t, r) : t;
  }

  /**
   * A moment to act before `due` (a fraction of the time left, snapped to when such people work),
   * or after it when the plan says this one is late.
   */
  pick(due: number | null, r: Rng, o: { lo: number; hi: number; mode: Mode; late?: boolean }): number {
    const from = this.now();
    const end = due ?? from + DAY;
    const span = Math.max(end - from, 10 * MIN);
    if (o.late) return this.snap(o.mode, end + r.between(0.1, 0.6) * Math.max(span, 2 * HOUR), r);
    const raw = from + r.between(o.lo, o.hi) * span;
    const t = this.snap(o.mode === 'office' && span < 10 * HOUR ? 'daytime' : o.mode, raw, r);
    if (t <= end) return t;
    return raw <= end ? raw : Math.max(from + MIN, end - r.between(5, 30) * MIN);
  }

  // Engine calls.

  async act(p: Plan, actor: Actor, action: string, input: unknown): Promise<CaseRow> {
    try {
      const { case: c } = await perform(this.ctx, actor, p.caseId!, action, input);
      p.state = c.state;
      return c;
    } catch (err) {
      const who = actor.kind === 'staff' ? actor.username : actor.kind;
      throw new Error(`${action} by ${who} in state ${p.state}: ${(err as Error).message}`, { cause: err });
    }
  }

  async due(caseId: string, stage: Stage): Promise<number | null> {
    const row = await this.ctx.database.db
      .selectFrom('case_deadlines')
      .select('due_at')
      .where('case_id', '=', caseId)
      .where('stage', '=', stage)
      .where('status', 'in', ['pending', 'warned', 'overdue'])
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? row.due_at.getTime() : null;
  }

  handlerSpec(orgId: string): AccountSpec {
    const o = this.orgs.get(orgId);
    const username = `h_${orgId.toLowerCase()}`;
    const person = personName(new Rng(hashString(orgId)));
    if (!o) return { username, role: 'county_dispatcher', orgId, displayName: person, gridIds: [] };
    switch (o.kind) {
      case 'village':
        return {
          username,
          role: 'village_handler',
          orgId,
          displayName: `${villageShortName(o.name)} 经办人 ${person}`,
          gridIds: [],
        };
      case 'township': {
        const centre = this.orgs.has(`${orgId}C`) ? `${orgId}C` : orgId;
        return {
          username,
          role: 'township_dispatcher',
          orgId: centre,
          displayName: `${o.name}中心 ${person}`,
          gridIds: [],
        };
      }
      case 'department':
        return {
          username,
          role: 'department_handler',
          orgId,
          displayName: `${o.name} 经办人 ${person}`,
          gridIds: [],
        };
      default: {
        const centre = this.orgs.has(`${this.county}C`) ? `${this.county}C` : this.county;
        return {
          username,
          role: 'county_dispatcher',
          orgId: centre,
          displayName: `县中心承办 ${person}`,
          gridIds: [],
        };
      }
    }
  }

  gridWorkerSpec(villageId: string): AccountSpec {
    const o = this.orgs.get(villageId);
    return {
      username: `gw_${villageId.toLowerCase()}`,
      role: 'grid_worker',
      orgId: villageId,
      displayName: `${o ? villageShortName(o.name) : villageId} 网格员 ${personName(new Rng(hashString(`gw${villageId}`)))}`,
      gridIds: (this.gridsByVillage.get(villageId) ?? []).map((g) => g.id),
    };
  }

  handler(orgId: string): Promise<StaffActor> {
    return this.accounts.get(this.handlerSpec(orgId));
  }

  async citizen(phone: string, homeOrgId: string | null): Promise<string> {
    const known = this.citizens.get(phone);
    if (known) return known;
    const { cipher } = this.ctx;
    const now = this.clock.now();
    const row = await this.ctx.database.db
      .insertInto('citizens')
      .values({
        county_code: this.county,
        phone_hash: cipher.blindIndex(phone),
        phone_enc: cipher.encrypt(phone),
        phone_masked: maskPhone(phone),
        home_org_id: homeOrgId,
        key_id: cipher.currentKeyId,
        last_login_at: now,
      })
      .onConflict((oc) => oc.columns(['county_code', 'phone_hash']).doUpdateSet({ last_login_at: now }))
      .returning('id')
      .executeTakeFirstOrThrow();
    this.citizens.set(phone, row.id);
    return row.id;
  }

  /** Receives the case on its channel, as the person who would submit it. */
  async receive(p: Plan): Promise<CaseRow> {
    const r = new Rng(mix(p.seed, 1));
    const { place } = p;
    const address = place.village
      ? `${place.township?.name ?? ''}${villageShortName(place.village.name)}${place.spot}`
      : undefined;
    const position =
      place.lon !== undefined ? { lon: place.lon, lat: place.lat } : { villageId: place.village?.id };
    let actor: Actor;
    let input: IntakeInput;
    if (p.kind === 'event') {
      actor = await this.accounts.get(this.gridWorkerSpec(p.reporterVillage));
      const what = EVENT_TEXT[p.cat.id] ?? `${p.cat.name}问题`;
      input = {
        type: 'event',
        channel: 'grid',
        categoryId: p.cat.id,
        description: `网格巡查发现${fill('{p}{s}', r, place)}${what}，已拍照留存。`,
        address,
        ...position,
      };
    } else {
      const templates = APPEAL_TEXT[p.cat.id] ?? [`反映{p}{s}的${p.cat.name}问题，希望有关部门尽快处理。`];
      const description = fill(r.pick(templates), r, place);
      input = {
        type: 'appeal',
        channel: p.channel,
        categoryId: p.cat.id,
        urgency: p.urgency,
        description,
        address,
        ...position,
        contactName: p.contactName,
        contactPhone: p.contactPhone,
        anonymous: p.anonymous,
        confidential: p.confidential,
      };
      if (p.channel === 'web' || p.channel === 'app') {
        const citizenId = await this.citizen(p.citizenPhone!, place.village?.id ?? null);
        actor = { kind: 'citizen', citizenId, countyCode: this.county };
      } else if (p.channel === 'kiosk') {
        actor = { kind: 'anonymous', countyCode: this.county };
      } else {
        actor = this.centre.operator;
      }
    }
    const { case: c } = await receiveCase(this.ctx, actor, input);
    p.caseId = c.id;
    p.state = c.state;
    this.caseIds.push(c.id);
    return c;
  }
}

// ── Scripts ────────────────────────────────────────────────────────────────────────────────────────

function rootOf(cat: Cat): string {
  return cat.parentId ?? cat.id;
}

function replyText(cat: Cat, r: Rng, t: number): string {
  const action = r.pick(REPLY_ACTION[rootOf(cat)] ?? ['已按规定处理']);
  return `您好，您反映的问题已收悉。经核查，我单位于${monthDay(t)}安排人员到现场处理，${action}。感谢您对我们工作的监督和支持。`;
}

/** One appeal, from intake to close, as the plan says. */
async function* appealScript(sim: Sim, p: AppealPlan): AsyncGenerator<number, void, undefined> {
  const r = new Rng(mix(p.seed, 2));
  const { operator, dispatcher, supervisor } = sim.centre;
  const c0 = await sim.receive(p);

  if (p.void) {
    yield sim.now() + r.between(5, 90) * MIN;
    await sim.act(p, operator, 'void', {
      reason: r.pick(['来电无实质诉求内容', '诉求人来电撤回诉求', '信息不全且多次联系不上诉求人，无法核实']),
    });
    return;
  }
  if (p.dupOf) {
    yield sim.now() + r.between(5, 60) * MIN;
    const target = p.dupOf;
    if (target.caseId && target.state && !TERMINAL.has(target.state)) {
      await sim.act(p, operator, 'merge', {
        intoCaseId: target.caseId,
        note: '同一地点同一问题的重复诉求，并案办理',
      });
      return;
    }
  }
  if (p.answerDirectly) {
    yield sim.pick(await sim.due(p.caseId!, 'dispatch'), r, { lo: 0.05, hi: 0.5, mode: 'anytime' });
    await sim.act(p, operator, 'answer_directly', {
      answer: `您好，${p.cat.name}相关问题答复如下：可登录“赣服通”南昌县分厅或到县政务服务中心相关窗口办理，如有疑问可再次拨打12345咨询。`,
    });
    const satisfaction = yield* rating(sim, p, r, 0);
    yield sim.office(sim.now() + r.between(0.3, 4) * HOUR, r);
    await sim.act(
      p,
      dispatcher,
      'close',
      satisfaction === 'unsatisfied' ? { note: '已按政策作出解释，诉求人另有意见可依法申请复议' } : {},
    );
    return;
  }

  // 派单: to the routing suggestion, unless the plan overrides it (with the reason).
  const suggested = (c0.routing as { suggestedLeadOrgId?: string }).suggestedLeadOrgId ?? sim.county;
  let lead = p.override ?? suggested;
  yield sim.pick(await sim.due(p.caseId!, 'dispatch'), r, { lo: 0.05, hi: 0.7, mode: 'anytime' });
  const leadName = sim.orgs.get(lead)?.name ?? lead;
  await sim.act(p, operator, 'dispatch', {
    leadOrgId: lead,
    ...(p.assist ? { assistOrgIds: [p.assist] } : {}),
    ...(p.override ? { note: `经研判，该事项由${leadName}办理更为合适` } : {}),
  });

  for (let round = 0; ; round++) {
    let handler = await sim.handler(lead);
    // 退单: within two working days of dispatch; the centre redispatches or insists.
    if (round === 0 && p.ret) {
      yield sim.office(sim.now() + r.between(0.5, 8) * HOUR, r);
      await sim.act(p, handler, 'request_return', {
        reason: `该事项不属于${leadName}职责范围，请改派${p.ret.to ? (sim.orgs.get(p.ret.to)?.name ?? '') : '相关单位'}办理`,
        legalBasis: '《南昌县县直部门权责清单》',
      });
      // The centre decides within the dispatch limit the return reopened (it works round the clock).
      yield sim.pick(await sim.due(p.caseId!, 'dispatch'), r, { lo: 0.1, hi: 0.8, mode: 'anytime' });
      if (p.ret.to) {
        await sim.act(p, dispatcher, 'decide_return', {
          decision: 'redispatch',
          leadOrgId: p.ret.to,
          note: `退单理由成立，改派${sim.orgs.get(p.ret.to)?.name ?? p.ret.to}办理`,
        });
        lead = p.ret.to;
        handler = await sim.handler(lead);
      } else {
        await sim.act(p, dispatcher, 'decide_return', {
          decision: 'insist',
          note: '经研判，该事项属你单位职责，请按时办理',
        });
      }
    }
    // 签收 and 先行联系.
    const fast = p.urgency === 'emergency' || p.cat.urgency === 'emergency';
    yield sim.pick(await sim.due(p.caseId!, 'sign'), r, {
      lo: 0.02,
      hi: 0.35,
      mode: fast ? 'anytime' : 'daytime',
      late: round === 0 && p.lateSign,
    });
    await sim.act(p, handler, 'sign', {});
    yield sim.pick(await sim.due(p.caseId!, 'first_contact'), r, {
      lo: 0.05,
      hi: 0.5,
      mode: fast ? 'anytime' : 'daytime',
      late: round === 0 && p.lateContact,
    });
    await sim.act(p, handler, 'first_contact', {
      method: p.anonymous ? 'visit' : r.pick(['phone', 'phone', 'phone', 'visit', 'sms'] as const),
      note: p.anonymous ? '匿名诉求，已到现场核实情况' : '已与诉求人联系，了解具体情况',
    });

    if (round === 0 && p.whistle && sim.orgs.get(lead)?.kind === 'village') {
      yield* whistle(sim, p, r, handler, p.whistle);
    }
    if (round === 0 && p.suspend) {
      yield sim.office(sim.now() + r.between(2, 20) * HOUR, r);
      const due = await sim.due(p.caseId!, 'reply');
      const left = (due ?? sim.now()) - sim.now();
      if (left > DAY && p.state === 'in_progress') {
        await sim.act(p, dispatcher, 'suspend', {
          reason: r.pick([
            '当事人已向法院起诉，待判决后继续办理',
            '诉求人要求暂缓处理',
            '需待雨季结束后方可施工',
          ]),
        });
        yield sim.office(sim.now() + Math.min(r.between(1, 6) * DAY, left * 0.7), r);
        await sim.act(p, dispatcher, 'resume', { note: '暂停原因已消除，恢复办理' });
      }
    }
    if (round === 0 && p.extension) {
      yield sim.office(sim.now() + r.between(1, 6) * HOUR, r);
      const due = await sim.due(p.caseId!, 'reply');
      if (due && sim.cal.workingDaysBetween(new Date(sim.now()), new Date(due)) >= 1) {
        await sim.act(p, handler, 'request_extension', {
          days: r.int(3, 10),
          reason: r.pick([
            '涉及多个部门协调，需要进一步调查取证',
            '需走采购程序后方可施工',
            '需等待天气好转后施工',
          ]),
        });
        yield sim.office(sim.now() + r.between(1, 8) * HOUR, r);
        await sim.act(p, dispatcher, 'decide_extension', {
          approved: p.extension.approved,
          note: p.extension.approved ? '同意延期，请在延期内办结' : '理由不充分，不予延期，请按期办结',
        });
      }
    }
    // 协办单位 answer the lead unit first.
    if (p.assist) {
      const assistant = await sim.handler(p.assist);
      const due = await sim.due(p.caseId!, 'reply');
      yield sim.pick(due, r, { lo: 0.05, hi: 0.4, mode: 'office' });
      await sim.act(p, assistant, 'assist_reply', { reply: '我单位已配合现场核查，意见已反馈主办单位。' });
    }
    // 催办 and 督办 come before the reply, from the supervisor.
    const due = await sim.due(p.caseId!, 'reply');
    const replyAt = sim.pick(due, r, {
      lo: 0.15,
      hi: 0.85,
      mode: fast ? 'anytime' : 'office',
      late: round === 0 && p.lateReply && !p.extension?.approved,
    });
    if (round === 0 && (p.urge || p.supervise)) {
      const from = sim.now();
      const urgeAt = from + r.between(0.5, 0.9) * (Math.min(replyAt, due ?? replyAt) - from);
      if (p.urge && urgeAt < replyAt) {
        yield urgeAt;
        await sim.act(p, supervisor, 'urge', { message: '该工单即将到期，请抓紧办理并及时答复群众' });
      }
      const supAt =
        p.lateReply && due ? due + r.between(0.1, 0.9) * (replyAt - due) : Math.max(sim.now(), urgeAt) + MIN;
      if (p.supervise && supAt < replyAt) {
        yield supAt;
        const level = p.supervise;
        await sim.act(p, supervisor, 'supervise', {
          level,
          days: level === 'red' ? 3 : 5,
          message:
            level === 'red'
              ? '该工单超期未办结且群众反映强烈，予以红牌督办，请主要负责同志亲自过问'
              : level === 'yellow'
                ? '该工单已超期，予以黄牌督办，请限期办结'
                : '请加强跟踪，确保按期办结',
        });
      }
    }
    yield replyAt;
    await sim.act(p, handler, 'reply', { reply: replyText(p.cat, r, sim.now()), resolved: true });

    // 审核 (the citizen may rate first, from the portal).
    const auditAt = sim.pick(await sim.due(p.caseId!, 'audit'), r, { lo: 0.05, hi: 0.5, mode: 'office' });
    const rateFirst = p.selfRate && r.chance(0.4);
    if (!rateFirst) {
      yield auditAt;
      if (round === 0 && p.auditReject) {
        await sim.act(p, dispatcher, 'audit', {
          approved: false,
          comment: '答复内容过于简单，请补充办理过程和结果',
        });
        yield sim.office(sim.now() + r.between(3, 30) * HOUR, r);
        await sim.act(p, handler, 'reply', { reply: replyText(p.cat, r, sim.now()), resolved: true });
        yield sim.office(sim.now() + r.between(0.5, 5) * HOUR, r);
      }
      await sim.act(p, dispatcher, 'audit', { approved: true });
    }
    const satisfaction = yield* rating(sim, p, r, round);
    if (satisfaction === 'unsatisfied') {
      yield sim.office(sim.now() + r.between(0.5, 8) * HOUR, r);
      if (round === 0 && p.redo) {
        await sim.act(p, dispatcher, 'redo', {
          reason: `群众对办理结果不满意（${r.pick(['问题没有实际解决', '只是电话解释，没有到现场', '处理时间太长'])}），请重新办理`,
        });
        continue;
      }
      await sim.act(p, dispatcher, 'close', {
        note: '经研判，诉求已依法依规办理并作出解释，不予再次重办',
      });
      return;
    }
    yield sim.office(sim.now() + r.between(0.3, 5) * HOUR, r);
    await sim.act(p, dispatcher, 'close', {});
    return;
  }
}

/** 回访 or the citizen's own rating; returns the satisfaction given. */
async function* rating(
  sim: Sim,
  p: AppealPlan,
  r: Rng,
  round: number,
): AsyncGenerator<number, Satisfaction, undefined> {
  const satisfaction = p.sat[Math.min(round, 1)]!;
  const resolved = satisfaction !== 'unsatisfied' || r.chance(0.2);
  const comment =
    satisfaction === 'unsatisfied'
      ? r.pick(['问题没有解决', '处理不及时', '答复敷衍'])
      : satisfaction === 'satisfied' && r.chance(0.3)
        ? r.pick(['处理很及时，谢谢', '工作人员态度很好', '问题已经解决了'])
        : undefined;
  const input = { resolved, satisfaction, ...(comment ? { comment } : {}) };
  const due = await sim.due(p.caseId!, 'revisit');
  if (p.selfRate && p.citizenPhone && p.state !== 'answered_directly') {
    yield sim.pick(due ?? (await sim.due(p.caseId!, 'audit')), r, { lo: 0.05, hi: 0.6, mode: 'daytime' });
    const citizenId = await sim.citizen(p.citizenPhone, null);
    await sim.act(p, { kind: 'citizen', citizenId, countyCode: sim.county }, 'rate', {
      ...input,
      method: 'portal',
    });
  } else {
    yield sim.pick(due, r, { lo: 0.1, hi: 0.7, mode: 'daytime' });
    await sim.act(p, sim.centre.revisit, 'revisit', {
      ...input,
      method: p.anonymous || !p.contactPhone ? 'visit' : 'phone',
    });
  }
  return satisfaction;
}

/** 村社吹哨、部门报到: the village whistles, departments report (some late), act, and are rated. */
async function* whistle(
  sim: Sim,
  p: AppealPlan,
  r: Rng,
  villageHandler: StaffActor,
  w: NonNullable<AppealPlan['whistle']>,
): AsyncGenerator<number, void, undefined> {
  yield sim.office(sim.now() + r.between(1, 24) * HOUR, r);
  if (p.state !== 'in_progress') return;
  const message = {
    resident_demand: '群众反映强烈，村里没有执法权，请相关部门到场处理',
    joint_enforcement: '需要联合执法，请相关部门到场',
    emergency: '情况紧急，请立即到场处置',
  }[w.reason];
  await sim.act(p, villageHandler, 'whistle', {
    departmentIds: w.departments,
    reasonClass: w.reason,
    message,
  });
  const row = await sim.ctx.database.db
    .selectFrom('whistles as w')
    .innerJoin('whistle_reports as r', 'r.whistle_id', 'w.id')
    .select(['w.id', 'r.due_at'])
    .where('w.case_id', '=', p.caseId!)
    .orderBy('w.created_at', 'desc')
    .executeTakeFirstOrThrow();
  const due = row.due_at.getTime();
  // Each department reports on its own (most within the limit, some late), then acts, then is rated.
  const from = sim.now();
  const reports = w.departments
    .map((dept) => {
      const late = r.chance(0.12);
      const at = late
        ? due + r.between(10, 150) * MIN
        : Math.min(due, from + r.between(0.1, 0.8) * Math.max(due - from, 10 * MIN));
      return { dept, late, at };
    })
    .sort((a, b) => a.at - b.at);
  for (const x of reports) {
    yield x.at;
    await sim.act(p, await sim.handler(x.dept), 'report', {
      whistleId: row.id,
      responder: `${personName(r)}等${r.int(2, 5)}人`,
      note: '已安排执法人员赶赴现场',
    });
  }
  for (const x of reports) {
    yield sim.office(sim.now() + r.between(2, 30) * HOUR, r);
    await sim.act(p, await sim.handler(x.dept), 'report_done', {
      whistleId: row.id,
      actionTaken: '已到现场与村里联合处置，问题已依法处理',
    });
  }
  for (const x of reports) {
    yield sim.office(sim.now() + r.between(0.5, 8) * HOUR, r);
    await sim.act(p, villageHandler, 'rate_report', {
      whistleId: row.id,
      departmentId: x.dept,
      rating: x.late ? r.int(2, 4) : r.int(4, 5),
      ...(x.late ? { comment: '报到不够及时' } : {}),
    });
  }
}

/** A grid worker's event: solved on the spot, or dispatched, handled and verified. */
async function* eventScript(sim: Sim, p: EventPlan): AsyncGenerator<number, void, undefined> {
  const r = new Rng(mix(p.seed, 3));
  const { operator } = sim.centre;
  const c0 = await sim.receive(p);
  const reporter = await sim.accounts.get(sim.gridWorkerSpec(p.reporterVillage));
  if (p.void) {
    yield sim.now() + r.between(10, 90) * MIN;
    await sim.act(p, operator, 'void', { reason: '重复上报，已有同一事件在办理' });
    return;
  }
  if (p.solve) {
    yield sim.now() + r.between(10, 80) * MIN;
    await sim.act(p, reporter, 'solve_on_spot', {
      result: r.pick([
        '已现场劝导当事人整改，现场已恢复正常',
        '已联系保洁人员现场清理完毕',
        '已现场调解，双方达成谅解',
        '已设置警示标志并协调人员处理完毕',
      ]),
    });
    return;
  }
  yield sim.pick(await sim.due(p.caseId!, 'dispatch'), r, { lo: 0.05, hi: 0.7, mode: 'anytime' });
  const lead = (c0.routing as { suggestedLeadOrgId?: string }).suggestedLeadOrgId ?? sim.county;
  await sim.act(p, operator, 'dispatch', { leadOrgId: lead });
  const handler = await sim.handler(lead);
  yield sim.pick(await sim.due(p.caseId!, 'sign'), r, { lo: 0.02, hi: 0.35, mode: 'daytime' });
  await sim.act(p, handler, 'sign', {});
  yield sim.daytime(sim.now() + r.between(0.3, 6) * HOUR, r);
  await sim.act(p, handler, 'handle', { note: '已安排人员赶赴现场处置' });
  for (let round = 0; ; round++) {
    yield sim.pick(await sim.due(p.caseId!, 'reply'), r, {
      lo: 0.1,
      hi: 0.7,
      mode: 'office',
      late: round === 0 && p.lateReply,
    });
    await sim.act(p, handler, 'reply', {
      result: `${r.pick(REPLY_ACTION[rootOf(p.cat)] ?? ['已处置完毕'])}。`,
    });
    yield sim.daytime(sim.now() + r.between(1, 24) * HOUR, r);
    const passed = !(round === 0 && p.verifyFail);
    await sim.act(p, reporter, 'verify', {
      passed,
      ...(passed ? {} : { note: '现场复核发现问题仍未完全解决' }),
    });
    if (passed) return;
  }
}

// ── Planning ───────────────────────────────────────────────────────────────────────────────────────

interface World {
  county: string;
  orgs: Map<string, Org>;
  villages: Org[];
  villageCdf: number[];
  gridsByVillage: Map<string, Grid[]>;
  cats: Cat[];
  deptByKey: Map<string, Org>;
}

/** The unit routing will suggest for a category at a place (mirrors engine/routing.ts, for prefetching). */
function predictLead(w: World, cat: Cat, place: Place): string {
  if (cat.level === 'village' && place.village) return place.village.id;
  if (cat.level === 'township' && place.township) return place.township.id;
  if (cat.level === 'department' && cat.defaultOrgId) return cat.defaultOrgId;
  return w.county;
}

function placeIn(w: World, r: Rng, village: Org | null, withPosition: boolean): Place {
  const township = village?.parentId ? (w.orgs.get(village.parentId) ?? null) : null;
  const spots = village?.subtype === 'community' ? SPOTS_COMMUNITY : SPOTS_VILLAGE;
  const spot = r.pick(spots).replace('{n}', String(r.int(1, 12)));
  const grids = village ? (w.gridsByVillage.get(village.id) ?? []) : [];
  const grid = grids.length ? r.pick(grids) : null;
  const place: Place = { village, township, grid, spot };
  if (grid && withPosition) {
    // A point inside the grid: its centroid, jittered by up to 40 % of its extent, kept only if it
    // lies in the grid (the centroid itself as the last try; a concave grid may miss, then no point).
    const [x0, y0, x1, y1] = grid.bbox;
    const [cx, cy] = grid.centroid;
    for (let i = 0; i < 6; i++) {
      const f = i < 5 ? 0.8 : 0;
      const lon = cx + (r.next() - 0.5) * f * (x1 - x0);
      const lat = cy + (r.next() - 0.5) * f * (y1 - y0);
      if (pointInGeometry(lon, lat, grid.geometry)) {
        place.lon = Math.round(lon * 1e6) / 1e6;
        place.lat = Math.round(lat * 1e6) / 1e6;
        break;
      }
    }
  }
  return place;
}

/** Arrival times: weighted days (weekends, holidays, season), then an hour profile. */
function arrivals(
  r: Rng,
  cal: WorkCalendar,
  n: number,
  start: number,
  end: number,
  hourly: readonly number[],
): number[] {
  const days = Math.max(1, Math.round((end - start) / DAY));
  const tailDays = Math.min(7, days / 4);
  // The last days only hold their natural share of a year (≤ 2.5 %): cases that arrive there are the
  // ones still open at the end, whatever the length of the history.
  const tailShare = Math.min(tailDays / days, 0.025);
  const dayWeights: number[] = [];
  for (let d = 0; d < days; d++) {
    const t = start + d * DAY + 12 * HOUR;
    const month = new Date(t + CN).getUTCMonth() + 1;
    dayWeights.push((cal.isWorkingDay(new Date(t)) ? 1 : 0.72) * (MONTH_FACTOR[month] ?? 1));
  }
  const tailStartDay = Math.max(1, Math.floor(days - tailDays));
  const mainCdf = cdfOf(dayWeights.slice(0, tailStartDay));
  const tailCdf = cdfOf(dayWeights.slice(tailStartDay));
  const hourCdf = cdfOf(hourly);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const tail = tailCdf.length > 0 && r.chance(tailShare);
    const day = tail ? tailStartDay + r.fromCdf(tailCdf) : r.fromCdf(mainCdf);
    const hour = r.fromCdf(hourCdf);
    // Day boundaries are China midnights.
    const midnight = chinaMidnight(start) + day * DAY;
    const t = midnight + hour * HOUR + r.next() * HOUR;
    out.push(Math.min(Math.max(t, start), end - MIN));
  }
  return out.sort((a, b) => a - b);
}

function categoryCdfs(cats: Cat[], kind: 'appeal' | 'event'): { list: Cat[]; byMonth: number[][] } {
  const list = cats.filter((c) => c.parentId && (kind === 'appeal' ? c.appeal : c.event));
  const sizes = new Map<string, number>();
  for (const c of list) sizes.set(c.parentId!, (sizes.get(c.parentId!) ?? 0) + 1);
  const byMonth: number[][] = [];
  for (let m = 1; m <= 12; m++) {
    byMonth.push(
      cdfOf(
        list.map((c) => {
          const g = c.parentId!;
          const base = (GROUP_WEIGHTS[g] ?? 1) / sizes.get(g)!;
          return base * (CHILD_BOOST[c.id] ?? 1) * (SEASON[g]?.[m] ?? 1) * (SEASON[c.id]?.[m] ?? 1);
        }),
      ),
    );
  }
  return { list, byMonth };
}

function monthOf(t: number): number {
  return new Date(t + CN).getUTCMonth() + 1;
}

function sampleSatisfaction(r: Rng, round: number): Satisfaction {
  const x = r.next();
  if (round === 0) return x < 0.82 ? 'satisfied' : x < 0.93 ? 'basically_satisfied' : 'unsatisfied';
  return x < 0.55 ? 'satisfied' : x < 0.8 ? 'basically_satisfied' : 'unsatisfied';
}

function planAppeals(
  w: World,
  r: Rng,
  cal: WorkCalendar,
  n: number,
  start: number,
  end: number,
): AppealPlan[] {
  const { list, byMonth } = categoryCdfs(w.cats, 'appeal');
  const times = arrivals(r, cal, n, start, end, HOURLY);
  const channelCdf = cdfOf(CHANNELS.map(([, v]) => v));
  const phones = new Set<string>();
  const onlinePhones: string[] = [];
  const newPhone = (): string => {
    for (;;) {
      const p = `${r.pick(PHONE_PREFIXES)}${String(r.int(0, 99_999_999)).padStart(8, '0')}`;
      if (!phones.has(p)) {
        phones.add(p);
        return p;
      }
    }
  };
  const plans: AppealPlan[] = times.map((at, i) => {
    const seed = mix(r.int(0, 2 ** 31), i);
    const cat = list[r.fromCdf(byMonth[monthOf(at) - 1]!)]!;
    const channel = CHANNELS[r.fromCdf(channelCdf)]![0];
    // County-wide matters (consultations, policies) often carry no place.
    const placeless = cat.level === 'county' && r.chance(0.4);
    const village = placeless || w.villages.length === 0 ? null : w.villages[r.fromCdf(w.villageCdf)]!;
    const withPosition = channel !== 'phone' || r.chance(0.75);
    const place = placeIn(w, r, village, withPosition);
    const anonymous = r.chance(channel === 'kiosk' ? 0.15 : 0.025);
    const sensitive = ['JC03', 'ZW02', 'GA01', 'JC02'].includes(cat.id);
    const confidential = r.chance(sensitive ? 0.5 : 0.012);
    const online = channel === 'web' || channel === 'app';
    let citizenPhone: string | undefined;
    if (online) {
      citizenPhone = onlinePhones.length && r.chance(0.25) ? r.pick(onlinePhones) : newPhone();
      onlinePhones.push(citizenPhone);
    }
    const contactPhone = anonymous ? undefined : (citizenPhone ?? newPhone());
    const contactName = anonymous || (online && r.chance(0.5)) ? undefined : personName(r);
    const consult = cat.parentId === 'ZX';
    const answerDirectly = consult
      ? r.chance(cat.id === 'ZX01' || cat.id === 'ZX02' ? 0.8 : 0.45)
      : r.chance(0.014);
    const lead = predictLead(w, cat, place);
    const plan: AppealPlan = {
      kind: 'appeal',
      at,
      seed,
      cat,
      place,
      channel,
      anonymous,
      confidential,
      ...(cat.urgency === 'normal' && r.chance(0.05) ? { urgency: 'urgent' as const } : {}),
      ...(citizenPhone ? { citizenPhone } : {}),
      ...(contactName ? { contactName } : {}),
      ...(contactPhone ? { contactPhone } : {}),
      void: r.chance(0.004),
      answerDirectly,
      suspend: r.chance(0.008),
      urge: r.chance(0.05),
      lateSign: r.chance(0.03),
      lateContact: r.chance(0.03),
      lateReply: r.chance(0.04),
      auditReject: r.chance(0.02),
      selfRate: online && r.chance(0.45),
      sat: [sampleSatisfaction(r, 0), sampleSatisfaction(r, 1)],
      redo: false,
    };
    plan.redo = plan.sat[0] === 'unsatisfied' && r.chance(0.85);
    // The county centre rarely keeps a located case itself: it sends it to the place or a department.
    if (lead === w.county && place.township && r.chance(0.7)) plan.override = place.township.id;
    else if (r.chance(0.015)) {
      const alt = alternativeUnit(w, r, cat, place, lead);
      if (alt && alt !== lead) plan.override = alt;
    }
    const actualLead = plan.override ?? lead;
    if (r.chance(0.03)) {
      const assist = assistFor(w, r, cat, place, actualLead);
      if (assist) plan.assist = assist;
    }
    if (r.chance(0.04)) plan.ret = returnFor(w, r, cat, place, actualLead);
    if (replyDays(cat) >= 3 && r.chance(0.05)) plan.extension = { approved: r.chance(0.85) };
    if (w.orgs.get(actualLead)?.kind === 'village' && r.chance(0.12)) plan.whistle = whistleFor(w, r, cat);
    if (plan.lateReply || r.chance(0.01)) {
      const x = r.next();
      if (plan.lateReply ? x < 0.5 : true) plan.supervise = x < 0.2 ? 'red' : x < 0.6 ? 'yellow' : 'normal';
    }
    return plan;
  });
  // Duplicates (重复件): a second caller about the same problem, soon after the first.
  for (let i = 1; i < plans.length; i++) {
    if (!r.chance(0.007)) continue;
    const j = Math.max(0, i - r.int(1, 20));
    makeDuplicate(plans, j, i, r, end);
  }
  ensureCoverage(w, plans, r, end);
  for (const p of plans) {
    if (p.whistle) p.ret = undefined;
    // A redispatch after a return names a new lead only; an assisting unit is never the lead itself.
    if (p.ret || p.assist === (p.override ?? predictLead(w, p.cat, p.place))) p.assist = undefined;
  }
  return plans.sort((a, b) => a.at - b.at);
}

function mergeable(p: AppealPlan): boolean {
  return !p.void && !p.dupOf && !p.answerDirectly && !p.ret;
}

function makeDuplicate(plans: AppealPlan[], j: number, i: number, r: Rng, end: number): boolean {
  const original = plans[j]!;
  const dup = plans[i]!;
  if (i === j || !mergeable(original) || !mergeable(dup) || plans.some((p) => p.dupOf === dup)) return false;
  dup.dupOf = original;
  dup.cat = original.cat;
  dup.place = { ...original.place, spot: original.place.spot };
  dup.at = Math.min(original.at + r.between(30, 600) * MIN, Math.max(original.at, end - MIN));
  dup.void = false;
  return true;
}

function replyDays(cat: Cat): number {
  return cat.replyUnit === 'working_days' && cat.urgency !== 'emergency' ? cat.replyAmount : 0;
}

function deptId(w: World, key: string): string | undefined {
  return w.deptByKey.get(key)?.id;
}

function alternativeUnit(w: World, r: Rng, cat: Cat, place: Place, lead: string): string | undefined {
  const o = w.orgs.get(lead);
  if (o?.kind === 'department') {
    const alts = (CONFUSABLE[o.subtype ?? ''] ?? []).map((k) => deptId(w, k)).filter((x): x is string => !!x);
    if (alts.length) return r.pick(alts);
    return place.township?.id;
  }
  if (o?.kind === 'village') return place.township?.id;
  if (o?.kind === 'township') {
    const parent = w.cats.find((c) => c.id === cat.parentId);
    return parent?.defaultOrgId ?? deptId(w, r.pick(WHISTLE_DEPTS[rootOf(cat)] ?? ['urban_mgmt']));
  }
  return place.township?.id ?? deptId(w, 'urban_mgmt');
}

function assistFor(w: World, r: Rng, cat: Cat, place: Place, lead: string): string | undefined {
  const o = w.orgs.get(lead);
  if (o?.kind === 'department') return place.township?.id;
  const keys = WHISTLE_DEPTS[rootOf(cat)] ?? ['urban_mgmt'];
  return deptId(w, r.pick(keys));
}

function returnFor(w: World, r: Rng, cat: Cat, place: Place, lead: string): { to: string | null } {
  if (r.chance(0.2)) return { to: null };
  const alt = alternativeUnit(w, r, cat, place, lead);
  return { to: alt && alt !== lead ? alt : null };
}

function whistleFor(w: World, r: Rng, cat: Cat): NonNullable<AppealPlan['whistle']> {
  const keys = WHISTLE_DEPTS[rootOf(cat)] ?? ['urban_mgmt'];
  const ids = [...new Set(keys.map((k) => deptId(w, k)).filter((x): x is string => !!x))];
  const departments = ids.length > 1 && r.chance(0.3) ? ids.slice(0, 2) : [r.pick(ids)];
  const x = r.next();
  const reason = x < 0.55 ? 'resident_demand' : x < 0.85 ? 'joint_enforcement' : 'emergency';
  return { departments: departments.filter(Boolean), reason };
}

/**
 * Small histories still show every path: when sampling left one out, a case early enough to finish
 * is given it (answered directly, redo, approved extension, return, merge, whistle, void).
 */
function ensureCoverage(w: World, plans: AppealPlan[], r: Rng, end: number): void {
  if (plans.length < 20) return;
  const early = (p: AppealPlan, i: number) => i < plans.length * 0.6 && mergeable(p) && !p.whistle;
  const candidates = () => plans.filter(early);
  const take = (): AppealPlan | undefined => {
    const list = candidates().filter((p) => !p.extension && !p.redo && !p.suspend && !p.assist);
    return list.length ? r.pick(list) : undefined;
  };
  if (!plans.some((p) => p.answerDirectly && !p.void && !p.dupOf)) {
    const p = take();
    if (p) p.answerDirectly = true;
  }
  if (!plans.some((p) => p.redo && !p.answerDirectly && !p.void && !p.dupOf)) {
    const p = take();
    if (p) {
      p.sat = ['unsatisfied', 'satisfied'];
      p.redo = true;
    }
  }
  if (!plans.some((p) => p.extension?.approved && mergeable(p))) {
    const p = candidates().find((x) => replyDays(x.cat) >= 5 && !x.redo && !x.extension);
    if (p) {
      p.extension = { approved: true };
      p.lateReply = false;
    }
  }
  if (!plans.some((p) => p.ret && !p.void && !p.dupOf && !p.answerDirectly)) {
    const p = take();
    if (p) {
      const lead = p.override ?? predictLead(w, p.cat, p.place);
      p.ret = returnFor(w, r, p.cat, p.place, lead);
    }
  }
  if (!plans.some((p) => p.whistle && mergeable(p))) {
    const p = take();
    const villageCats = w.cats.filter((c) => c.parentId && c.appeal && c.level === 'village');
    if (p?.place.village && villageCats.length) {
      p.cat = r.pick(villageCats);
      p.override = undefined;
      p.assist = undefined;
      p.whistle = whistleFor(w, r, p.cat);
    }
  }
  if (!plans.some((p) => p.dupOf)) {
    const list = candidates().filter((p) => !p.redo && !p.extension && !p.suspend);
    for (let k = 0; k + 1 < list.length; k++) {
      if (makeDuplicate(plans, plans.indexOf(list[k]!), plans.indexOf(list[k + 1]!), r, end)) break;
    }
  }
  if (!plans.some((p) => p.void)) {
    const p = take();
    if (p) p.void = true;
  }
}

function planEvents(w: World, r: Rng, cal: WorkCalendar, n: number, start: number, end: number): EventPlan[] {
  if (n <= 0 || w.villages.length === 0) return [];
  const { list, byMonth } = categoryCdfs(w.cats, 'event');
  if (list.length === 0) return [];
  // Active grid workers: a pool of villages in every township (one account each, their grids).
  const poolSize = Math.min(w.villages.length, Math.max(12, Math.round(n / 5)));
  const pool: Org[] = [];
  const seen = new Set<string>();
  const byTownship = new Map<string, Org[]>();
  for (const v of w.villages)
    byTownship.set(v.parentId ?? '', [...(byTownship.get(v.parentId ?? '') ?? []), v]);
  const groups = [...byTownship.values()];
  for (let k = 0; pool.length < poolSize && k < poolSize * 20; k++) {
    const g = groups[k % groups.length]!;
    const v = r.pick(g);
    if (!seen.has(v.id) && (w.gridsByVillage.get(v.id)?.length ?? 0) > 0) {
      seen.add(v.id);
      pool.push(v);
    }
  }
  if (pool.length === 0) return [];
  const times = arrivals(r, cal, n, start, end, HOURLY_PATROL);
  const plans = times.map((at, i): EventPlan => {
    const village = r.pick(pool);
    const cat = list[r.fromCdf(byMonth[monthOf(at) - 1]!)]!;
    return {
      kind: 'event',
      at,
      seed: mix(r.int(0, 2 ** 31), i + 1_000_003),
      cat,
      place: placeIn(w, r, village, true),
      reporterVillage: village.id,
      solve: r.chance(0.5),
      void: r.chance(0.008),
      verifyFail: r.chance(0.04),
      lateReply: r.chance(0.04),
    };
  });
  if (!plans.some((p) => p.solve && !p.void) && plans[0]) {
    plans[0].solve = true;
    plans[0].void = false;
  }
  return plans;
}

// ── Loading ────────────────────────────────────────────────────────────────────────────────────────

async function loadWorld(ctx: AppContext, county: string, r: Rng): Promise<World> {
  const db = ctx.database.db;
  const orgRows = await db
    .selectFrom('org_units')
    .select(['id', 'kind', 'subtype', 'name', 'parent_id', 'scope_path'])
    .where('county_code', '=', county)
    .where('active', '=', true)
    .orderBy('id')
    .execute();
  const orgs = new Map<string, Org>(
    orgRows.map((o) => [
      o.id,
      {
        id: o.id,
        kind: o.kind,
        subtype: o.subtype,
        name: o.name,
        parentId: o.parent_id,
        scopePath: o.scope_path,
      },
    ]),
  );
  const gridRows = await db
    .selectFrom('grids')
    .select(['id', 'village_id', 'geometry', 'min_lon', 'min_lat', 'max_lon', 'max_lat'])
    .where('county_code', '=', county)
    .orderBy('id')
    .execute();
  const gridsByVillage = new Map<string, Grid[]>();
  for (const g of gridRows) {
    const list = gridsByVillage.get(g.village_id) ?? [];
    const geometry = g.geometry as unknown as GridGeometry;
    list.push({
      id: g.id,
      villageId: g.village_id,
      geometry,
      bbox: [g.min_lon, g.min_lat, g.max_lon, g.max_lat],
      centroid: centroidOf(geometry),
    });
    gridsByVillage.set(g.village_id, list);
  }
  const catRows = await db
    .selectFrom('categories')
    .select([
      'id',
      'parent_id',
      'name',
      'level',
      'default_org_id',
      'urgency',
      'reply_limit_amount',
      'reply_limit_unit',
      'case_types',
    ])
    .where('county_code', '=', county)
    .where('active', '=', true)
    .orderBy('sort')
    .orderBy('id')
    .execute();
  const cats: Cat[] = catRows.map((c) => ({
    id: c.id,
    parentId: c.parent_id,
    name: c.name,
    level: c.level,
    defaultOrgId: c.default_org_id,
    urgency: c.urgency,
    replyAmount: c.reply_limit_amount,
    replyUnit: c.reply_limit_unit,
    appeal: c.case_types.includes('appeal'),
    event: c.case_types.includes('event'),
  }));
  const villages = [...orgs.values()].filter((o) => o.kind === 'village');
  // Residents' committees in the towns are busier than villages; some places more than others.
  const villageCdf = cdfOf(villages.map((v) => (v.subtype === 'community' ? 3 : 1) * (0.3 + 1.4 * r.next())));
  const deptByKey = new Map<string, Org>();
  for (const o of orgs.values()) if (o.kind === 'department' && o.subtype) deptByKey.set(o.subtype, o);
  return { county, orgs, villages, villageCdf, gridsByVillage, cats, deptByKey };
}

async function loadStaff(ctx: AppContext, county: string): Promise<StaffActor[]> {
  const rows = await ctx.database.db
    .selectFrom('users as u')
    .innerJoin('org_units as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.username', 'u.role', 'u.org_id', 'o.scope_path'])
    .where('u.county_code', '=', county)
    .where('u.active', '=', true)
    .orderBy('u.username')
    .execute();
  return rows.map((u) => ({
    kind: 'staff',
    userId: u.id,
    username: u.username,
    role: u.role as StaffRole,
    orgId: u.org_id,
    countyCode: county,
    scopePath: u.scope_path,
  }));
}

/** A centre account of a role: an existing one at the county centre, or one made for the history. */
function centreSpec(county: string, orgs: Map<string, Org>, role: StaffRole, label: string): AccountSpec {
  const centre = orgs.has(`${county}C`) ? `${county}C` : county;
  return {
    username: `h_${centre.toLowerCase()}_${role.split('_')[0]}`,
    role,
    orgId: centre,
    displayName: `县中心${label} ${personName(new Rng(hashString(role)))}`,
    gridIds: [],
  };
}

// ── Entry point ────────────────────────────────────────────────────────────────────────────────────

/**
 * Plays `cases` appeals (and one grid event per six appeals unless `events` says otherwise) over the
 * `days` before `endAt`, through the engine, on a fixed clock that it restores afterwards.
 */
export async function generateDemoHistory(ctx: AppContext, opts: HistoryOptions): Promise<HistoryResult> {
  const t0 = Date.now();
  const county = ctx.config.countyCode;
  // Synthetic cases belong in a demo county only, never in a county whose real data was imported.
  const demo = await ctx.database.db
    .selectFrom('audit_log')
    .select('id')
    .where('county_code', '=', county)
    .where('action', '=', 'demo.seeded')
    .executeTakeFirst();
  if (!demo)
    throw new Error(`县 ${county} 不是演示县，不生成演示历史 / not a demo county: no history generated`);
  const seed = opts.seed ?? 2026;
  const end = (opts.endAt ?? ctx.clock.now()).getTime();
  const start = end - Math.max(1, opts.days) * DAY;
  const nAppeals = Math.max(0, Math.floor(opts.cases));
  const nEvents = Math.max(0, Math.floor(opts.events ?? Math.round(nAppeals / 6)));
  const world = await loadWorld(ctx, county, new Rng(mix(seed, 11)));
  const calendar = await calendarFor(ctx.database.db, county);
  const appeals = planAppeals(world, new Rng(mix(seed, 12)), calendar, nAppeals, start, end);
  const events = planEvents(world, new Rng(mix(seed, 13)), calendar, nEvents, start, end);

  const staff = await loadStaff(ctx, county);
  const accounts = new Accounts(ctx, county, world.orgs, staff);
  const clock = new FixedClock(new Date(start));
  const sim = new Sim(ctx, county, clock, calendar, world.orgs, world.gridsByVillage, accounts);
  const centreActor = async (role: StaffRole, label: string): Promise<StaffActor> => {
    const centre = world.orgs.has(`${county}C`) ? `${county}C` : county;
    return (
      staff.find((s) => s.role === role && s.orgId === centre) ??
      (await accounts.get(centreSpec(county, world.orgs, role, label)))
    );
  };

  const saved = ctx.clock;
  ctx.clock = clock;
  let failures = 0;
  try {
    sim.centre = {
      operator: await centreActor('operator', '受理员'),
      dispatcher: await centreActor('county_dispatcher', '调度员'),
      revisit: await centreActor('revisit_agent', '回访员'),
      supervisor: await centreActor('supervisor', '督查员'),
    };
    // Accounts the plan will need, in order of first use, created in the background.
    const wanted: AccountSpec[] = [];
    for (const p of [...appeals, ...events].sort((a, b) => a.at - b.at)) {
      if (p.kind === 'event') {
        wanted.push(sim.gridWorkerSpec(p.reporterVillage));
        if (!p.solve) wanted.push(sim.handlerSpec(predictLead(world, p.cat, p.place)));
        continue;
      }
      if (p.void || p.answerDirectly) continue;
      const lead = p.override ?? predictLead(world, p.cat, p.place);
      for (const o of [lead, p.assist, p.ret?.to, ...(p.whistle?.departments ?? [])]) {
        if (o) wanted.push(sim.handlerSpec(o));
      }
    }
    accounts.prefetch(wanted);

    const heap = new Heap();
    let seq = 0;
    for (const p of [...appeals, ...events]) heap.push({ t: p.at, seq: seq++, plan: p });
    // The deadline sweep, once per simulated day (00:10 China time), and once at the end.
    for (let t = chinaMidnight(start) + DAY + 10 * MIN; t < end; t += DAY) {
      heap.push({ t, seq: seq++, sweep: true });
    }
    heap.push({ t: end, seq: seq++, sweep: true });
    const total = appeals.length + events.length;
    let started = 0;
    let nextLog = 0.1;
    for (let e = heap.pop(); e && e.t <= end; e = heap.pop()) {
      clock.advance(e.t - clock.now().getTime());
      if (e.sweep) {
        await sweepOverdue(ctx, { now: new Date(e.t) });
        continue;
      }
      const plan = e.plan;
      let gen = e.gen;
      if (!gen && plan) {
        gen = plan.kind === 'appeal' ? appealScript(sim, plan) : eventScript(sim, plan);
        started++;
        if (started / total >= nextLog) {
          ctx.log.info({ started, total, at: new Date(e.t).toISOString() }, 'demo history');
          nextLog += 0.1;
        }
      }
      if (!gen) continue;
      try {
        const step = await gen.next();
        if (!step.done)
          heap.push({ t: Math.max(step.value, e.t), seq: seq++, gen, ...(plan ? { plan } : {}) });
      } catch (err) {
        failures++;
        ctx.log.warn(
          { err: (err as Error).message, caseId: plan?.caseId, at: new Date(e.t).toISOString() },
          'demo history: a case script stopped',
        );
      }
    }
    await accounts.settle();
  } finally {
    ctx.clock = saved;
  }
  await quietOutbox(ctx, sim.caseIds, end);
  const result = await summarize(ctx, sim.caseIds);
  return {
    appeals: appeals.length,
    events: events.length,
    from: new Date(start),
    to: new Date(end),
    ...result,
    accountsCreated: accounts.created,
    accountWaitMs: accounts.waitMs,
    failures,
    ms: Date.now() - t0,
  };
}

/**
 * The history's messages belong to the past: its SMS are marked as not to be sent now (the numbers
 * are synthetic and may belong to real people), and in-app notifications older than three days are
 * marked read so that inboxes start with current work.
 */
async function quietOutbox(ctx: AppContext, caseIds: string[], end: number): Promise<void> {
  const db = ctx.database.db;
  for (let i = 0; i < caseIds.length; i += 500) {
    const ids = caseIds.slice(i, i + 500);
    await db
      .updateTable('notifications')
      .set((eb) => ({
        sent_at: eb.ref('created_at'),
        last_error: '演示历史数据，未实际发送 / demo history, not sent',
      }))
      .where('case_id', 'in', ids)
      .where('channel', '=', 'sms')
      .where('sent_at', 'is', null)
      .execute();
    await db
      .updateTable('notifications')
      .set((eb) => ({ read_at: eb.ref('created_at') }))
      .where('case_id', 'in', ids)
      .where('channel', '=', 'inapp')
      .where('read_at', 'is', null)
      .where('created_at', '<', new Date(end - 3 * DAY))
      .execute();
  }
}

async function summarize(
  ctx: AppContext,
  caseIds: string[],
): Promise<Pick<HistoryResult, 'states' | 'closureRate' | 'satisfactionRate'>> {
  const db = ctx.database.db;
  const states: HistoryResult['states'] = { appeal: {}, event: {} };
  const m = new Map<string, number>();
  for (let i = 0; i < caseIds.length; i += 500) {
    const ids = caseIds.slice(i, i + 500);
    const rows = await db
      .selectFrom('cases')
      .select(['type', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('id', 'in', ids)
      .groupBy(['type', 'state'])
      .execute();
    for (const row of rows) {
      const bucket = row.type === 'event' ? states.event : states.appeal;
      bucket[row.state] = (bucket[row.state] ?? 0) + Number(row.n);
    }
    const ratings = await db
      .selectFrom('case_events')
      .select([
        sql<string>`payload->>'satisfaction'`.as('satisfaction'),
        (eb) => eb.fn.countAll<number>().as('n'),
      ])
      .where('case_id', 'in', ids)
      .where('action', 'in', ['revisit', 'rate'])
      .groupBy(sql`payload->>'satisfaction'`)
      .execute();
    for (const row of ratings)
      m.set(String(row.satisfaction), (m.get(String(row.satisfaction)) ?? 0) + Number(row.n));
  }
  const appeals = Object.values(states.appeal).reduce((a, b) => a + b, 0);
  const rated = [...m.values()].reduce((a, b) => a + b, 0);
  return {
    states,
    closureRate: appeals ? (states.appeal.closed ?? 0) / appeals : 0,
    satisfactionRate: rated
      ? ((m.get('satisfied') ?? 0) + 0.8 * (m.get('basically_satisfied') ?? 0)) / rated
      : 0,
  };
}
