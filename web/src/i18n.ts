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

  // Appeals, my requests, kiosk, grid worker app
  'nav.myAppeals': '我的诉求',
  'common.cancel': '取消',
  'common.reload': '重新加载',
  'home.actionsLabel': '常用服务',
  'home.appealCta': '我要反映',
  'home.appealSub': '问题、求助、建议，一个口子提交',
  'home.myCta': '我的诉求',
  'home.mySub': '查看办理进度，评价办理结果',
  'home.areaCta': '查看辖区',
  'home.areaSub': '乡镇、村（社区）和网格',
  'home.boardCta': '办结公示',
  'field.count': '{n} / {max} 字',
  'field.countMin': '{n} 字（至少 {min} 字）',
  'category.legend': '问题类别',
  'category.legendEvent': '事件类别',
  'category.search': '搜索类别',
  'category.searchPlaceholder': '输入关键词，如：路灯、噪音、低保',
  'category.searchPlaceholderEvent': '输入关键词，如：占道、垃圾、井盖',
  'category.loading': '正在加载类别…',
  'category.loadFailed': '类别加载失败',
  'category.unavailable':
    '类别列表暂时无法获取（服务器尚未开通此功能）。您填写的内容已保存在本机，请稍后点“重试”。',
  'category.noMatch': '没有找到包含“{q}”的类别，可以换个说法，或在下方分组中查找。',
  'category.matchCount': '找到 {n} 个类别',
  'category.count': '{n} 项',
  'category.empty': '暂无可选类别。',
  'category.change': '更改',
  'category.keep': '保留：{name}',
  'photos.legend': '照片（选填，{n}/{max} 张）',
  'photos.add': '添加照片',
  'photos.reading': '正在处理照片…',
  'photos.alt': '第 {n} 张照片：{name}',
  'photos.remove': '删除第 {n} 张照片',
  'photos.hint': '照片在手机上压缩后随反映一起上传；照片中的拍摄位置等信息会被去除，别人看不到。',
  'photos.tooMany': '最多 {n} 张照片，多出的没有添加。',
  'photos.notImage': '有 {n} 个文件不是图片，没有添加。',
  'photos.notSaved': '照片较大，未能保存到本机草稿；请在关闭页面前提交。',
  'place.legend': '发生地点（选填）',
  'place.hint': '与具体地点有关的问题，请告诉我们在哪里，便于尽快找到负责的网格。',
  'place.useMyLocation': '使用我的位置',
  'place.locating': '正在定位…',
  'place.gpsUnsupported': '此浏览器不能获取位置。',
  'place.gpsInsecure': '当前网页不是安全连接（HTTPS），浏览器不允许获取位置。',
  'place.gpsDenied': '您没有允许获取位置。',
  'place.gpsUnavailable': '暂时无法获取位置（信号较弱）。',
  'place.gpsTimeout': '定位超时。',
  'place.gpsFallback': '请在下方选择乡镇和村（社区），再在地图上点出位置。',
  'place.township': '乡镇（街道）',
  'place.village': '村（社区）',
  'place.choose': '请选择',
  'place.chooseTownshipFirst': '请先选择乡镇（街道）',
  'place.tapHint': '在地图上点一下问题所在的位置（选填）。',
  'place.pinTitle': '所选位置',
  'place.gotGps': '已获取您当前的位置（精度约 {m} 米）。',
  'place.gotMap': '已在地图上标出位置。',
  'place.villageOnly': '地点：{name}。',
  'place.clearPoint': '清除位置',
  'place.address': '详细地址（选填）',
  'place.addressPlaceholder': '如：向阳路 12 号门口',
  'appeal.title': '我要反映',
  'appeal.lead':
    '遇到问题、需要帮助或有意见建议，都可以在这里提交，我们会在规定时限内办理并答复您。紧急情况请直接拨打 110。',
  'appeal.description': '请描述您遇到的问题',
  'appeal.descriptionHint': '写清楚什么时间、什么地方、发生了什么，希望怎么解决。',
  'appeal.descriptionShort': '请至少写 {min} 个字',
  'appeal.descriptionLong': '不能超过 {max} 个字',
  'appeal.categoryRequired': '请选择类别',
  'appeal.privacy': '是否让办理单位看到您的联系方式？',
  'appeal.privacy.normal': '公开',
  'appeal.privacy.normalDesc': '办理单位可以看到您的手机号，方便打电话联系您、上门核实。',
  'appeal.privacy.confidential': '保密',
  'appeal.privacy.confidentialDesc':
    '只有县受理中心能看到您的联系方式，办理的村（社区）和部门看不到。适合反映身边的人和事。',
  'appeal.privacy.anonymous': '匿名',
  'appeal.privacy.anonymousDesc':
    '谁也看不到您是谁，也无法打电话告诉您结果；您仍可以在“我的诉求”里查看进度。',
  'appeal.contactName': '怎么称呼您（选填）',
  'appeal.contactPhone': '其他联系电话（选填）',
  'appeal.contactPhoneHint': '不填写时，使用您登录的手机号联系您。',
  'appeal.contactPhoneInvalid': '请输入 11 位手机号',
  'appeal.signInTitle': '验证手机号',
  'appeal.signInNote': '提交前需要验证手机号，用于接收受理编号和办理结果，无需注册。',
  'appeal.staffSignedIn':
    '您现在以工作人员身份登录，不能以群众身份提交。请退出登录后再提交，或在工作台中受理。',
  'appeal.submit': '提交',
  'appeal.verifyAndSubmit': '验证并提交',
  'appeal.sending': '正在提交…',
  'appeal.retry': '重新提交',
  'appeal.keptOnDevice':
    '您填写的内容已保存在本机，不会丢失。网络恢复后会自动重新提交，也可以点“重新提交”。同一件诉求不会重复提交。',
  'appeal.checkFields': '有 {n} 处需要修改，请查看标出的内容。',
  'appeal.restored': '已恢复您上次没有提交的内容。',
  'appeal.startOver': '清空重填',
  'appeal.startOverConfirm': '确定清空已填写的内容吗？',
  'appeal.draftSaved': '草稿已自动保存在本机。',
  'appeal.draftNotSaved': '本机存储不可用，草稿没有保存，请尽快提交。',
  'code.copy': '复制编号',
  'code.copied': '已复制',
  'code.copyFailed': '复制失败，请长按编号手动复制',
  'success.title': '提交成功',
  'success.codeLabel': '您的受理编号：',
  'success.next':
    '请记下这个编号，可以在“我的诉求”中查看办理进度。办理单位会在规定时限内答复，办完后请您评价。',
  'success.replayed': '这件诉求此前已经提交成功，没有重复提交。',
  'success.track': '查看办理进度',
  'success.another': '再反映一件',
  'success.missingTitle': '没有找到受理编号',
  'success.missing': '您可以在“我的诉求”中查看已提交的诉求。',
  'my.title': '我的诉求',
  'my.listTitle': '已提交的诉求',
  'my.empty': '您还没有提交过诉求。',
  'my.messages': '最新消息',
  'my.unread': '未读',
  'my.signInNeeded': '请先用手机号和验证码登录，查看您提交的诉求。',
  'my.signIn': '手机号登录',
  'my.staffNote': '此页面供群众查看自己的诉求。工作人员请在工作台中查看。',
  'detail.title': '诉求详情',
  'detail.back': '我的诉求',
  'detail.notFound': '没有找到这件诉求',
  'detail.category': '类别',
  'detail.received': '受理时间',
  'detail.place': '地点',
  'detail.lead': '办理单位',
  'detail.privacy': '联系方式',
  'detail.closed': '办结时间',
  'detail.description': '反映内容',
  'detail.attachments': '照片',
  'detail.photoN': '照片 {n}',
  'detail.timeline': '办理过程',
  'detail.noTimeline': '暂无办理记录。',
  'detail.me': '我',
  'detail.replyLabel': '答复内容',
  'detail.latestReply': '办理答复',
  'detail.sentTo': '交由 {name} 办理',
  'detail.mergedInto': '与 {code} 合并办理',
  'rate.title': '评价办理结果',
  'rate.lead': '您的评价会计入办理单位的考核。不满意的，受理中心会研判是否重新办理。',
  'rate.resolved': '问题解决了吗？',
  'rate.resolvedYes': '已解决',
  'rate.resolvedNo': '未解决',
  'rate.satisfaction': '您对办理结果满意吗？',
  'rate.comment': '还想说的话（选填）',
  'rate.commentUnsatisfied': '哪里不满意？请告诉我们',
  'rate.commentWhy': '请写一下不满意的原因，便于重新办理',
  'rate.resolvedRequired': '请选择问题是否解决',
  'rate.satisfactionRequired': '请选择是否满意',
  'rate.submit': '提交评价',
  'rate.sending': '正在提交…',
  'rate.yours': '您的评价',
  'rate.thanks': '感谢您的评价！',
  'satisfaction.satisfied': '满意',
  'satisfaction.basically_satisfied': '基本满意',
  'satisfaction.unsatisfied': '不满意',
  'state.received': '已受理',
  'state.answered_directly': '已直接答复',
  'state.dispatched': '已派单',
  'state.return_requested': '退单申请中',
  'state.signed': '已签收',
  'state.in_progress': '办理中',
  'state.replied': '已答复',
  'state.audited': '已审核',
  'state.revisited': '已回访',
  'state.closed': '已办结',
  'state.suspended': '已挂起',
  'state.voided': '已作废',
  'state.merged': '已合并',
  'state.reported': '已上报',
  'state.solved_on_spot': '现场解决',
  'action.receive': '受理',
  'action.dispatch': '派单',
  'action.answer_directly': '直接答复',
  'action.sign': '签收',
  'action.reply': '答复',
  'action.rate': '评价',
  'action.revisit': '回访',
  'action.close': '办结',
  'action.merge': '合并重复件',
  'action.redo': '重办',
  'action.void': '作废',
  'action.solve_on_spot': '现场解决',
  'board.title': '办结公示',
  'board.privacy':
    '公示内容只有问题类别、所在村（社区）、时间和评价，不含任何人写的文字、姓名、电话或门牌号；保密件不公示。',
  'board.filter': '选择地区',
  'board.township': '乡镇（街道）',
  'board.village': '村（社区）',
  'board.wholeCounty': '全县',
  'board.allVillages': '全部村（社区）',
  'board.summary': '{year} 年办结情况',
  'board.closed': '已办结',
  'board.resolvedRate': '解决率',
  'board.satisfactionRate': '满意率',
  'board.averageDays': '平均用时',
  'board.days': '{n} 天',
  'board.latest': '最近办结',
  'board.empty': '这里还没有办结的诉求。',
  'board.timing': '{received} 受理，{closed} 办结，用时 {days} 天',
  'board.resolved': '已解决',
  'board.notResolved': '未解决',
  'board.more': '查看更多',
  'board.loading': '正在加载…',
  'kiosk.brand': '共治 · 群众诉求自助服务',
  'kiosk.title': '我要反映',
  'kiosk.lead': '选择类别，写下遇到的问题，验证手机号后提交。需要帮助可以拨打 12345。',
  'kiosk.startOver': '重新开始',
  'kiosk.signInNote': '验证码会发送到您的手机。本机不会保存您的登录状态。',
  'kiosk.privacy': '这是公共设备：{s} 秒无人操作会自动清空填写的内容并退出登录。',
  'kiosk.countdown': '长时间没有操作，{s} 秒内将清空内容并回到开始页面。',
  'kiosk.stay': '继续填写',
  'kiosk.finish': '完成',
  'kiosk.successNote':
    '请记下或拍下受理编号。短信也会发到您的手机；在手机上打开“共治”，用手机号登录即可查看办理进度。',
  'me.gridApp': '网格员工作台',
  'grid.title': '网格员工作台',
  'grid.signInNeeded': '网格员工作台需要使用网格员或下沉干部账号登录。',
  'grid.signIn': '工作人员登录',
  'grid.wrongRole': '网格员工作台供网格员和下沉干部使用。您可以在“我的”页面查看辖区。',
  'grid.online': '网络已连接',
  'grid.offline': '当前离线：上报的事件会先保存在本机，联网后自动发送。',
  'grid.tabsLabel': '工作台',
  'grid.tabMap': '地图巡查',
  'grid.tabReport': '上报事件',
  'grid.tabTasks': '我的任务',
  'grid.tabTasksCount': '我的任务（{n}）',
  'grid.chooseVillage': '选择巡查的村（社区）',
  'grid.chooseVillageNote': '您的单位是乡镇，请选择本次巡查的村（社区）。选择会保存在本机。',
  'grid.changeVillage': '更换村（社区）',
  'grid.myGrid': '我的网格：{name}',
  'grid.villageGrids': '本村（社区）网格',
  'grid.mapLabel': '网格地图',
  'grid.noShapes': '本村（社区）暂无网格边界数据。',
  'grid.noMyGrid': '没有找到分配给您的网格，地图显示本村（社区）的全部网格。',
  'grid.area': '面积',
  'grid.workers': '网格员',
  'grid.legendEvents': '我上报的未办结事件（{n}）',
  'grid.legendQueued': '待发送的上报（{n}）',
  'grid.legendMe': '我的位置',
  'grid.legendTrack': '巡查轨迹',
  'patrol.title': '巡查',
  'patrol.on': '正在巡查，正在记录轨迹',
  'patrol.off': '未开始巡查',
  'patrol.stopped': '巡查已结束',
  'patrol.start': '开始巡查',
  'patrol.stop': '结束巡查',
  'patrol.clear': '清除轨迹',
  'patrol.duration': '用时',
  'patrol.distance': '里程',
  'patrol.points': '轨迹点',
  'patrol.deviceOnly': '轨迹先保存在本机，有网络时自动上传。巡查时请保持本页面打开，锁屏后可能停止记录。',
  'patrol.syncPending': '还有 {n} 个轨迹点等待上传',
  'patrol.syncDone': '轨迹已全部上传',
  'report.title': '上报事件',
  'report.description': '事件描述',
  'report.place': '事件位置',
  'report.useGps': '用当前位置',
  'report.tapHint': '或在地图上点一下事件所在的位置。',
  'report.tapInstead': '请在地图上点出事件位置。',
  'report.placeRequired': '请定位或在地图上点出事件位置',
  'report.submit': '上报',
  'report.offlineHint': '没有网络也可以上报：事件先保存在本机，联网后自动发送，不会重复上报。',
  'report.queued': '已保存，正在排队发送：{label}',
  'report.seeQueue': '查看发送状态',
  'queue.title': '待发送与最近发送',
  'queue.hint': '每条上报都有唯一编号，重发不会产生重复事件。',
  'queue.empty': '没有待发送的上报。',
  'queue.status.queued': '等待发送',
  'queue.status.sending': '发送中',
  'queue.status.sent': '已发送',
  'queue.status.failed': '发送失败',
  'queue.queued': '联网后自动发送。',
  'queue.retrying': '上次发送没有成功（{reason}），将在 {at} 自动重试。',
  'queue.sending': '正在发送…',
  'queue.sent': '已受理，编号 {code}',
  'queue.failed': '服务器没有接受这条上报：{reason}。请核对后重新上报，或删除此条。',
  'queue.retry': '重试',
  'queue.sendNow': '立即发送',
  'queue.remove': '删除',
  'queue.removeConfirm': '确定删除这条没有发送成功的上报吗？',
  'tasks.reported': '我上报的事件',
  'tasks.noneReported': '还没有上报过事件。',
  'tasks.toSign': '待签收',
  'tasks.inProgress': '办理中',
  'tasks.none': '暂无。',
  'tasks.due': '期限 {at}',
  'solve.open': '现场解决',
  'solve.result': '处理结果',
  'solve.resultRequired': '请写明现场是怎么处理的',
  'solve.submit': '确认现场解决',
  'solve.sending': '正在提交…',
  'solve.done': '{code} 已记录为现场解决。',
} as const;

export type MessageKey = keyof typeof zhCN;
/** One language's strings, typed against zh-CN's keys (a missing translation is a compile error). */
export type Dict = Record<MessageKey, string>;

/**
 * The dictionaries loaded so far. zh-CN is always here; the others arrive by `loadLang` (their own
 * chunks), before the language is shown — until then a string falls back to zh-CN.
 */
const DICTS: Partial<Record<Lang, Dict>> = { 'zh-CN': zhCN };
const LOADERS: Record<Exclude<Lang, 'zh-CN'>, () => Promise<Dict>> = {
  'zh-TW': () => import('./i18n/zh-TW.ts').then((m) => m.zhTW),
  en: () => import('./i18n/en.ts').then((m) => m.en),
};

/** The strings of `lang`, or zh-CN's while they are loading. */
function dict(lang: Lang): Dict {
  return DICTS[lang] ?? zhCN;
}

/** Loads a language's strings (once); resolves when `translate` can use them. */
export async function loadLang(lang: Lang): Promise<void> {
  if (DICTS[lang] || lang === 'zh-CN') return;
  DICTS[lang] = await LOADERS[lang]();
}

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

/** Switches the UI language and remembers it, once its strings have arrived. */
export async function setLang(lang: Lang): Promise<void> {
  await loadLang(lang);
  langStore.set(lang);
}

/** The chosen language; re-renders the caller when it changes. */
export function useLang(): Lang {
  return useStore(langStore);
}

export type Vars = Record<string, string | number>;

/** The string for `key` in `lang`, with `{name}` placeholders filled from `vars`. */
export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const template = dict(lang)[key] ?? zhCN[key];
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

/**
 * The localised label of a server code (`state.in_progress`, `action.reply`, `satisfaction.satisfied`);
 * a code this client does not know keeps the server's own (Chinese) label.
 */
export function labelFor(
  lang: Lang,
  group: 'state' | 'action' | 'satisfaction',
  code: string,
  fallback: string,
): string {
  const key = `${group}.${code}`;
  return key in zhCN ? dict(lang)[key as MessageKey] : fallback;
}

/** The localised label of an org kind, preferring the finer subtype (街道/镇/乡, 村/社区). */
export function orgKindLabel(lang: Lang, kind: string, subtype: string | null | undefined): string {
  if (subtype && SUBTYPES.has(subtype)) return dict(lang)[`subtype.${subtype}` as MessageKey];
  return ORG_KIND_LABELS[lang][kind] ?? kind;
}
