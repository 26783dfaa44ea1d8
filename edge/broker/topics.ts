/** MQTT topic names of DESIGN.md ("MQTT"), built and parsed in one place. */

export const TOPIC_ROOT = 'linli/v1';
export const EDGE_STATUS_TOPIC = `${TOPIC_ROOT}/edge/status`;

export type DeviceTopicKind = 'status' | 'evt' | 'cmd';

export function deviceTopic(deviceId: string, kind: DeviceTopicKind): string {
  return `${TOPIC_ROOT}/dev/${deviceId}/${kind}`;
}

export function alarmTopic(alarmId: string): string {
  return `${TOPIC_ROOT}/edge/alarm/${alarmId}`;
}

const DEVICE_TOPIC = /^linli\/v1\/dev\/([A-Za-z0-9._-]{1,64})\/(status|evt|cmd)$/;

/** `linli/v1/dev/{id}/{kind}` → its parts, or null for any other topic. */
export function parseDeviceTopic(topic: string): { deviceId: string; kind: DeviceTopicKind } | null {
  const m = DEVICE_TOPIC.exec(topic);
  if (!m) return null;
  return { deviceId: m[1] as string, kind: m[2] as DeviceTopicKind };
}
