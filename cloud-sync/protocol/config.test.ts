import t from 'tap';
import { v7 } from 'uuid';
import {
  CONFIG_KINDS,
  changedFields,
  checkEdit,
  checkEntity,
  SENSITIVE_FIELDS,
  SINGLETON_IDS,
  splitSensitive,
} from './config.js';

const resident = {
  name: '张秀兰',
  roles: ['elder'],
  community: '兴华社区',
  building: '3',
  phone: '13800000000',
  branch: '第一支部',
  emergencyContacts: [{ name: '李明', relation: '儿子', phone: '13900000000' }],
  idNumber: '11010519491231002X',
};

t.test('an entity is checked against its kind, never quoting a value', async (t) => {
  t.equal(checkEntity('resident', 'r-1', resident), undefined);
  const bad = checkEntity('resident', 'r-1', { ...resident, idNumber: '123' });
  t.match(bad, /idNumber/);
  t.notMatch(bad, /123/);
  t.match(checkEntity('resident', 'r 1', resident), /id is not/);
  t.match(checkEntity('resident', 'r-1', { ...resident, extra: 1 }), /resident data/);
  t.equal(checkEntity('contacts', 'contacts', { police: { name: '派出所', phone: '110' } }), undefined);
  t.match(checkEntity('contacts', 'other', {}), /single id contacts/);
  t.equal(
    checkEntity('duty', 'roster', { entries: [{ name: '王', level: 0, from: '08:00', to: '20:00' }] }),
    undefined,
  );
  t.match(checkEntity('duty', 'roster', { entries: [{ name: '王', level: 0, from: '25:00' }] }), /from/);
});

t.test('edits: put carries whole data, delete none', async (t) => {
  const base = {
    edit: v7(),
    kind: 'resident',
    id: 'r-1',
    base: 3,
    at: new Date().toISOString(),
    by: 'admin',
  };
  t.equal(checkEdit({ ...base, op: 'put', data: resident }), undefined);
  t.equal(checkEdit({ ...base, op: 'delete' }), undefined);
  t.match(checkEdit({ ...base, op: 'delete', data: resident }), /no data/);
  t.match(checkEdit({ ...base, op: 'move' }), /put or delete/);
  t.match(checkEdit({ ...base, op: 'put', kind: 'pet', data: {} }), /unknown kind/);
  t.match(checkEdit({ ...base, op: 'put', base: -1, data: resident }), /base/);
  t.match(checkEdit({ ...base, op: 'put', edit: 'x', data: resident }), /UUID/);
  t.match(checkEdit(null), /object/);
  t.equal(checkEdit({ ...base, op: 'delete', after: v7() }), undefined, 'after names the previous edit');
  t.match(checkEdit({ ...base, op: 'delete', after: 'x' }), /after/);
  t.match(checkEdit({ ...base, op: 'delete', after: base.edit }), /another edit/);
});

t.test('sensitive fields are split off; every kind is covered', async (t) => {
  const { plain, sensitive } = splitSensitive('resident', resident);
  t.same(Object.keys(plain).sort(), ['branch', 'community', 'roles']);
  t.same(Object.keys(sensitive).sort(), ['building', 'emergencyContacts', 'idNumber', 'name', 'phone']);
  for (const k of CONFIG_KINDS) t.ok(Array.isArray(SENSITIVE_FIELDS[k]), k);
  t.same(Object.keys(SINGLETON_IDS).sort(), ['contacts', 'duty', 'points-scheme']);
  t.same(changedFields({ a: 1, b: [1] }, { a: 1, b: [2], c: 3 }), ['b', 'c']);
});

t.test('changed fields compare nested objects by content, not key order', async (t) => {
  const a = { badge: { digest: 'd'.repeat(43), code: 'LL-ABC', issuedAt: '2026-01-01T00:00:00.000Z' } };
  const b = { badge: { issuedAt: '2026-01-01T00:00:00.000Z', code: 'LL-ABC', digest: 'd'.repeat(43) } };
  t.same(changedFields(a, b), []);
  t.same(changedFields(a, { badge: { ...a.badge, code: 'LL-XYZ' } }), ['badge']);
  t.same(changedFields(undefined, { name: 'x', roles: [] }), ['name', 'roles']);
});
