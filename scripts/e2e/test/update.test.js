// Updates: set, unset, increment (also dotted into a nested object), add, addUnique, remove, destroy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, className, createClass, dropClass, rejectsWithCode, rest, ISO_RE, pointer, ferretdbLimitation } from './lib.js';

const CLS = className('Update');

before(async () => {
  await createClass(CLS);
});

after(async () => {
  await dropClass(CLS);
});

/** A fresh copy of the object from the server (a separate instance, so nothing comes from local state). */
async function reload(obj) {
  return new Parse.Query(CLS).get(obj.id);
}

test('set overwrites, and updatedAt moves forward', async () => {
  const o = await new Parse.Object(CLS).save({ title: 'first', n: 1 });
  const created = o.createdAt.getTime();
  o.set('title', 'second');
  await o.save();
  const r = await reload(o);
  assert.equal(r.get('title'), 'second');
  assert.equal(r.get('n'), 1);
  assert.equal(r.createdAt.getTime(), created);
  assert.ok(r.updatedAt.getTime() >= created);
});

test('unset removes the key', async () => {
  const o = await new Parse.Object(CLS).save({ title: 'x', gone: 'soon' });
  o.unset('gone');
  await o.save();
  const r = await reload(o);
  assert.equal(r.has('gone'), false);
  assert.equal(r.get('title'), 'x');
  const raw = await rest('GET', `/classes/${CLS}/${o.id}`);
  assert.equal(Object.hasOwn(raw.body, 'gone'), false);
});

test('increment and decrement', async () => {
  const o = await new Parse.Object(CLS).save({ count: 10 });
  o.increment('count');
  await o.save();
  assert.equal(o.get('count'), 11);
  o.increment('count', 5);
  await o.save();
  o.decrement('count', 3);
  await o.save();
  o.increment('count', 0.5);
  await o.save();
  assert.equal((await reload(o)).get('count'), 13.5);

  // Increment of a missing field starts from 0.
  o.increment('fresh', 7);
  await o.save();
  assert.equal((await reload(o)).get('fresh'), 7);
});

test('increments through a stale copy apply to the stored value', async () => {
  const o = await new Parse.Object(CLS).save({ count: 1 });
  const stale = pointer(CLS, o.id); // knows nothing about count
  stale.increment('count', 2);
  await stale.save();
  o.increment('count', 3);
  await o.save();
  assert.equal((await reload(o)).get('count'), 6);
  assert.equal(o.get('count'), 6, 'the save answer carries the incremented value');
});

// ORACLE NOTE: FerretDB 1.x loses concurrent updates of one document (read-modify-write without a transaction),
// so this test may fail against the Parse Server oracle. Our server must serialize them and pass.
test(
  'concurrent increments of one object are not lost [fails on FerretDB oracle]',
  ferretdbLimitation('concurrent updates of one document lose writes'),
  async () => {
    const o = await new Parse.Object(CLS).save({ hits: 0 });
    const N = 10;
    await Promise.all(
      Array.from({ length: N }, () => {
        const copy = pointer(CLS, o.id);
        copy.increment('hits');
        return copy.save();
      })
    );
    assert.equal((await reload(o)).get('hits'), N);
  }
);

test('dotted-key increment and set inside a nested object', async () => {
  const o = await new Parse.Object(CLS).save({ stats: { wins: 1, losses: 0, name: 'keep' } });
  o.increment('stats.wins');
  await o.save();
  let r = await reload(o);
  assert.deepEqual(r.get('stats'), { wins: 2, losses: 0, name: 'keep' });

  o.increment('stats.wins', 3);
  o.set('stats.losses', 4);
  await o.save();
  r = await reload(o);
  assert.deepEqual(r.get('stats'), { wins: 5, losses: 4, name: 'keep' });

  // A dotted key that does not exist yet is created.
  const raw = await rest('PUT', `/classes/${CLS}/${o.id}`, {
    body: { 'stats.draws': { __op: 'Increment', amount: 2 } },
  });
  assert.equal(raw.status, 200);
  r = await reload(o);
  assert.deepEqual(r.get('stats'), { wins: 5, losses: 4, name: 'keep', draws: 2 });
});

test('add, addAll, addUnique, remove on arrays', async () => {
  const o = await new Parse.Object(CLS).save({ tags: ['a'] });
  o.add('tags', 'b');
  await o.save();
  o.addAll('tags', ['a', 'c']);
  await o.save();
  assert.deepEqual((await reload(o)).get('tags'), ['a', 'b', 'a', 'c']);

  o.addUnique('tags', 'b');
  await o.save();
  o.addAllUnique('tags', ['c', 'd']);
  await o.save();
  assert.deepEqual((await reload(o)).get('tags'), ['a', 'b', 'a', 'c', 'd']);

  o.remove('tags', 'a'); // removes every occurrence
  await o.save();
  assert.deepEqual((await reload(o)).get('tags'), ['b', 'c', 'd']);
  o.removeAll('tags', ['b', 'd', 'zzz']);
  await o.save();
  assert.deepEqual((await reload(o)).get('tags'), ['c']);

  // Add on a missing field creates the array.
  o.add('other', 1);
  await o.save();
  assert.deepEqual((await reload(o)).get('other'), [1]);
});

test('addUnique and remove of pointers compare by objectId', async () => {
  const a = await new Parse.Object(CLS).save({ title: 'pa' });
  const b = await new Parse.Object(CLS).save({ title: 'pb' });
  const o = await new Parse.Object(CLS).save({ refs: [a] });
  o.addUnique('refs', pointer(CLS, a.id));
  o.addUnique('refs', b);
  await o.save();
  let r = await reload(o);
  assert.deepEqual(
    r.get('refs').map(p => p.id),
    [a.id, b.id]
  );
  r.remove('refs', pointer(CLS, a.id));
  await r.save();
  r = await reload(o);
  assert.deepEqual(
    r.get('refs').map(p => p.id),
    [b.id]
  );
});

test('REST update answers updatedAt plus the results of the operators', async () => {
  const o = await new Parse.Object(CLS).save({ count: 1, list: ['x'] });
  const res = await rest('PUT', `/classes/${CLS}/${o.id}`, {
    body: {
      count: { __op: 'Increment', amount: 4 },
      list: { __op: 'Add', objects: ['y'] },
      plain: 'value',
    },
  });
  assert.equal(res.status, 200);
  assert.match(res.body.updatedAt, ISO_RE);
  assert.equal(res.body.count, 5);
  assert.deepEqual(res.body.list, ['x', 'y']);
  assert.equal(Object.hasOwn(res.body, 'plain'), false, 'plain sets are not echoed');
  const del = await rest('PUT', `/classes/${CLS}/${o.id}`, { body: { plain: { __op: 'Delete' } } });
  assert.equal(del.status, 200);
  assert.equal((await reload(o)).has('plain'), false);
});

test('destroy deletes the object', async () => {
  const o = await new Parse.Object(CLS).save({ title: 'doomed' });
  await o.destroy();
  await rejectsWithCode(new Parse.Query(CLS).get(o.id), Parse.Error.OBJECT_NOT_FOUND);
  assert.equal(await new Parse.Query(CLS).equalTo('title', 'doomed').count(), 0);
  // Destroying it again: 101.
  await rejectsWithCode(pointer(CLS, o.id).destroy(), Parse.Error.OBJECT_NOT_FOUND);
});

test('update of a missing object gives 101', async () => {
  const ghost = pointer(CLS, 'nOsUcHoBjE');
  ghost.set('title', 'x');
  await rejectsWithCode(ghost.save(), Parse.Error.OBJECT_NOT_FOUND);
});
