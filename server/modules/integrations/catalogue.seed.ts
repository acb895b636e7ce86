import type { Insertable, Kysely } from 'kysely';
import type { DataExchangesTable, DB, ExchangeChannel, ExchangeDirection } from '../../db/schema.ts';

interface DemoExchange {
  system: string;
  direction: ExchangeDirection;
  channel: ExchangeChannel;
  dataItems: string[];
  note: string;
}

const BASIS = '示例：县社会治理数据共享协议（请按实际协议或文件编号填写）';

/**
 * The demo county's data exchanges, from the article (《激活社会治理的基层基因》): the county
 * "对交警、城管、综治网格化的数据接口进行整合，实现了全县6500多个监控摄像头的数据共享", runs
 * 智慧环保、智慧公厕、智慧安监, and takes every appeal through one entry (12345 hotline among them).
 * Illustrations for the demo, not real agreements.
 */
export const DEMO_EXCHANGES: readonly DemoExchange[] = [
  {
    system: '县公安局交通警察大队（交警）',
    direction: 'in',
    channel: 'camera',
    dataItems: ['交通监控告警（占道、违停、拥堵）', '告警抓拍图片', '点位编号与位置'],
    note: '交警数据接口整合；告警作为事件进入同一受理口',
  },
  {
    system: '县城市管理局（城管）',
    direction: 'in',
    channel: 'camera',
    dataItems: ['AI 摄像头告警（占道经营、垃圾满溢）', '告警抓拍图片'],
    note: '城管数据接口整合',
  },
  {
    system: '县城市管理局（城管）',
    direction: 'out',
    channel: 'webhook',
    dataItems: ['工单编号', '类别', '状态', '承办单位', '受理、派单、答复、办结时间'],
    note: '城管类工单的派单与办结推送；不含群众姓名、电话',
  },
  {
    system: '综治网格化管理平台（网格数据）',
    direction: 'both',
    channel: 'file_import',
    dataItems: ['网格划分（边界）', '网格员配置', '网格事件'],
    note: '全县 785 个基础网格；网格与组织架构按文件导入',
  },
  {
    system: '12345 政务服务便民热线',
    direction: 'both',
    channel: 'open311',
    dataItems: ['热线诉求（类别、描述、位置）', '受理编号', '办理状态与答复'],
    note: '热线工单经 Open311 接口进入同一受理口，状态回传',
  },
  {
    system: '全县公共视频监控（6500 余个摄像头）',
    direction: 'in',
    channel: 'camera',
    dataItems: ['视频事件告警', '告警抓拍图片', '摄像头点位'],
    note: '监控摄像头数据共享',
  },
  {
    system: '智慧公厕',
    direction: 'in',
    channel: 'iot',
    dataItems: ['设备告警（缺纸、异味、故障）', '设备心跳', '设备位置'],
    note: '物联网告警经 MQTT 或 HTTP 进入',
  },
  {
    system: '智慧环保',
    direction: 'in',
    channel: 'iot',
    dataItems: ['环境监测告警（扬尘、噪声、水质）', '设备心跳'],
    note: '物联网告警经 MQTT 或 HTTP 进入',
  },
  {
    system: '智慧安监',
    direction: 'in',
    channel: 'iot',
    dataItems: ['燃气、烟感等安全告警', '设备心跳'],
    note: '物联网告警经 MQTT 或 HTTP 进入',
  },
];

/**
 * Writes the demo catalogue for a county; entries already there (same system and channel) are left
 * as they are, so it may run on every demo start. The demo seed calls it for the demo county.
 */
export async function seedDemoExchanges(db: Kysely<DB>, countyCode: string, now: Date): Promise<number> {
  const rows: Insertable<DataExchangesTable>[] = DEMO_EXCHANGES.map((x) => ({
    county_code: countyCode,
    system: x.system,
    direction: x.direction,
    channel: x.channel,
    data_items: x.dataItems,
    legal_basis: BASIS,
    note: x.note,
    updated_by: null,
    created_at: now,
    updated_at: now,
  }));
  const r = await db
    .insertInto('data_exchanges')
    .values(rows)
    .onConflict((oc) => oc.columns(['county_code', 'system', 'channel']).doNothing())
    .returning('id')
    .execute();
  return r.length;
}
