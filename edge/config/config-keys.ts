/**
 * Every setting the edge reads, as a table: its environment name (a JSON file named by
 * LINLI_CONFIG may set the same keys; env wins), its default, and how its text is validated.
 * Timings are settings too, so integration tests can scale them down (DESIGN.md, "Start-up").
 */

export type KeyKind =
  | { kind: 'string'; pattern?: RegExp; patternText?: string }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'url' }
  | { kind: 'bool01' };

export interface KeyDef {
  env: string;
  /** The field name in the frozen EdgeConfig. */
  field: string;
  kind: KeyKind;
  /** Default as text; `undefined` means unset (optional). A function gets the other raw values. */
  def?: string | ((raw: Record<string, string | undefined>) => string | undefined);
  doc: string;
}

const ID = {
  kind: 'string',
  pattern: /^[A-Za-z0-9._-]{1,64}$/,
  patternText: '[A-Za-z0-9._-]{1,64}',
} as const;
const PORT = { kind: 'int', min: 0, max: 65535 } as const;
const MS = (min: number, max: number) => ({ kind: 'int', min, max }) as const;

export const EDGE_KEYS: readonly KeyDef[] = [
  { env: 'LINLI_HOUSE_ID', field: 'houseId', kind: ID, def: 'demo-house', doc: "this smart house's id" },
  {
    env: 'LINLI_DATA_DIR',
    field: 'dataDir',
    kind: { kind: 'string' },
    def: './data',
    doc: 'everything the edge stores',
  },
  {
    env: 'LINLI_KEY_FILE',
    field: 'keyFile',
    kind: { kind: 'string' },
    def: './linli.key',
    doc: '32-byte key (base64) for sensitive data at rest; never inside the data dir',
  },
  { env: 'LINLI_BIND', field: 'bind', kind: { kind: 'string' }, def: '0.0.0.0', doc: 'listen address' },
  {
    env: 'LINLI_HTTP_PORT',
    field: 'httpPort',
    kind: PORT,
    def: '8080',
    doc: 'HTTP: kiosk, admin, API, MQTT over WebSocket',
  },
  {
    env: 'LINLI_MQTT_PORT',
    field: 'mqttPort',
    kind: PORT,
    def: (raw) => (raw.LINLI_DEMO === '1' ? '0' : '1883'),
    doc: 'MQTT over TCP (0 under LINLI_DEMO=1)',
  },
  {
    env: 'LINLI_TLS_CERT',
    field: 'tlsCert',
    kind: { kind: 'string' },
    doc: 'PEM certificate file: enables HTTPS and MQTTS',
  },
  { env: 'LINLI_TLS_KEY', field: 'tlsKey', kind: { kind: 'string' }, doc: 'PEM key file for LINLI_TLS_CERT' },
  {
    env: 'LINLI_MQTTS_PORT',
    field: 'mqttsPort',
    kind: PORT,
    def: '8883',
    doc: 'MQTT over TLS, when TLS is configured',
  },
  {
    env: 'LINLI_TZ',
    field: 'tz',
    kind: { kind: 'string' },
    def: 'Asia/Shanghai',
    doc: "the house's time zone",
  },
  {
    env: 'LINLI_ADMIN_PASSWORD',
    field: 'adminPassword',
    kind: { kind: 'string', pattern: /^.{8,256}$/s, patternText: '8 to 256 characters' },
    doc: 'first admin (user admin) on an empty store',
  },
  { env: 'LINLI_CLOUD_URL', field: 'cloudUrl', kind: { kind: 'url' }, doc: 'cloud base URL for sync' },
  {
    env: 'LINLI_HOUSE_SECRET',
    field: 'houseSecret',
    kind: { kind: 'string' },
    doc: "this house's sync secret",
  },
  {
    env: 'LINLI_CONFIG_SYNC_MS',
    field: 'configSyncMs',
    kind: MS(100, 86_400_000),
    def: '30000',
    doc: 'config sync: pause between good rounds (pull the bundle, send local edits); a local edit starts a round at once',
  },
  {
    env: 'LINLI_CONFIG_BACKOFF_MS',
    field: 'configBackoffMs',
    kind: MS(10, 3_600_000),
    def: '1000',
    doc: 'config sync: first backoff ceiling after a failed round (doubles per failure, full jitter)',
  },
  {
    env: 'LINLI_CONFIG_BACKOFF_MAX_MS',
    field: 'configBackoffMaxMs',
    kind: MS(10, 86_400_000),
    def: '300000',
    doc: 'config sync: cap of the backoff between failed rounds',
  },
  {
    env: 'LINLI_CONFIG_TIMEOUT_MS',
    field: 'configTimeoutMs',
    kind: MS(100, 600_000),
    def: '30000',
    doc: 'config sync: a request to the cloud taking longer is aborted',
  },
  {
    env: 'LINLI_PUBLIC_URL',
    field: 'publicUrl',
    kind: { kind: 'url' },
    doc: 'base of public links in QR codes',
  },
  {
    env: 'LINLI_DEMO',
    field: 'demo',
    kind: { kind: 'bool01' },
    def: '0',
    doc: '1: simulated devices and demo data',
  },
  {
    env: 'LINLI_LOG_LEVEL',
    field: 'logLevel',
    kind: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    def: 'info',
    doc: 'pino log level (logs go to stderr)',
  },
  {
    env: 'LINLI_MQTT_MAX_PAYLOAD',
    field: 'mqttMaxPayload',
    kind: { kind: 'int', min: 256, max: 16 * 1024 * 1024 },
    def: String(64 * 1024),
    doc: 'largest MQTT payload accepted from a device, bytes',
  },
  {
    env: 'LINLI_HB_MISSES',
    field: 'heartbeatMisses',
    kind: { kind: 'int', min: 1, max: 100 },
    def: '3',
    doc: 'heartbeat intervals missed before a device is marked offline',
  },
  {
    env: 'LINLI_HB_SCALE',
    field: 'heartbeatScaleMs',
    kind: MS(1, 1000),
    def: '1000',
    doc: 'milliseconds per heartbeat second (tests scale heartbeats down)',
  },
  {
    env: 'LINLI_SERIAL_BACKOFF_MS',
    field: 'serialBackoffMs',
    kind: MS(10, 600_000),
    def: '500',
    doc: 'first retry delay when a serial port is missing',
  },
  {
    env: 'LINLI_SERIAL_BACKOFF_MAX_MS',
    field: 'serialBackoffMaxMs',
    kind: MS(10, 3_600_000),
    def: '30000',
    doc: 'longest retry delay for a missing serial port',
  },
  {
    env: 'LINLI_ECR_ACK_TIMEOUT_MS',
    field: 'ecrAckTimeoutMs',
    kind: MS(10, 60_000),
    def: '2000',
    doc: 'bank terminal (ECR link): wait for ACK/NAK of a frame before resending it (3 sends at most)',
  },
  {
    env: 'LINLI_ECR_RESULT_TIMEOUT_MS',
    field: 'ecrResultTimeoutMs',
    kind: MS(10, 600_000),
    def: '90000',
    doc: 'bank terminal: a sale, void or settlement without its answer this long after the ACK is unknown',
  },
  {
    env: 'LINLI_ECR_QUERY_TIMEOUT_MS',
    field: 'ecrQueryTimeoutMs',
    kind: MS(10, 600_000),
    def: '10000',
    doc: 'bank terminal: wait this long for the answer to a `Q` query',
  },
  {
    env: 'LINLI_PAYMENT_QUERY_BACKOFF_MS',
    field: 'paymentQueryBackoffMs',
    kind: MS(10, 3_600_000),
    def: '1000',
    doc: 'an unknown payment is queried (`Q`) after this long, then after twice that each time (jittered)',
  },
  {
    env: 'LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS',
    field: 'paymentQueryBackoffMaxMs',
    kind: MS(10, 86_400_000),
    def: '300000',
    doc: 'cap of the query backoff of an unknown payment',
  },
  {
    env: 'LINLI_ACCOUNT_TAP_TIMEOUT_MS',
    field: 'accountTapTimeoutMs',
    kind: MS(100, 3_600_000),
    def: '60000',
    doc: 'an account payment waiting for a card tap is declined (`TIMEOUT`) after this long',
  },
  {
    env: 'LINLI_SETTLE_AT',
    field: 'settleAt',
    kind: { kind: 'string', pattern: /^(?:|(?:[01]\d|2[0-3]):[0-5]\d)$/, patternText: 'HH:MM or empty' },
    def: '23:30',
    doc: 'daily settlement of every bank terminal at this house time (HH:MM); empty: never',
  },
  {
    env: 'LINLI_CARD_COOLDOWN_MS',
    field: 'cardCooldownMs',
    kind: MS(0, 60_000),
    def: '1500',
    doc: 'a card reader ignores the same card again within this time (the ID card ignores HALT)',
  },
  {
    env: 'LINLI_PCSC_HEARTBEAT_MS',
    field: 'pcscHeartbeatMs',
    kind: MS(50, 60_000),
    def: '1000',
    doc: 'how often the PC/SC worker process pings the edge; silent for 5 pings, it is replaced',
  },
  {
    env: 'LINLI_ALARM_ESCALATE_MS',
    field: 'alarmEscalateMs',
    kind: MS(100, 3_600_000),
    def: '60000',
    doc: 'an unacknowledged alarm escalates to the next duty level after this long, and again after each',
  },
  {
    env: 'LINLI_ALARM_DEDUPE_MS',
    field: 'alarmDedupeMs',
    kind: MS(1000, 86_400_000),
    def: '600000',
    doc: 'repeats of one press (same device, boot, seq) within this window are the same alarm',
  },
  {
    env: 'LINLI_NOTIFY_RETRY_MS',
    field: 'notifyRetryMs',
    kind: MS(10, 600_000),
    def: '2000',
    doc: 'first retry of a failed alarm notification; then 2.5×, 7.5× and 30× this',
  },
  {
    env: 'LINLI_HELP_TEST_DAYS',
    field: 'helpTestDays',
    kind: { kind: 'int', min: 1, max: 365 },
    def: '7',
    doc: 'a help button or panel not test-pressed for this many days raises a technical alarm',
  },
  {
    env: 'LINLI_POINTS_CATALOGUE',
    field: 'pointsCatalogue',
    kind: { kind: 'string' },
    doc: 'the points scheme (JSON): items, goods, redeemable categories, roll-over or yearly reset, assessment flags; unset: the shipped example edge/points/catalogue.zh.json',
  },
  {
    env: 'LINLI_DEVICE_COUNTERS_MS',
    field: 'deviceCountersMs',
    kind: MS(1000, 86_400_000),
    def: '3600000',
    doc: 'window of the per-device counter records in the `device` stream (hourly)',
  },
  {
    env: 'LINLI_SYNC_IDLE_MS',
    field: 'syncIdleMs',
    kind: MS(10, 3_600_000),
    def: '5000',
    doc: 'pause between sync rounds once everything is synced (a new record ends it at once)',
  },
  {
    env: 'LINLI_SYNC_BACKOFF_MS',
    field: 'syncBackoffMs',
    kind: MS(10, 3_600_000),
    def: '1000',
    doc: 'first ceiling of the jittered backoff after a failed sync round; it doubles per failure',
  },
  {
    env: 'LINLI_SYNC_BACKOFF_MAX_MS',
    field: 'syncBackoffMaxMs',
    kind: MS(10, 86_400_000),
    def: '300000',
    doc: 'cap of the sync backoff (800 houses coming back at once spread over it)',
  },
  {
    env: 'LINLI_SYNC_TIMEOUT_MS',
    field: 'syncTimeoutMs',
    kind: MS(100, 600_000),
    def: '30000',
    doc: 'a sync request taking longer is aborted and retried',
  },
  {
    env: 'LINLI_SYNC_BATCH',
    field: 'syncBatch',
    kind: { kind: 'int', min: 1, max: 1000 },
    def: '1000',
    doc: 'records per sync request at most (the protocol allows 1,000 and 1 MiB)',
  },
  {
    env: 'LINLI_RETENTION_DAYS',
    field: 'retentionDays',
    kind: { kind: 'int', min: 0, max: 3650 },
    def: '30',
    doc: 'synced journal segments whose newest record is older than this are deleted (0: as soon as synced); unsynced ones never are',
  },
  {
    env: 'LINLI_RETENTION_CHECK_MS',
    field: 'retentionCheckMs',
    kind: MS(100, 86_400_000),
    def: '600000',
    doc: 'how often retention and the free disk space are checked',
  },
  {
    env: 'LINLI_DISK_MIN_FREE_MB',
    field: 'diskMinFreeMb',
    kind: { kind: 'int', min: 0, max: 1_000_000 },
    def: '256',
    doc: 'below this free space, unsynced segments holding only unsynced QR scans (stream service) are dropped, logged and reported to the cloud; alarms and payments never',
  },
  {
    env: 'LINLI_JOURNAL_SEGMENT_KB',
    field: 'journalSegmentKb',
    kind: { kind: 'int', min: 4, max: 1_048_576 },
    def: '16384',
    doc: 'journal segment size: retention deletes whole segments',
  },
  {
    env: 'LINLI_SSE_KEEPALIVE_MS',
    field: 'sseKeepaliveMs',
    kind: MS(100, 600_000),
    def: '15000',
    doc: 'comment line interval on server-sent event streams',
  },
  {
    env: 'LINLI_SSE_REPLAY',
    field: 'sseReplay',
    kind: { kind: 'int', min: 0, max: 100_000 },
    def: '1000',
    doc: 'recent events kept in memory for Last-Event-ID replay',
  },
  {
    env: 'LINLI_LOGIN_MAX_PER_MIN',
    field: 'loginMaxPerMinute',
    kind: { kind: 'int', min: 1, max: 10_000 },
    def: '10',
    doc: 'login attempts per client address per minute',
  },
  {
    env: 'LINLI_SESSION_HOURS',
    field: 'sessionHours',
    kind: { kind: 'int', min: 1, max: 24 * 30 },
    def: '12',
    doc: 'admin session lifetime',
  },
];
