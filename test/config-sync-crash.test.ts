/**
 * No edge edit is lost or applied twice across a SIGKILL of the real daemon:
 * - killed while the cloud could not be reached: after the restart the edit goes up, once;
 * - killed after the cloud applied the edit but before its answer arrived (the link swallowed it):
 *   after the restart the edit is sent again under the same id and the cloud answers its first
 *   outcome: one decision, one version, and the edge settles on it.
 */
import { join } from 'node:path';
import t from 'tap';
import type { ConfigSyncStatusView, ResidentView } from '../edge/api/types.js';
import { RecordLog } from '../edge/store/record-log.js';
import { ConfigCloud, eventually, fastConfigSync } from './helpers/config-cloud.js';
import { api, type EdgeProcess, login, startEdge, tempDir } from './helpers/edge-process.js';

const cloud = await ConfigCloud.start();
t.teardown(() => cloud.close());
const house = await cloud.newHouse('crash house');
const env = fastConfigSync(cloud, house);
const dataDir = join(await tempDir('linli-config-crash-'), 'data');
let edge: EdgeProcess | undefined;
t.teardown(() => edge?.stop('SIGKILL'));

async function start(): Promise<{ e: EdgeProcess; token: string }> {
  edge = await startEdge(env, { dataDir });
  return { e: edge, token: await login(edge.httpUrl) };
}
const status = async (e: EdgeProcess, token: string) =>
  (await api<ConfigSyncStatusView>(e.httpUrl, token, 'GET', '/api/config-sync')).body;

/** The cloud's decisions about edits of one entity (each edit id is decided once). */
async function decisions(kind: string, id: string) {
  return cloud.db.query<{ edit: string; outcome: string; version: number }>(
    `SELECT edit::text AS edit, outcome, version FROM config_edits WHERE house = $1 AND kind = $2 AND id = $3`,
    [house.id, kind, id],
  );
}

/** The edit id the edge's `registry` record gave an edit of a resident (read after the edge stopped). */
async function recordedEdits(residentId: string): Promise<string[]> {
  const log = await RecordLog.open({
    dir: join(dataDir, 'records'),
    house: house.id,
    clock: () => 'unsynced',
  });
  try {
    const out: string[] = [];
    for await (const { record } of log.read(1, 'registry')) {
      const body = record.body as { id?: string; edit?: string };
      if (body.id === residentId && body.edit) out.push(body.edit);
    }
    return out;
  } finally {
    await log.close();
  }
}

t.test('killed while the cloud was unreachable: the edit goes up after the restart, once', async (t) => {
  cloud.proxy.set('down');
  const { e, token } = await start();
  const made = await api<ResidentView>(e.httpUrl, token, 'POST', '/api/residents', {
    id: 'r-k1',
    name: '赵爷爷',
    roles: ['elder'],
    healthNotes: '哮喘',
  });
  t.equal(made.status, 201, 'saved');
  t.ok((await status(e, token)).pendingEdits >= 1, 'waiting to go up');
  t.equal(await e.stop('SIGKILL'), 'SIGKILL');
  t.same(await decisions('resident', 'r-k1'), [], 'the cloud never saw it');

  cloud.proxy.set('up');
  const again = await start();
  const onCloud = await eventually('the resident on the cloud', () =>
    cloud.entity(house.id, 'resident', 'r-k1'),
  );
  t.match(onCloud, { data: { name: '赵爷爷', healthNotes: '哮喘' }, updatedBy: 'edge:admin' });
  await eventually('settled', async () => (await status(again.e, again.token)).pendingEdits === 0);
  const d = await decisions('resident', 'r-k1');
  t.equal(d.length, 1, 'decided once');
  t.equal(d[0]?.outcome, 'applied');
  t.equal(await again.e.stop(), 0);
  t.same(await recordedEdits('r-k1'), [onCloud.edit], 'under the id of the edge’s record');
});

t.test(
  'killed after the cloud applied the edit but before its answer came: sent again, applied once',
  async (t) => {
    const { e, token } = await start();
    await eventually('idle', async () => (await status(e, token)).pendingEdits === 0);
    cloud.proxy.set('mute');
    const made = await api<ResidentView>(e.httpUrl, token, 'POST', '/api/residents', {
      id: 'r-k2',
      name: '孙奶奶',
    });
    t.equal(made.status, 201);
    const applied = await eventually('the cloud applied it', () =>
      cloud.entity(house.id, 'resident', 'r-k2'),
    );
    // The edge waits for an answer that never comes, and retries the same edit into the silence.
    await eventually('a timed-out round', async () => (await status(e, token)).lastError?.code === 'network');
    t.ok((await status(e, token)).pendingEdits >= 1, 'still pending on the edge');
    t.equal(await e.stop('SIGKILL'), 'SIGKILL');

    cloud.proxy.set('up');
    const again = await start();
    await eventually('settled', async () => (await status(again.e, again.token)).pendingEdits === 0);
    const d = await decisions('resident', 'r-k2');
    t.equal(d.length, 1, 'one decision however often it was sent');
    t.match(d[0], { edit: applied.edit, outcome: 'applied', version: applied.version });
    t.equal(
      (await cloud.entity(house.id, 'resident', 'r-k2'))?.version,
      applied.version,
      'no second version',
    );
    t.equal(await again.e.stop(), 0);
    t.same(await recordedEdits('r-k2'), [applied.edit], 'the record’s edit id');
  },
);
