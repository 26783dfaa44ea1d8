import { enAlarms, zhAlarms } from './i18n-alarms';
import { enConfigSync, zhConfigSync } from './i18n-config-sync';
import { enElders, zhElders } from './i18n-elders';
import { enKioskCards, zhKioskCards } from './i18n-kiosk-cards';
import { enPayKiosk, zhPayKiosk } from './i18n-pay-kiosk';
import { enPayments, zhPayments } from './i18n-payments';
import { enPoints, zhPoints } from './i18n-points';
import { enSync, zhSync } from './i18n-sync';

/**
 * Every string the browser app shows, Chinese first, English second. Placeholders are `{name}`.
 * The chosen language is remembered in localStorage (`linli.lang`).
 */

const zh = {
  appName: '邻里',
  langToggle: 'English',
  houseLabel: '智慧屋',

  landingTitle: '邻里智慧屋',
  landingSubtitle: '请选择入口',
  linkKiosk: '居民自助终端',
  linkKioskHint: '刷卡、扫码、办事',
  linkAdmin: '社区管理后台',
  linkAdminHint: '设备、告警、居民',

  kioskPrompt: '请刷居民卡或扫描二维码',
  kioskPromptAlt: 'Tap your resident card or scan a QR code',
  notPairedTitle: '本终端未配对',
  notPairedAlt: 'This screen is not paired',
  notPairedBody: '请社区管理员在管理后台登记一台“自助终端”设备，然后在本屏幕上打开它的配对链接。',
  pairFailed: '配对链接无效或已经用过，请管理员重新登记。',
  pairing: '正在配对…',
  scanTitle: '扫描成功',
  scanKindUrl: '链接',
  scanKindText: '文本',
  scanBack: '返回',
  scanCountdown: '{n} 秒后自动返回',
  connOpen: '已连接',
  connConnecting: '连接中…',

  adminTitle: '社区管理后台',
  username: '用户名',
  password: '密码',
  login: '登录',
  loggingIn: '正在登录…',
  errWrongCredentials: '用户名或密码错误',
  errTooMany: '尝试次数过多，请稍等一会儿再试',
  errNetwork: '无法连接到服务器',
  errForbidden: '当前角色没有此权限',
  errGeneric: '出错了：{msg}',
  logout: '退出登录',
  loggedInAs: '{user}（{role}）',
  role_admin: '管理员',
  role_staff: '工作人员',
  role_viewer: '只读用户',
  loading: '加载中…',
  retry: '重试',

  devices: '设备',
  deviceCount: '共 {n} 台，{online} 台在线',
  noDevices: '还没有登记任何设备',
  colId: '编号',
  colType: '类型',
  colTransport: '连接方式',
  colStatus: '状态',
  colLastSeen: '最近活动',
  colReason: '离线原因',
  colEvents: '事件',
  colErrors: '错误',
  colReconnects: '重连',
  online: '在线',
  offline: '离线',
  never: '从未',
  justNow: '刚刚',
  secondsAgo: '{n} 秒前',
  minutesAgo: '{n} 分钟前',
  hoursAgo: '{n} 小时前',
  daysAgo: '{n} 天前',

  'type_qr-scanner': '扫码器',
  'type_card-reader': '读卡器',
  'type_help-button': '一键呼救按钮',
  'type_help-panel': '呼救按钮面板',
  'type_bank-terminal': '银行终端',
  'type_gsm-modem': 'GSM 模块',
  type_kiosk: '自助终端',
  transport_mqtt: 'MQTT',
  transport_serial: '串口',
  transport_pcsc: 'PC/SC',
  transport_http: 'HTTP',

  recentEvents: '最近事件',
  noEvents: '暂无事件',
  liveOpen: '实时更新中',
  liveConnecting: '连接中…',
  liveDenied: '当前角色无法接收实时更新',

  registerTitle: '登记设备',
  fieldId: '设备编号',
  fieldIdHint: '字母、数字、. _ -，最多 64 个字符',
  fieldName: '名称（可选）',
  fieldType: '类型',
  fieldTransport: '连接方式',
  fieldPath: '串口路径',
  fieldBaudRate: '波特率',
  fieldDataBits: '数据位',
  fieldParity: '校验',
  fieldStopBits: '停止位',
  fieldReader: '读卡器名称（可选）',
  fieldUidFormat: 'UID 格式',
  fieldEncoding: '文字编码',
  fieldAssignedTo: '分配给（居民编号或位置，可选）',
  optDefault: '默认（{v}）',
  parity_none: '无',
  parity_even: '偶校验',
  parity_odd: '奇校验',
  parity_mark: '标记校验',
  parity_space: '空格校验',
  submitRegister: '登记',
  registering: '正在登记…',
  registered: '已登记设备 {id}',
  mqttPassword: 'MQTT 密码（用户名为设备编号）',
  kioskLink: '配对链接：在自助终端屏幕上打开',
  shownOnce: '只显示这一次，请立即保存。关闭后无法再次查看。',
  copy: '复制',
  copied: '已复制',
  dismiss: '我已保存',
  ...zhAlarms,
  ...zhElders,
  ...zhKioskCards,
  ...zhPayKiosk,
  ...zhPayments,
  ...zhPoints,
  ...zhSync,
  ...zhConfigSync,
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  appName: 'Linli',
  langToggle: '中文',
  houseLabel: 'Smart house',

  landingTitle: 'Linli smart house',
  landingSubtitle: 'Choose an entrance',
  linkKiosk: 'Resident kiosk',
  linkKioskHint: 'Cards, QR codes, services',
  linkAdmin: 'Community admin',
  linkAdminHint: 'Devices, alarms, residents',

  kioskPrompt: 'Tap your resident card or scan a QR code',
  kioskPromptAlt: '请刷居民卡或扫描二维码',
  notPairedTitle: 'This screen is not paired',
  notPairedAlt: '本终端未配对',
  notPairedBody:
    'A community admin registers a device of type “kiosk” on the admin page, then opens its pairing link on this screen.',
  pairFailed: 'The pairing link is invalid or was already used. Ask an admin to register the kiosk again.',
  pairing: 'Pairing…',
  scanTitle: 'Scanned',
  scanKindUrl: 'Link',
  scanKindText: 'Text',
  scanBack: 'Back',
  scanCountdown: 'Back in {n} s',
  connOpen: 'Connected',
  connConnecting: 'Reconnecting…',

  adminTitle: 'Community admin',
  username: 'User name',
  password: 'Password',
  login: 'Log in',
  loggingIn: 'Logging in…',
  errWrongCredentials: 'Wrong user name or password',
  errTooMany: 'Too many attempts. Please wait a moment and try again.',
  errNetwork: 'Cannot reach the server',
  errForbidden: 'Your role may not do this',
  errGeneric: 'Something went wrong: {msg}',
  logout: 'Log out',
  loggedInAs: '{user} ({role})',
  role_admin: 'admin',
  role_staff: 'staff',
  role_viewer: 'viewer',
  loading: 'Loading…',
  retry: 'Retry',

  devices: 'Devices',
  deviceCount: '{n} in all, {online} online',
  noDevices: 'No devices registered yet',
  colId: 'ID',
  colType: 'Type',
  colTransport: 'Transport',
  colStatus: 'Status',
  colLastSeen: 'Last seen',
  colReason: 'Offline reason',
  colEvents: 'Events',
  colErrors: 'Errors',
  colReconnects: 'Reconnects',
  online: 'Online',
  offline: 'Offline',
  never: 'never',
  justNow: 'just now',
  secondsAgo: '{n} s ago',
  minutesAgo: '{n} min ago',
  hoursAgo: '{n} h ago',
  daysAgo: '{n} d ago',

  'type_qr-scanner': 'QR scanner',
  'type_card-reader': 'Card reader',
  'type_help-button': 'Help button',
  'type_help-panel': 'Help-button panel',
  'type_bank-terminal': 'Bank terminal',
  'type_gsm-modem': 'GSM modem',
  type_kiosk: 'Kiosk',
  transport_mqtt: 'MQTT',
  transport_serial: 'Serial',
  transport_pcsc: 'PC/SC',
  transport_http: 'HTTP',

  recentEvents: 'Recent events',
  noEvents: 'No events yet',
  liveOpen: 'Live',
  liveConnecting: 'Reconnecting…',
  liveDenied: 'Your role does not receive live updates',

  registerTitle: 'Register a device',
  fieldId: 'Device ID',
  fieldIdHint: 'Letters, digits, . _ -, at most 64 characters',
  fieldName: 'Name (optional)',
  fieldType: 'Type',
  fieldTransport: 'Transport',
  fieldPath: 'Serial port path',
  fieldBaudRate: 'Baud rate',
  fieldDataBits: 'Data bits',
  fieldParity: 'Parity',
  fieldStopBits: 'Stop bits',
  fieldReader: 'Reader name (optional)',
  fieldUidFormat: 'UID format',
  fieldEncoding: 'Text encoding',
  fieldAssignedTo: 'Assigned to (resident ID or place, optional)',
  optDefault: 'default ({v})',
  parity_none: 'none',
  parity_even: 'even',
  parity_odd: 'odd',
  parity_mark: 'mark',
  parity_space: 'space',
  submitRegister: 'Register',
  registering: 'Registering…',
  registered: 'Device {id} registered',
  mqttPassword: 'MQTT password (the user name is the device ID)',
  kioskLink: 'Pairing link: open it on the kiosk screen',
  shownOnce: 'Shown only this once. Save it now; it cannot be shown again.',
  copy: 'Copy',
  copied: 'Copied',
  dismiss: 'I have saved it',
  ...enAlarms,
  ...enElders,
  ...enKioskCards,
  ...enPayKiosk,
  ...enPayments,
  ...enPoints,
  ...enSync,
  ...enConfigSync,
};

export type Lang = 'zh' | 'en';
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

const tables: Record<Lang, Record<MessageKey, string>> = { zh, en };
const STORAGE_KEY = 'linli.lang';

export function makeTranslate(lang: Lang): Translate {
  const table = tables[lang];
  return (key, vars) => {
    const text = table[key];
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  };
}

/** The remembered language; Chinese when none was chosen or storage is unavailable. */
export function loadLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only, which is acceptable.
  }
}

/** BCP 47 tag for `<html lang>` and Intl formatters. */
export function localeOf(lang: Lang): string {
  return lang === 'zh' ? 'zh-CN' : 'en-GB';
}
