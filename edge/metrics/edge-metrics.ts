import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricSources {
  devicesOnline(): number;
  devicesRegistered(): number;
  mqttClients(): number;
  sseClients(): number;
  journal(): { bytes: number; records: number; segments: number; tornTailBytes: number };
}

/**
 * The edge's Prometheus metrics, on a registry of its own (no global singleton). Gauges read
 * their sources at scrape time, so nothing on the hot path updates them.
 */
export class EdgeMetrics {
  readonly registry = new Registry();
  readonly deviceEvents: Counter<'type'>;
  readonly payloadsRejected: Counter<'reason'>;
  readonly mqttRefused: Counter<'action' | 'reason'>;
  readonly journalAppend: Histogram;
  readonly loginFailures: Counter;

  constructor(sources: MetricSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'linli_process_' });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read());
        },
      });
    gauge('linli_devices_online', 'Registered devices currently online', () => sources.devicesOnline());
    gauge('linli_devices_registered', 'Registered devices', () => sources.devicesRegistered());
    gauge('linli_mqtt_clients', 'Connected MQTT clients', () => sources.mqttClients());
    gauge('linli_sse_clients', 'Open server-sent event streams', () => sources.sseClients());
    gauge('linli_journal_bytes', 'Bytes in the record journal', () => sources.journal().bytes);
    gauge('linli_journal_records', 'Records in the journal (last LSN)', () => sources.journal().records);
    gauge('linli_journal_segments', 'Journal segment files', () => sources.journal().segments);
    gauge(
      'linli_journal_torn_tail_bytes',
      'Bytes of a torn (never acknowledged) tail dropped when the journal was opened',
      () => sources.journal().tornTailBytes,
    );
    this.deviceEvents = new Counter({
      name: 'linli_device_events_total',
      help: 'Device events accepted',
      labelNames: ['type'],
      registers: [r],
    });
    this.payloadsRejected = new Counter({
      name: 'linli_device_payloads_rejected_total',
      help: 'Device payloads refused as malformed',
      labelNames: ['reason'],
      registers: [r],
    });
    this.mqttRefused = new Counter({
      name: 'linli_mqtt_refused_total',
      help: 'MQTT connects, publishes and subscriptions refused',
      labelNames: ['action', 'reason'],
      registers: [r],
    });
    this.journalAppend = new Histogram({
      name: 'linli_journal_commit_seconds',
      help: 'Journal group commit latency (write + fsync)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: [r],
    });
    this.loginFailures = new Counter({
      name: 'linli_login_failures_total',
      help: 'Failed admin logins',
      registers: [r],
    });
  }
}
