// Every supported field type survives a save and a read (SDK and raw REST), and the schema records its type.
// Polygon fields are covered by geo.test.js; not covered on purpose here: File (files come later).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MASTER, className, createClass, dropClass, rest, ISO_RE, OBJECT_ID_RE, pointer } from './lib.js';

const TYPES = className('Types');
const TARGET = className('TypesTarget');

const WHEN = new Date('2015-03-01T12:34:56.789Z');
const NESTED_WHEN = new Date('2001-02-03T04:05:06.007Z');
const BYTES = { __type: 'Bytes', base64: 'aGVsbG8gd29ybGQ=' };

let target;
let saved;

before(async () => {
  // Classes are created with the master key; everything after that is done as a plain client.
  await createClass(TYPES);
  await createClass(TARGET, s => s.addString('label'));
  target = await new Parse.Object(TARGET).save({ label: 'the target' });

  const obj = new Parse.Object(TYPES);
  obj.set({
    str: 'hello ünïcødé ✓',
    int: 42,
    float: 3.25,
    negative: -17,
    yes: true,
    no: false,
    nothing: null,
    when: WHEN,
    nested: { a: 1, b: { c: 'deep' }, d: NESTED_WHEN, list: [1, 2] },
    arr: [1, 'two', { three: 3 }, true, null],
    ptr: target,
    geo: new Parse.GeoPoint(40.5, -30.25),
    blob: BYTES,
  });
  saved = await obj.save();
});

after(async () => {
  await dropClass(TYPES);
  await dropClass(TARGET);
});

test('save returns an objectId and timestamps', () => {
  assert.match(saved.id, OBJECT_ID_RE);
  assert.ok(saved.createdAt instanceof Date);
  assert.ok(saved.updatedAt instanceof Date);
  assert.equal(saved.createdAt.getTime(), saved.updatedAt.getTime());
});

test('every type round-trips through query.get', async () => {
  const o = await new Parse.Query(TYPES).get(saved.id);
  assert.equal(o.get('str'), 'hello ünïcødé ✓');
  assert.equal(o.get('int'), 42);
  assert.equal(o.get('float'), 3.25);
  assert.equal(o.get('negative'), -17);
  assert.equal(o.get('yes'), true);
  assert.equal(o.get('no'), false);
  assert.equal(o.get('nothing'), null);
  assert.ok(o.get('when') instanceof Date);
  assert.equal(o.get('when').toISOString(), WHEN.toISOString());

  const nested = o.get('nested');
  assert.equal(nested.a, 1);
  assert.deepEqual(nested.b, { c: 'deep' });
  assert.deepEqual(nested.list, [1, 2]);
  assert.ok(nested.d instanceof Date, 'a Date inside an object comes back as a Date');
  assert.equal(nested.d.toISOString(), NESTED_WHEN.toISOString());

  assert.deepEqual(o.get('arr'), [1, 'two', { three: 3 }, true, null]);

  const ptr = o.get('ptr');
  assert.ok(ptr instanceof Parse.Object);
  assert.equal(ptr.className, TARGET);
  assert.equal(ptr.id, target.id);

  const geo = o.get('geo');
  assert.ok(geo instanceof Parse.GeoPoint);
  assert.equal(geo.latitude, 40.5);
  assert.equal(geo.longitude, -30.25);

  assert.deepEqual(o.get('blob'), BYTES);
  assert.equal(o.createdAt.toISOString(), saved.createdAt.toISOString());
});

test('fetch() of an object by id returns the same data', async () => {
  const o = pointer(TYPES, saved.id);
  await o.fetch();
  assert.equal(o.get('str'), 'hello ünïcødé ✓');
  assert.equal(o.get('float'), 3.25);
  assert.equal(o.get('ptr').id, target.id);
  assert.equal(o.get('nested').d.toISOString(), NESTED_WHEN.toISOString());
});

test('the REST encoding of each type', async () => {
  const res = await rest('GET', `/classes/${TYPES}/${saved.id}`);
  assert.equal(res.status, 200);
  const b = res.body;
  assert.equal(b.objectId, saved.id);
  assert.match(b.createdAt, ISO_RE);
  assert.match(b.updatedAt, ISO_RE);
  assert.equal(b.int, 42);
  assert.equal(b.float, 3.25);
  assert.equal(b.yes, true);
  assert.equal(b.nothing, null);
  assert.deepEqual(b.when, { __type: 'Date', iso: '2015-03-01T12:34:56.789Z' });
  assert.deepEqual(b.nested, {
    a: 1,
    b: { c: 'deep' },
    d: { __type: 'Date', iso: '2001-02-03T04:05:06.007Z' },
    list: [1, 2],
  });
  assert.deepEqual(b.arr, [1, 'two', { three: 3 }, true, null]);
  assert.deepEqual(b.ptr, { __type: 'Pointer', className: TARGET, objectId: target.id });
  assert.deepEqual(b.geo, { __type: 'GeoPoint', latitude: 40.5, longitude: -30.25 });
  assert.deepEqual(b.blob, BYTES);
});

test('the schema records the type of every field', async () => {
  const schema = await new Parse.Schema(TYPES).get();
  const f = schema.fields;
  assert.deepEqual(f.str, { type: 'String' });
  assert.deepEqual(f.int, { type: 'Number' });
  assert.deepEqual(f.float, { type: 'Number' });
  assert.deepEqual(f.yes, { type: 'Boolean' });
  assert.deepEqual(f.when, { type: 'Date' });
  assert.deepEqual(f.nested, { type: 'Object' });
  assert.deepEqual(f.arr, { type: 'Array' });
  assert.deepEqual(f.ptr, { type: 'Pointer', targetClass: TARGET });
  assert.deepEqual(f.geo, { type: 'GeoPoint' });
  assert.deepEqual(f.blob, { type: 'Bytes' });
  assert.equal(f.nothing, undefined, 'a null value adds no field to the schema');
  assert.deepEqual(f.objectId, { type: 'String' });
  assert.deepEqual(f.createdAt, { type: 'Date' });
  assert.deepEqual(f.updatedAt, { type: 'Date' });
  assert.deepEqual(f.ACL, { type: 'ACL' });
});

test('relation: add, query, remove, reverse lookup', async () => {
  const members = [];
  for (const label of ['m1', 'm2', 'm3']) {
    members.push(new Parse.Object(TARGET, { label }));
  }
  await Parse.Object.saveAll(members);

  const owner = new Parse.Object(TYPES, { str: 'relation owner' });
  owner.relation('members').add(members);
  await owner.save();

  const schema = await new Parse.Schema(TYPES).get();
  assert.deepEqual(schema.fields.members, { type: 'Relation', targetClass: TARGET });

  // The relation is not stored on the object; reads carry a Relation stub.
  const raw = await rest('GET', `/classes/${TYPES}/${owner.id}`);
  assert.deepEqual(raw.body.members, { __type: 'Relation', className: TARGET });

  const fresh = await new Parse.Query(TYPES).get(owner.id);
  let related = await fresh.relation('members').query().ascending('label').find();
  assert.deepEqual(
    related.map(o => o.get('label')),
    ['m1', 'm2', 'm3']
  );
  assert.equal(await fresh.relation('members').query().count(), 3);

  // A constraint on the relation query ($relatedTo together with a where clause).
  const q = fresh.relation('members').query();
  q.equalTo('label', 'm2');
  related = await q.find();
  assert.deepEqual(
    related.map(o => o.id),
    [members[1].id]
  );

  // Reverse: owners whose relation contains a given object.
  const owners = await new Parse.Query(TYPES).equalTo('members', members[0]).find();
  assert.deepEqual(
    owners.map(o => o.id),
    [owner.id]
  );

  fresh.relation('members').remove(members[1]);
  await fresh.save();
  related = await fresh.relation('members').query().ascending('label').find();
  assert.deepEqual(
    related.map(o => o.get('label')),
    ['m1', 'm3']
  );
  assert.deepEqual(await new Parse.Query(TYPES).equalTo('members', members[1]).find(), []);
});

test('an object saved with the master key in a new class round-trips', async () => {
  const cls = className('TypesMaster');
  try {
    const o = await new Parse.Object(cls).save({ n: 1.5, s: 'x', d: WHEN }, MASTER);
    const got = await new Parse.Query(cls).get(o.id);
    assert.equal(got.get('n'), 1.5);
    assert.equal(got.get('s'), 'x');
    assert.equal(got.get('d').toISOString(), WHEN.toISOString());
  } finally {
    await dropClass(cls);
  }
});
