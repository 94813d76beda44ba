// Error codes for common mistakes, and the basics of ACLs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MASTER, className, createClass, dropClass, rejectsWithCode, rest, pointer } from './lib.js';

const CLS = className('Errors');

before(async () => {
  await createClass(CLS, s => s.addNumber('n').addString('s').addPointer('p', CLS));
});

after(async () => {
  await dropClass(CLS);
});

test('get of a missing id gives 101 OBJECT_NOT_FOUND (SDK and REST)', async () => {
  await rejectsWithCode(new Parse.Query(CLS).get('nOsUcHoBjE'), Parse.Error.OBJECT_NOT_FOUND, /Object not found/);
  await rejectsWithCode(pointer(CLS, 'nOsUcHoBjE').fetch(), Parse.Error.OBJECT_NOT_FOUND);
  const res = await rest('GET', `/classes/${CLS}/nOsUcHoBjE`);
  assert.equal(res.status, 404);
  assert.deepEqual(res.body, { code: 101, error: 'Object not found.' });
});

test('saving a value of the wrong type to an existing field gives 111 INCORRECT_TYPE', async () => {
  const bad = new Parse.Object(CLS, { n: 'not a number' });
  await rejectsWithCode(bad.save(), Parse.Error.INCORRECT_TYPE, /expected Number but got String/);

  const o = await new Parse.Object(CLS).save({ n: 1, s: 'ok' });
  o.set('s', 12);
  await rejectsWithCode(o.save(), Parse.Error.INCORRECT_TYPE);
  // Also when the field got its type from an earlier save rather than from the schema.
  const first = await new Parse.Object(CLS).save({ learned: true });
  assert.ok(first.id);
  await rejectsWithCode(
    new Parse.Object(CLS, { learned: 'yes' }).save(),
    Parse.Error.INCORRECT_TYPE,
    /expected Boolean but got String/
  );
  // A pointer to another class than the schema's.
  const other = pointer('_User', 'someUserId');
  await rejectsWithCode(
    new Parse.Object(CLS, { p: other }).save(),
    Parse.Error.INCORRECT_TYPE,
    new RegExp(`expected Pointer<${CLS}> but got Pointer<_User>`)
  );
  // Nothing was stored by the failed saves.
  assert.equal(await new Parse.Query(CLS).equalTo('n', 'not a number').count(), 0);
  assert.equal((await new Parse.Query(CLS).get(o.id)).get('s'), 'ok');
});

// Parse Server 7.3 answers a write to an invalid class name under /classes with 107 "schema class name does not
// revalidate" (the 103 from the class-name check is replaced when the class cannot be added). parselambda answers
// 103 INVALID_CLASS_NAME there, as its data API issue asks (a documented difference). POST /schemas with an invalid
// name gives 103 on both (see schema.test.js).
const ORACLE = process.env.E2E_ORACLE_FERRETDB === '1';
test('an invalid class name: object writes give 103 (Parse Server: 107), schema creation gives 103', async () => {
  const code = ORACLE ? Parse.Error.INVALID_JSON : Parse.Error.INVALID_CLASS_NAME;
  const msg = ORACLE ? /schema class name does not revalidate/ : /Invalid classname: 1BadName/;
  await rejectsWithCode(new Parse.Object('1BadName').save({ a: 1 }, MASTER), code, msg);
  await rejectsWithCode(new Parse.Object('Bad-Name').save({ a: 1 }, MASTER), code);
  const res = await rest('POST', '/classes/Bad$Name', { body: { a: 1 }, master: true });
  assert.equal(res.status, 400);
  assert.equal(res.body.code, code);
  await rejectsWithCode(new Parse.Schema('Bad-Name').save(), Parse.Error.INVALID_CLASS_NAME, /Invalid classname: Bad-Name/);
  const schemaRes = await rest('POST', '/schemas', { body: { className: '1BadName' }, master: true });
  assert.equal(schemaRes.status, 400);
  assert.equal(schemaRes.body.code, 103);
});

test('an invalid field name gives 105 INVALID_KEY_NAME (REST)', async () => {
  const res = await rest('POST', `/classes/${CLS}`, { body: { 'bad-key': 1 } });
  assert.equal(res.status, 400);
  assert.equal(res.body.code, 105);
});

test('a nested key with "$" or "." gives 121 INVALID_NESTED_KEY (REST)', async () => {
  const dollar = await rest('POST', `/classes/${CLS}`, { body: { obj: { $bad: 1 } } });
  assert.equal(dollar.status, 400);
  assert.equal(dollar.body.code, 121);
  const dot = await rest('POST', `/classes/${CLS}`, { body: { obj: { 'a.b': 1 } } });
  assert.equal(dot.status, 400);
  assert.equal(dot.body.code, 121);
});

test('an unknown query operator gives 107 "bad constraint"', async () => {
  const q = new Parse.Query(CLS);
  q._addCondition('n', '$bogus', 1);
  await rejectsWithCode(q.find(), Parse.Error.INVALID_JSON, /bad constraint: \$bogus/);
});

test('an unknown key in a find request gives 102 INVALID_QUERY (REST)', async () => {
  const res = await rest('GET', `/classes/${CLS}`, { query: { bogusOption: 1 } });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { code: 102, error: 'Invalid parameter for query: bogusOption' });
});

// The target server runs with allowClientClassCreation=false (Parse's default); the oracle's start.sh turns it on.
// Set E2E_NO_CLIENT_CLASS_CREATION=1 when the target has it off.
test(
  'a client cannot create a class (allowClientClassCreation=false)',
  { skip: process.env.E2E_NO_CLIENT_CLASS_CREATION === '1' ? false : 'set E2E_NO_CLIENT_CLASS_CREATION=1 to run' },
  async () => {
    const cls = className('NoClientCreate');
    await rejectsWithCode(
      new Parse.Object(cls).save({ a: 1 }),
      Parse.Error.OPERATION_FORBIDDEN,
      /This user is not allowed to access non-existent class/
    );
    // Reads of a missing class are refused the same way.
    await rejectsWithCode(new Parse.Query(cls).find(), Parse.Error.OPERATION_FORBIDDEN);
    // The master key may create it; then clients may use it.
    await new Parse.Object(cls).save({ a: 1 }, MASTER);
    try {
      const o = await new Parse.Object(cls).save({ a: 2, added: 'by client' });
      assert.equal((await new Parse.Query(cls).get(o.id)).get('added'), 'by client');
      assert.equal(await new Parse.Query(cls).count(), 2);
    } finally {
      await dropClass(cls);
    }
  }
);

test('ACL without public access: invisible to clients, visible to the master key', async () => {
  const o = new Parse.Object(CLS, { s: 'secret' });
  o.setACL(new Parse.ACL()); // no public read, no public write
  await o.save(null, MASTER);

  await rejectsWithCode(new Parse.Query(CLS).get(o.id), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, o.id).fetch(), Parse.Error.OBJECT_NOT_FOUND);
  assert.equal(await new Parse.Query(CLS).equalTo('s', 'secret').count(), 0);
  assert.deepEqual(await new Parse.Query(CLS).equalTo('s', 'secret').find(), []);
  const upd = pointer(CLS, o.id);
  upd.set('s', 'hacked');
  await rejectsWithCode(upd.save(), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, o.id).destroy(), Parse.Error.OBJECT_NOT_FOUND);

  const m = await new Parse.Query(CLS).get(o.id, MASTER);
  assert.equal(m.get('s'), 'secret');
  assert.equal(m.getACL().getPublicReadAccess(), false);
  assert.equal(m.getACL().getPublicWriteAccess(), false);
  assert.equal(await new Parse.Query(CLS).equalTo('s', 'secret').count(MASTER), 1);

  const raw = await rest('GET', `/classes/${CLS}/${o.id}`, { master: true });
  assert.deepEqual(raw.body.ACL, {});
});

test('ACL with public read but no public write: clients read, cannot write', async () => {
  const acl = new Parse.ACL();
  acl.setPublicReadAccess(true);
  const o = new Parse.Object(CLS, { s: 'read only' });
  o.setACL(acl);
  await o.save();

  const r = await new Parse.Query(CLS).get(o.id);
  assert.equal(r.get('s'), 'read only');
  assert.equal(r.getACL().getPublicReadAccess(), true);
  assert.equal(r.getACL().getPublicWriteAccess(), false);
  const raw = await rest('GET', `/classes/${CLS}/${o.id}`);
  assert.deepEqual(raw.body.ACL, { '*': { read: true } });

  r.set('s', 'changed');
  await rejectsWithCode(r.save(), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(r.destroy(), Parse.Error.OBJECT_NOT_FOUND);

  // The master key ignores the ACL.
  r.set('s', 'changed by master');
  await r.save(null, MASTER);
  assert.equal((await new Parse.Query(CLS).get(o.id)).get('s'), 'changed by master');
  await r.destroy(MASTER);
  await rejectsWithCode(new Parse.Query(CLS).get(o.id, MASTER), Parse.Error.OBJECT_NOT_FOUND);
});
