// Idempotent retries (X-Parse-Request-Id): the same id sent twice runs the write once. Our server answers the
// repeat with the first answer (IDEMPOTENCY_REPEAT=replay); Parse Server, and ours with IDEMPOTENCY_REPEAT=error,
// answer 159 Duplicate request. The target must enforce ids on classes/.*, users, functions/.* and batch; set
// E2E_IDEMPOTENCY=replay or E2E_IDEMPOTENCY=error to say how it answers repeats (the tests are skipped otherwise).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Parse, className, createClass, dropClass, rest, MOUNT_PATH, MASTER } from './lib.js';

const MODE = process.env.E2E_IDEMPOTENCY;
const skip = MODE === 'replay' || MODE === 'error' ? false : 'the target enforces no request ids (set E2E_IDEMPOTENCY=replay|error)';
const replay = MODE === 'replay';
const CLS = className('Idem');

before(async () => {
  if (skip) return;
  await createClass(CLS);
});

after(async () => {
  if (skip) return;
  Parse.CoreManager.set('IDEMPOTENCY', false);
  await dropClass(CLS);
});

const newId = () => crypto.randomUUID();
const withId = id => ({ headers: { 'X-Parse-Request-Id': id }, master: true });

/** Checks a repeat: the same answer when replaying, else 159. */
function assertRepeat(first, again) {
  if (replay) {
    assert.equal(again.status, first.status);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('location'), first.headers.get('location'));
  } else {
    assert.equal(again.body.code, 159, JSON.stringify(again.body));
  }
}

test('a retried create (raw REST) stores one object', { skip }, async () => {
  const id = newId();
  const body = { tag: 'create', n: 1 };
  const first = await rest('POST', `/classes/${CLS}`, { body, ...withId(id) });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const again = await rest('POST', `/classes/${CLS}`, { body, ...withId(id) });
  assertRepeat(first, again);
  assert.equal(await new Parse.Query(CLS).equalTo('tag', 'create').count(MASTER), 1);
});

test('a retried Increment (raw REST) is applied once', { skip }, async () => {
  const obj = await new Parse.Object(CLS, { tag: 'inc', n: 10 }).save(null, MASTER);
  const id = newId();
  const body = { n: { __op: 'Increment', amount: 5 } };
  const first = await rest('PUT', `/classes/${CLS}/${obj.id}`, { body, ...withId(id) });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.n, 15);
  const again = await rest('PUT', `/classes/${CLS}/${obj.id}`, { body, ...withId(id) });
  assertRepeat(first, again);
  await obj.fetch(MASTER);
  assert.equal(obj.get('n'), 15);
});

test('a retried batch (raw REST) runs once', { skip }, async () => {
  const obj = await new Parse.Object(CLS, { tag: 'batch-target', n: 0 }).save(null, MASTER);
  const id = newId();
  const body = {
    requests: [
      { method: 'POST', path: `${MOUNT_PATH}/classes/${CLS}`, body: { tag: 'batch' } },
      { method: 'PUT', path: `${MOUNT_PATH}/classes/${CLS}/${obj.id}`, body: { n: { __op: 'Increment', amount: 1 } } },
    ],
  };
  const first = await rest('POST', '/batch', { body, ...withId(id) });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.ok(first.body.every(r => r.success), JSON.stringify(first.body));
  const again = await rest('POST', '/batch', { body, ...withId(id) });
  if (replay) {
    assert.deepEqual(again.body, first.body);
  } else {
    assert.equal(again.status, 400, JSON.stringify(again.body));
  }
  assert.equal(await new Parse.Query(CLS).equalTo('tag', 'batch').count(MASTER), 1);
  await obj.fetch(MASTER);
  assert.equal(obj.get('n'), 1);
});

test('a retry after a failed first request', { skip }, async () => {
  const id = newId();
  const bad = await rest('POST', `/classes/${CLS}`, { body: { tag: 'fail', n: 'not a number' }, ...withId(id) });
  assert.equal(bad.body.code, 111, JSON.stringify(bad.body));
  const retry = await rest('POST', `/classes/${CLS}`, { body: { tag: 'fail', n: 2 }, ...withId(id) });
  if (replay) {
    // A failure frees the id: the corrected retry runs.
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(await new Parse.Query(CLS).equalTo('tag', 'fail').count(MASTER), 1);
  } else {
    // Parse Server keeps the id of a failed request.
    assert.equal(retry.body.code, 159, JSON.stringify(retry.body));
  }
});

test('the SDK with IDEMPOTENCY on: saves, increments, saveAll, signup and queries work', { skip }, async () => {
  Parse.CoreManager.set('IDEMPOTENCY', true);
  try {
    const obj = await new Parse.Object(CLS, { tag: 'sdk', n: 1 }).save(null, MASTER);
    obj.increment('n', 2);
    await obj.save(null, MASTER);
    assert.equal(obj.get('n'), 3);
    const many = await Parse.Object.saveAll(
      Array.from({ length: 3 }, (_, i) => new Parse.Object(CLS, { tag: 'sdk-all', i })),
      MASTER,
    );
    assert.equal(new Set(many.map(o => o.id)).size, 3);
    assert.equal(await new Parse.Query(CLS).equalTo('tag', 'sdk-all').count(MASTER), 3);
    await obj.fetch(MASTER);
    assert.equal(obj.get('n'), 3);
    const user = new Parse.User();
    await user.signUp({ username: `idem_${crypto.randomBytes(4).toString('hex')}`, password: 'pw-1234' });
    assert.ok(user.getSessionToken());
    await Parse.User.logOut();
    await user.destroy(MASTER);
  } finally {
    Parse.CoreManager.set('IDEMPOTENCY', false);
  }
});
