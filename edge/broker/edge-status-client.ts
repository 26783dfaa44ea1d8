import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { EDGE_USERNAME, type EdgeBroker } from './broker.js';
import { EDGE_STATUS_TOPIC } from './topics.js';

/**
 * The edge's own MQTT client: it holds the retained `linli/v1/edge/status` with a last will
 * (`online: false`), and connecting it over the real listener is the self-check that the
 * broker is reachable before the ready line is printed.
 */
export class EdgeStatusClient {
  private client: MqttClient | undefined;

  constructor(
    private readonly broker: EdgeBroker,
    private readonly status: { house: string; version: string },
  ) {}

  async start(url: string): Promise<void> {
    const offline = Buffer.from(JSON.stringify({ online: false, ...this.status }));
    const client = await mqtt.connectAsync(url, {
      username: EDGE_USERNAME,
      password: this.broker.edgeSecret,
      clientId: `linli-edge-${this.status.house}`.slice(0, 64),
      protocolVersion: 4,
      reconnectPeriod: 1000,
      will: { topic: EDGE_STATUS_TOPIC, payload: offline, retain: true, qos: 1 },
    });
    this.client = client;
    const noDelay = () => (client.stream as Partial<Socket>).setNoDelay?.(true);
    noDelay();
    client.on('connect', noDelay);
    await client.publishAsync(EDGE_STATUS_TOPIC, JSON.stringify({ online: true, ...this.status }), {
      retain: true,
      qos: 1,
    });
  }

  /** Publishes the offline status itself (a clean stop sends no will) and disconnects. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client
      .publishAsync(EDGE_STATUS_TOPIC, JSON.stringify({ online: false, ...this.status }), {
        retain: true,
        qos: 1,
      })
      .catch(() => undefined);
    await client.endAsync().catch(() => undefined);
  }
}
