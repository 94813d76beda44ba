// Parse.Schema (always sent with the master key by the SDK): create, get, all, addField, deleteField, update,
// purge, delete of an empty class, delete of a non-empty class (255).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, className, dropClass, rejectsWithCode, rest } from './lib.js';

const CLS = className('Schema');
const created = [CLS];

after(async () => {
  await Promise.all(created.map(dropClass));
});

const DEFAULT_CLP = {
  find: { '*': true },
  count: { '*': true },
  get: { '*': true },
  create: { '*': true },
  update: { '*': true },
  delete: { '*': true },
  addField: { '*': true },
  protectedFields: { '*': [] },
};

test('create a class with fields of every type', async () => {
  const schema = new Parse.Schema(CLS)
    .addString('s')
    .addNumber('n')
    .addBoolean('b')
    .addDate('d')
    .addArray('a')
    .addObject('o')
    .addGeoPoint('g')
    .addBytes('by')
    .addPointer('p', '_User')
    .addRelation('r', '_User')
    .addString('withDefault', { defaultValue: 'dflt' })
    .addNumber('needed', { required: true, defaultValue: 7 });
  const res = await schema.save();
  assert.equal(res.className, CLS);
  assert.deepEqual(res.fields, {
    objectId: { type: 'String' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    ACL: { type: 'ACL' },
    s: { type: 'String' },
    n: { type: 'Number' },
    b: { type: 'Boolean' },
    d: { type: 'Date' },
    a: { type: 'Array' },
    o: { type: 'Object' },
    g: { type: 'GeoPoint' },
    by: { type: 'Bytes' },
    p: { type: 'Pointer', targetClass: '_User' },
    r: { type: 'Relation', targetClass: '_User' },
    withDefault: { type: 'String', defaultValue: 'dflt' },
    needed: { type: 'Number', required: true, defaultValue: 7 },
  });
  assert.deepEqual(res.classLevelPermissions, DEFAULT_CLP);
});

test('get returns the stored schema; all lists it', async () => {
  const got = await new Parse.Schema(CLS).get();
  assert.equal(got.className, CLS);
  assert.deepEqual(got.fields.p, { type: 'Pointer', targetClass: '_User' });
  assert.deepEqual(got.fields.r, { type: 'Relation', targetClass: '_User' });
  assert.deepEqual(got.classLevelPermissions, DEFAULT_CLP);
  const all = await Parse.Schema.all();
  const mine = all.find(s => s.className === CLS);
  assert.ok(mine, 'Parse.Schema.all() lists the class');
  assert.deepEqual(mine.fields.s, { type: 'String' });
  assert.ok(all.some(s => s.className === '_User'));
});

test('creating an existing class gives 103', async () => {
  await rejectsWithCode(new Parse.Schema(CLS).save(), Parse.Error.INVALID_CLASS_NAME, /already exists/);
});

test('default values are applied on create', async () => {
  const o = await new Parse.Object(CLS).save({ s: 'x' });
  const r = await new Parse.Query(CLS).get(o.id);
  assert.equal(r.get('withDefault'), 'dflt');
  assert.equal(r.get('needed'), 7);
  await o.destroy();
});

test('update adds a field; adding an existing field gives 255', async () => {
  const schema = new Parse.Schema(CLS);
  schema.addString('extra').addNumber('extraNum');
  const res = await schema.update();
  assert.deepEqual(res.fields.extra, { type: 'String' });
  assert.deepEqual(res.fields.extraNum, { type: 'Number' });
  assert.deepEqual((await new Parse.Schema(CLS).get()).fields.extra, { type: 'String' });

  const again = new Parse.Schema(CLS);
  again.addNumber('extra');
  await rejectsWithCode(again.update(), Parse.Error.INVALID_SCHEMA_OPERATION, /exists/);
});

test('update with addField() of a given type and deleteField', async () => {
  const schema = new Parse.Schema(CLS);
  schema.addField('viaAddField', 'Date');
  await schema.update();
  assert.deepEqual((await new Parse.Schema(CLS).get()).fields.viaAddField, { type: 'Date' });

  const del = new Parse.Schema(CLS);
  del.deleteField('extra');
  del.deleteField('viaAddField');
  const res = await del.update();
  assert.equal(res.fields.extra, undefined);
  assert.equal(res.fields.viaAddField, undefined);
  const got = await new Parse.Schema(CLS).get();
  assert.equal(got.fields.extra, undefined);
  assert.deepEqual(got.fields.extraNum, { type: 'Number' });

  const missing = new Parse.Schema(CLS);
  missing.deleteField('neverThere');
  await rejectsWithCode(missing.update(), Parse.Error.INVALID_SCHEMA_OPERATION, /does not exist/);
});

test('deleting a field removes its values from the objects', async () => {
  const schema = new Parse.Schema(CLS);
  schema.addString('temp');
  await schema.update();
  const o = await new Parse.Object(CLS).save({ s: 'keep', temp: 'bye' });
  const del = new Parse.Schema(CLS);
  del.deleteField('temp');
  await del.update();
  const r = await new Parse.Query(CLS).get(o.id);
  assert.equal(r.get('s'), 'keep');
  assert.equal(r.has('temp'), false);
  await o.destroy();
});

test('delete of a non-empty class fails with 255; purge empties it and keeps the schema', async () => {
  await Parse.Object.saveAll([new Parse.Object(CLS, { s: 'one' }), new Parse.Object(CLS, { s: 'two' })]);
  const err = await rejectsWithCode(new Parse.Schema(CLS).delete(), Parse.Error.INVALID_SCHEMA_OPERATION);
  assert.match(err.message, /not empty/);
  assert.match(err.message, /contains 2 objects/);

  await new Parse.Schema(CLS).purge();
  assert.equal(await new Parse.Query(CLS).count(), 0);
  const still = await new Parse.Schema(CLS).get();
  assert.equal(still.className, CLS);
  assert.deepEqual(still.fields.s, { type: 'String' });
});

test('delete of an empty class; its schema is then gone (103)', async () => {
  await new Parse.Schema(CLS).delete();
  await rejectsWithCode(new Parse.Schema(CLS).get(), Parse.Error.INVALID_CLASS_NAME, /does not exist/);
  const all = await Parse.Schema.all();
  assert.equal(
    all.some(s => s.className === CLS),
    false
  );
});

test('a class name that is not valid gives 103', async () => {
  await rejectsWithCode(new Parse.Schema('1' + CLS).save(), Parse.Error.INVALID_CLASS_NAME, /Invalid classname/);
  await rejectsWithCode(new Parse.Schema('Bad-Name').save(), Parse.Error.INVALID_CLASS_NAME);
});

test('a field name that is not valid gives 105', async () => {
  const cls = className('SchemaBadField');
  created.push(cls);
  const schema = new Parse.Schema(cls);
  schema.addString('bad-field');
  await rejectsWithCode(schema.save(), Parse.Error.INVALID_KEY_NAME);
});

test('the schema endpoints require the master key (REST)', async () => {
  const res = await rest('GET', '/schemas');
  assert.equal(res.status, 403);
  assert.deepEqual(res.body, { error: 'unauthorized: master key is required' });
  const one = await rest('GET', `/schemas/_User`);
  assert.equal(one.status, 403);
  const ok = await rest('GET', '/schemas/_User', { master: true });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.className, '_User');
  assert.deepEqual(ok.body.fields.username, { type: 'String' });
});
