// Batches: Parse.Object.saveAll / destroyAll over more than 20 objects (the SDK sends chunks of 20 to /batch),
// the default query limit, and raw /batch requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, className, createClass, dropClass, rejectsWithCode, rest, MOUNT_PATH, ISO_RE, OBJECT_ID_RE } from './lib.js';

const CLS = className('Batch');
const N = 105;

before(async () => {
  await createClass(CLS);
});

after(async () => {
  await dropClass(CLS);
});

let objects;

test(`saveAll of ${N} objects`, async () => {
  objects = Array.from({ length: N }, (_, i) => new Parse.Object(CLS, { i, even: i % 2 === 0 }));
  const saved = await Parse.Object.saveAll(objects);
  assert.equal(saved.length, N);
  const ids = new Set(saved.map(o => o.id));
  assert.equal(ids.size, N);
  for (const o of saved) {
    assert.match(o.id, OBJECT_ID_RE);
    assert.ok(o.createdAt instanceof Date);
  }
  assert.equal(await new Parse.Query(CLS).count(), N);
  assert.equal(await new Parse.Query(CLS).equalTo('even', true).count(), Math.ceil(N / 2));
});

test('a find without limit returns 100; a larger limit returns all', async () => {
  assert.equal((await new Parse.Query(CLS).find()).length, 100);
  const all = await new Parse.Query(CLS).limit(1000).ascending('i').find();
  assert.equal(all.length, N);
  assert.deepEqual(
    all.map(o => o.get('i')),
    Array.from({ length: N }, (_, i) => i)
  );
  const tail = await new Parse.Query(CLS).ascending('i').skip(100).find();
  assert.deepEqual(
    tail.map(o => o.get('i')),
    [100, 101, 102, 103, 104]
  );
});

test('saveAll of updates', async () => {
  for (const o of objects) o.increment('i', 1000);
  await Parse.Object.saveAll(objects);
  assert.equal(await new Parse.Query(CLS).greaterThanOrEqualTo('i', 1000).count(), N);
});

test('destroyAll deletes every object', async () => {
  await Parse.Object.destroyAll(objects);
  assert.equal(await new Parse.Query(CLS).count(), 0);
});

test('destroyAll of objects already gone reports an aggregate error with 101 per object', async () => {
  const err = await rejectsWithCode(Parse.Object.destroyAll(objects.slice(0, 3)), Parse.Error.AGGREGATE_ERROR);
  assert.equal(err.errors.length, 3);
  for (const e of err.errors) {
    assert.equal(e.code, Parse.Error.OBJECT_NOT_FOUND);
  }
  assert.deepEqual(
    err.errors.map(e => e.object.id).sort(),
    objects
      .slice(0, 3)
      .map(o => o.id)
      .sort()
  );
});

test('raw /batch: create, update, delete and a failing item in one request', async () => {
  const a = await new Parse.Object(CLS).save({ name: 'a', n: 1 });
  const b = await new Parse.Object(CLS).save({ name: 'b' });
  const res = await rest('POST', '/batch', {
    body: {
      requests: [
        { method: 'POST', path: `${MOUNT_PATH}/classes/${CLS}`, body: { name: 'c' } },
        { method: 'PUT', path: `${MOUNT_PATH}/classes/${CLS}/${a.id}`, body: { n: { __op: 'Increment', amount: 2 } } },
        { method: 'DELETE', path: `${MOUNT_PATH}/classes/${CLS}/${b.id}` },
        { method: 'PUT', path: `${MOUNT_PATH}/classes/${CLS}/nOsUcHoBjE`, body: { n: 1 } },
      ],
    },
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 4);
  const [created, updated, deleted, failed] = res.body;
  assert.match(created.success.objectId, OBJECT_ID_RE);
  assert.match(created.success.createdAt, ISO_RE);
  assert.match(updated.success.updatedAt, ISO_RE);
  assert.equal(updated.success.n, 3);
  assert.deepEqual(deleted, { success: {} });
  assert.deepEqual(failed, { error: { code: 101, error: 'Object not found.' } });

  const c = await new Parse.Query(CLS).get(created.success.objectId);
  assert.equal(c.get('name'), 'c');
  assert.equal((await new Parse.Query(CLS).get(a.id)).get('n'), 3);
  await rejectsWithCode(new Parse.Query(CLS).get(b.id), Parse.Error.OBJECT_NOT_FOUND);
});
