/**
 * UI strings in zh-CN (the reference), zh-TW and English. The other dictionaries are typed against
 * zh-CN's keys, so a missing translation is a compile error. The chosen language is remembered on
 * the device and written to `<html lang>`.
 */
import { useCallback } from 'react';
import type { Role } from './api.ts';
import { createStore, readPref, useStore, writePref } from './prefs.ts';

export const LANGS = ['zh-CN', 'zh-TW', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** Each language named in itself, for the switch. */
export const LANG_NAMES: Record<Lang, string> = { 'zh-CN': '简体中文', 'zh-TW': '繁體中文', en: 'English' };

const zhCN = {
  'app.name': '共治',
  'app.skipToMain': '跳到主要内容',

  'header.homeLink': '共治首页',
  'header.nav': '主导航',
  'header.language': '语言',
  'header.largeText': '大字模式',
  'header.largeTextHint': '放大全站文字',
  'nav.home': '首页',
  'nav.login': '登录',
  'nav.me': '我的',
  'footer.hotline': '紧急情况请拨打 110；政务服务便民热线 12345。',
  'footer.about': '共治 · 县域社会治理平台（开源）',

  'common.loading': '正在加载…',
  'common.loadFailed': '加载失败',
  'common.retry': '重试',
  'common.requestId': '请求编号',

  'error.network': '网络连接失败，请检查网络后重试',
  'error.timeout': '请求超时，网络较慢，请稍后重试',
  'error.server': '服务暂时不可用，请稍后重试',
  'error.notFound': '请求的内容不存在',
  'error.rateLimited': '操作太频繁，请稍后再试',

  'home.title': '共治 · {county}社会治理',
  'home.titleGeneric': '共治 · 社会治理',
  'home.lead':
    '群众有诉求，一个口子就能提；网格员和下沉干部就在身边；村（社区）解决不了的，“吹哨”请县直部门到场办理。每件事都有人管、有时限、可查询、可评价。',
  'home.point1Title': '一个口子进：',
  'home.point1': '电话、网上、现场反映的诉求统一受理、统一派单、跟踪到底。',
  'home.point2Title': '网格化管理：',
  'home.point2': '全县划分为若干基础网格，每个网格有网格员和联系干部。',
  'home.point3Title': '村社吹哨、部门报到：',
  'home.point3': '群众反映强烈、村里解决不了的问题，相关部门限时到场。',
  'home.loginCta': '登录 / 群众验证码登录',

  'regions.title': '乡镇（街道）',
  'regions.townshipTitle': '{name} · 村（社区）',
  'regions.villageTitle': '{name} · 网格',
  'regions.breadcrumb': '所在位置',
  'regions.loading': '正在加载行政区划…',
  'regions.loadFailed': '行政区划加载失败',
  'regions.search': '查找村（社区）',
  'regions.searchPlaceholder': '输入名称，如：东新',
  'regions.noMatch': '没有找到名称包含“{q}”的村（社区）',
  'regions.matchCount': '找到 {n} 个村（社区）',
  'regions.villageCount': '{n} 个村（社区）',
  'regions.gridCount': '{n} 个网格',
  'regions.emptyCounty': '暂无乡镇数据。',
  'regions.emptyTownship': '该乡镇暂无村（社区）数据。',
  'regions.notFound': '没有找到这个地区，可能链接已过期。',
  'regions.backToCounty': '返回全县列表',

  'subtype.street': '街道',
  'subtype.town': '镇',
  'subtype.township': '乡',
  'subtype.village': '村',
  'subtype.community': '社区',

  'grids.loading': '正在加载网格地图…',
  'grids.empty': '{name}暂无网格数据。',
  'grids.mapLabel': '{name}网格地图',
  'grids.tapHint': '点选地图上的网格或下方名称查看详情。',
  'grids.selected': '已选择：{name}（编号 {code}）',
  'grids.listTitle': '网格列表（{n} 个）',
  'map.desc': '按经纬度绘制的网格边界示意图，上方为北。',
  'map.metres': '{n} 米',
  'map.km': '{n} 千米',
  'map.north': '北',

  'login.title': '登录',
  'login.tabsLabel': '登录方式',
  'login.tabStaff': '工作人员登录',
  'login.tabCitizen': '群众登录',
  'login.staffNote': '供网格员、村社经办人、部门及中心工作人员使用。',
  'login.citizenNote': '使用手机号和短信验证码登录，无需注册。',
  'login.username': '用户名',
  'login.password': '密码',
  'login.showPassword': '显示密码',
  'login.usernameRequired': '请输入用户名',
  'login.passwordRequired': '请输入密码',
  'login.submit': '登录',
  'login.signingIn': '正在登录…',
  'login.lockedHint': '账号已被暂时锁定，请稍后再试或联系系统管理员。',
  'login.phone': '手机号',
  'login.code': '验证码',
  'login.getCode': '获取验证码',
  'login.sendingCode': '正在发送…',
  'login.resend': '重新获取',
  'login.resendIn': '{n} 秒后重新获取',
  'login.phoneInvalid': '请输入 11 位手机号',
  'login.codeInvalid': '请输入短信中的数字验证码',
  'login.codeSent': '验证码已发送至 {phone}。',
  'login.devHint': '开发环境不发送短信：验证码打印在服务器日志中。',

  'me.title': '我的',
  'me.role': '角色',
  'me.unit': '单位',
  'me.username': '用户名',
  'me.scope': '我的辖区',
  'me.phone': '手机号',
  'me.citizenAccount': '群众账号',
  'me.appealSoon': '在线提交诉求、查看办理进度的功能即将上线。',
  'me.signOut': '退出登录',
  'me.signingOut': '正在退出…',

  'org.breadcrumb': '辖区层级',
  'org.children': '下级单位（{n} 个）',
  'org.noChildren': '没有下级单位。',
  'org.notFound': '没有找到该单位，或不在您的辖区内。',
  'org.backToRoot': '返回我的辖区',
  'staffGrids.title': '本村（社区）网格',
  'staffGrids.empty': '暂无网格。',
  'staffGrids.workers': '网格员：{names}',
  'staffGrids.noWorker': '暂未配备网格员',

  'notFound.title': '页面不存在',
  'notFound.body': '您访问的页面不存在，可能链接有误或已过期。',
  'notFound.home': '返回首页',
} as const;

export type MessageKey = keyof typeof zhCN;
type Dict = Record<MessageKey, string>;

const zhTW: Dict = {
  'app.name': '共治',
  'app.skipToMain': '跳到主要內容',

  'header.homeLink': '共治首頁',
  'header.nav': '主導覽',
  'header.language': '語言',
  'header.largeText': '大字模式',
  'header.largeTextHint': '放大全站文字',
  'nav.home': '首頁',
  'nav.login': '登入',
  'nav.me': '我的',
  'footer.hotline': '緊急情況請撥打 110；政務服務便民熱線 12345。',
  'footer.about': '共治 · 縣域社會治理平臺（開源）',

  'common.loading': '正在載入…',
  'common.loadFailed': '載入失敗',
  'common.retry': '重試',
  'common.requestId': '請求編號',

  'error.network': '網路連線失敗，請檢查網路後重試',
  'error.timeout': '請求逾時，網路較慢，請稍後重試',
  'error.server': '服務暫時無法使用，請稍後重試',
  'error.notFound': '請求的內容不存在',
  'error.rateLimited': '操作太頻繁，請稍後再試',

  'home.title': '共治 · {county}社會治理',
  'home.titleGeneric': '共治 · 社會治理',
  'home.lead':
    '群眾有訴求，一個口子就能提；網格員和下沉幹部就在身邊；村（社區）解決不了的，「吹哨」請縣直部門到場辦理。每件事都有人管、有時限、可查詢、可評價。',
  'home.point1Title': '一個口子進：',
  'home.point1': '電話、網上、現場反映的訴求統一受理、統一派單、追蹤到底。',
  'home.point2Title': '網格化管理：',
  'home.point2': '全縣劃分為若干基礎網格，每個網格有網格員和聯繫幹部。',
  'home.point3Title': '村社吹哨、部門報到：',
  'home.point3': '群眾反映強烈、村裡解決不了的問題，相關部門限時到場。',
  'home.loginCta': '登入 / 群眾驗證碼登入',

  'regions.title': '鄉鎮（街道）',
  'regions.townshipTitle': '{name} · 村（社區）',
  'regions.villageTitle': '{name} · 網格',
  'regions.breadcrumb': '所在位置',
  'regions.loading': '正在載入行政區劃…',
  'regions.loadFailed': '行政區劃載入失敗',
  'regions.search': '查找村（社區）',
  'regions.searchPlaceholder': '輸入名稱，如：東新',
  'regions.noMatch': '沒有找到名稱包含「{q}」的村（社區）',
  'regions.matchCount': '找到 {n} 個村（社區）',
  'regions.villageCount': '{n} 個村（社區）',
  'regions.gridCount': '{n} 個網格',
  'regions.emptyCounty': '暫無鄉鎮資料。',
  'regions.emptyTownship': '該鄉鎮暫無村（社區）資料。',
  'regions.notFound': '沒有找到這個地區，可能連結已過期。',
  'regions.backToCounty': '返回全縣列表',

  'subtype.street': '街道',
  'subtype.town': '鎮',
  'subtype.township': '鄉',
  'subtype.village': '村',
  'subtype.community': '社區',

  'grids.loading': '正在載入網格地圖…',
  'grids.empty': '{name}暫無網格資料。',
  'grids.mapLabel': '{name}網格地圖',
  'grids.tapHint': '點選地圖上的網格或下方名稱檢視詳情。',
  'grids.selected': '已選擇：{name}（編號 {code}）',
  'grids.listTitle': '網格列表（{n} 個）',
  'map.desc': '依經緯度繪製的網格邊界示意圖，上方為北。',
  'map.metres': '{n} 公尺',
  'map.km': '{n} 公里',
  'map.north': '北',

  'login.title': '登入',
  'login.tabsLabel': '登入方式',
  'login.tabStaff': '工作人員登入',
  'login.tabCitizen': '群眾登入',
  'login.staffNote': '供網格員、村社經辦人、部門及中心工作人員使用。',
  'login.citizenNote': '使用手機號碼和簡訊驗證碼登入，無需註冊。',
  'login.username': '使用者名稱',
  'login.password': '密碼',
  'login.showPassword': '顯示密碼',
  'login.usernameRequired': '請輸入使用者名稱',
  'login.passwordRequired': '請輸入密碼',
  'login.submit': '登入',
  'login.signingIn': '正在登入…',
  'login.lockedHint': '帳號已被暫時鎖定，請稍後再試或聯絡系統管理員。',
  'login.phone': '手機號碼',
  'login.code': '驗證碼',
  'login.getCode': '取得驗證碼',
  'login.sendingCode': '正在傳送…',
  'login.resend': '重新取得',
  'login.resendIn': '{n} 秒後重新取得',
  'login.phoneInvalid': '請輸入 11 位手機號碼',
  'login.codeInvalid': '請輸入簡訊中的數字驗證碼',
  'login.codeSent': '驗證碼已傳送至 {phone}。',
  'login.devHint': '開發環境不傳送簡訊：驗證碼列印在伺服器日誌中。',

  'me.title': '我的',
  'me.role': '角色',
  'me.unit': '單位',
  'me.username': '使用者名稱',
  'me.scope': '我的轄區',
  'me.phone': '手機號碼',
  'me.citizenAccount': '群眾帳號',
  'me.appealSoon': '線上提交訴求、查看辦理進度的功能即將上線。',
  'me.signOut': '登出',
  'me.signingOut': '正在登出…',

  'org.breadcrumb': '轄區層級',
  'org.children': '下級單位（{n} 個）',
  'org.noChildren': '沒有下級單位。',
  'org.notFound': '沒有找到該單位，或不在您的轄區內。',
  'org.backToRoot': '返回我的轄區',
  'staffGrids.title': '本村（社區）網格',
  'staffGrids.empty': '暫無網格。',
  'staffGrids.workers': '網格員：{names}',
  'staffGrids.noWorker': '暫未配備網格員',

  'notFound.title': '頁面不存在',
  'notFound.body': '您造訪的頁面不存在，可能連結有誤或已過期。',
  'notFound.home': '返回首頁',
};

const en: Dict = {
  'app.name': 'Gongzhi',
  'app.skipToMain': 'Skip to main content',

  'header.homeLink': 'Gongzhi home',
  'header.nav': 'Main navigation',
  'header.language': 'Language',
  'header.largeText': 'Large text',
  'header.largeTextHint': 'Make all text larger',
  'nav.home': 'Home',
  'nav.login': 'Sign in',
  'nav.me': 'My account',
  'footer.hotline': 'Emergencies: call 110. Government service hotline: 12345.',
  'footer.about': 'Gongzhi · county social governance platform (open source)',

  'common.loading': 'Loading…',
  'common.loadFailed': 'Could not load',
  'common.retry': 'Try again',
  'common.requestId': 'Request ID',

  'error.network': 'Network connection failed. Please check your connection and try again.',
  'error.timeout': 'The request timed out on a slow network. Please try again later.',
  'error.server': 'The service is temporarily unavailable. Please try again later.',
  'error.notFound': 'The requested item does not exist.',
  'error.rateLimited': 'Too many attempts. Please wait a moment and try again.',

  'home.title': 'Gongzhi · {county} social governance',
  'home.titleGeneric': 'Gongzhi · social governance',
  'home.lead':
    'Raise any request through one door; grid workers and assigned cadres are close at hand; when a village or community cannot solve a problem, it "blows the whistle" and county departments must turn up. Every case has an owner and a deadline, and you can follow and rate it.',
  'home.point1Title': 'One entry: ',
  'home.point1':
    'requests by phone, online or in person are received, dispatched and followed up in one process.',
  'home.point2Title': 'Grid management: ',
  'home.point2': 'the county is divided into basic grids, each with a grid worker and a contact cadre.',
  'home.point3Title': 'Whistle and report: ',
  'home.point3':
    'for problems a village cannot solve, the departments concerned must arrive within a time limit.',
  'home.loginCta': 'Sign in (staff or citizen)',

  'regions.title': 'Townships and subdistricts',
  'regions.townshipTitle': '{name} · villages and communities',
  'regions.villageTitle': '{name} · grids',
  'regions.breadcrumb': 'You are here',
  'regions.loading': 'Loading divisions…',
  'regions.loadFailed': 'Could not load the divisions',
  'regions.search': 'Find a village or community',
  'regions.searchPlaceholder': 'Type part of a name',
  'regions.noMatch': 'No village or community name contains “{q}”.',
  'regions.matchCount': '{n} found',
  'regions.villageCount': 'Villages/communities: {n}',
  'regions.gridCount': 'Grids: {n}',
  'regions.emptyCounty': 'No township data yet.',
  'regions.emptyTownship': 'No villages or communities recorded for this township yet.',
  'regions.notFound': 'This area was not found; the link may be out of date.',
  'regions.backToCounty': 'Back to the county list',

  'subtype.street': 'Subdistrict',
  'subtype.town': 'Town',
  'subtype.township': 'Township',
  'subtype.village': 'Village',
  'subtype.community': 'Community',

  'grids.loading': 'Loading the grid map…',
  'grids.empty': 'No grid data for {name} yet.',
  'grids.mapLabel': 'Grid map of {name}',
  'grids.tapHint': 'Tap a grid on the map or a name below for details.',
  'grids.selected': 'Selected: {name} (code {code})',
  'grids.listTitle': 'Grids ({n})',
  'map.desc': 'Grid boundaries drawn from longitude and latitude; north is up.',
  'map.metres': '{n} m',
  'map.km': '{n} km',
  'map.north': 'N',

  'login.title': 'Sign in',
  'login.tabsLabel': 'Sign-in method',
  'login.tabStaff': 'Staff',
  'login.tabCitizen': 'Citizens',
  'login.staffNote': 'For grid workers, village handlers, departments and service-centre staff.',
  'login.citizenNote': 'Sign in with your mobile number and a text-message code. No registration needed.',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.showPassword': 'Show',
  'login.usernameRequired': 'Enter your username',
  'login.passwordRequired': 'Enter your password',
  'login.submit': 'Sign in',
  'login.signingIn': 'Signing in…',
  'login.lockedHint': 'The account is locked for now. Try again later or contact the administrator.',
  'login.phone': 'Mobile number',
  'login.code': 'Verification code',
  'login.getCode': 'Get code',
  'login.sendingCode': 'Sending…',
  'login.resend': 'Send again',
  'login.resendIn': 'Send again in {n}s',
  'login.phoneInvalid': 'Enter an 11-digit mobile number',
  'login.codeInvalid': 'Enter the digits from the text message',
  'login.codeSent': 'A code was sent to {phone}.',
  'login.devHint': 'Development server: no text message is sent; the code is printed in the server log.',

  'me.title': 'My account',
  'me.role': 'Role',
  'me.unit': 'Unit',
  'me.username': 'Username',
  'me.scope': 'My jurisdiction',
  'me.phone': 'Mobile number',
  'me.citizenAccount': 'Citizen account',
  'me.appealSoon': 'Submitting requests and following their progress online is coming soon.',
  'me.signOut': 'Sign out',
  'me.signingOut': 'Signing out…',

  'org.breadcrumb': 'Jurisdiction levels',
  'org.children': 'Units below ({n})',
  'org.noChildren': 'No units below this one.',
  'org.notFound': 'This unit was not found or is outside your jurisdiction.',
  'org.backToRoot': 'Back to my jurisdiction',
  'staffGrids.title': 'Grids in this village or community',
  'staffGrids.empty': 'No grids yet.',
  'staffGrids.workers': 'Grid workers: {names}',
  'staffGrids.noWorker': 'No grid worker assigned yet',

  'notFound.title': 'Page not found',
  'notFound.body': 'This page does not exist; the link may be wrong or out of date.',
  'notFound.home': 'Back to home',
};

const DICTS: Record<Lang, Dict> = { 'zh-CN': zhCN, 'zh-TW': zhTW, en };

const ROLE_LABELS: Record<Lang, Record<Role, string>> = {
  'zh-CN': {
    citizen: '群众',
    operator: '受理员',
    grid_worker: '网格员',
    cadre: '下沉干部',
    village_handler: '村社经办人',
    township_dispatcher: '乡镇中心调度员',
    department_handler: '部门经办人',
    county_dispatcher: '县中心调度员',
    supervisor: '督查员',
    special_supervisor: '特约监督员',
    mediator: '调解员',
    expert: '专家',
    lawyer: '律师',
    revisit_agent: '回访员',
    leader: '领导',
    admin: '系统管理员',
  },
  'zh-TW': {
    citizen: '群眾',
    operator: '受理員',
    grid_worker: '網格員',
    cadre: '下沉幹部',
    village_handler: '村社經辦人',
    township_dispatcher: '鄉鎮中心調度員',
    department_handler: '部門經辦人',
    county_dispatcher: '縣中心調度員',
    supervisor: '督查員',
    special_supervisor: '特約監督員',
    mediator: '調解員',
    expert: '專家',
    lawyer: '律師',
    revisit_agent: '回訪員',
    leader: '領導',
    admin: '系統管理員',
  },
  en: {
    citizen: 'Citizen',
    operator: 'Operator',
    grid_worker: 'Grid worker',
    cadre: 'Cadre assigned to grids',
    village_handler: 'Village/community handler',
    township_dispatcher: 'Township centre dispatcher',
    department_handler: 'Department handler',
    county_dispatcher: 'County centre dispatcher',
    supervisor: 'Supervisor',
    special_supervisor: 'Special supervisor',
    mediator: 'Mediator',
    expert: 'Expert',
    lawyer: 'Lawyer',
    revisit_agent: 'Follow-up agent',
    leader: 'Leader',
    admin: 'System administrator',
  },
};

/** Org kinds the server is expected to use; an unknown kind is shown as its code. */
const ORG_KIND_LABELS: Record<Lang, Record<string, string>> = {
  'zh-CN': {
    province: '省',
    city: '市',
    county: '县',
    township: '乡镇',
    village: '村（社区）',
    grid: '网格',
    department: '部门',
    centre: '中心',
    center: '中心',
  },
  'zh-TW': {
    province: '省',
    city: '市',
    county: '縣',
    township: '鄉鎮',
    village: '村（社區）',
    grid: '網格',
    department: '部門',
    centre: '中心',
    center: '中心',
  },
  en: {
    province: 'Province',
    city: 'City',
    county: 'County',
    township: 'Township',
    village: 'Village/community',
    grid: 'Grid',
    department: 'Department',
    centre: 'Service centre',
    center: 'Service centre',
  },
};

const LANG_KEY = 'gongzhi.lang';

const SUBTYPES = new Set(['street', 'town', 'township', 'village', 'community']);

function detect(): Lang {
  const saved = readPref(LANG_KEY);
  if (saved && (LANGS as readonly string[]).includes(saved)) return saved as Lang;
  const wanted = typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]);
  for (const raw of wanted) {
    const l = raw.toLowerCase();
    if (/^zh-(tw|hk|mo|hant)/.test(l)) return 'zh-TW';
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}

function applyLang(lang: Lang): void {
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

const langStore = createStore<Lang>(detect(), (lang) => {
  applyLang(lang);
  writePref(LANG_KEY, lang);
});
applyLang(langStore.get());

/** The chosen language (also outside React, e.g. for `Accept-Language`). */
export function getLang(): Lang {
  return langStore.get();
}

/** Switches the UI language and remembers it. */
export function setLang(lang: Lang): void {
  langStore.set(lang);
}

/** The chosen language; re-renders the caller when it changes. */
export function useLang(): Lang {
  return useStore(langStore);
}

export type Vars = Record<string, string | number>;

/** The string for `key` in `lang`, with `{name}` placeholders filled from `vars`. */
export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const template = DICTS[lang][key] ?? zhCN[key];
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** A translate function bound to the chosen language; re-renders the caller when it changes. */
export function useT(): (key: MessageKey, vars?: Vars) => string {
  const lang = useLang();
  return useCallback((key: MessageKey, vars?: Vars) => translate(lang, key, vars), [lang]);
}

/** The localised label of a role code; an unknown code is shown as is. */
export function roleLabel(lang: Lang, role: string): string {
  return (ROLE_LABELS[lang] as Record<string, string>)[role] ?? role;
}

/** The localised label of an org kind, preferring the finer subtype (街道/镇/乡, 村/社区). */
export function orgKindLabel(lang: Lang, kind: string, subtype: string | null | undefined): string {
  if (subtype && SUBTYPES.has(subtype)) return DICTS[lang][`subtype.${subtype}` as MessageKey];
  return ORG_KIND_LABELS[lang][kind] ?? kind;
}
