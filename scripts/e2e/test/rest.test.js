// Plain fetch, no SDK: the migration guide's curl example and the REST conventions around it.
//   curl -X POST -H "X-Parse-Application-Id: APP" -H "X-Parse-Master-Key: MASTER" \
//        -H "Content-Type: application/json" -d '{"score":1337,"playerName":"Sean Plott","cheatMode":false}' \
//        http://localhost:1337/parse/classes/GameScore
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { APP_ID, MASTER_KEY, SERVER_URL, className, dropClass, rest, ISO_RE, OBJECT_ID_RE } from './lib.js';

const GAME = { score: 1337, playerName: 'Sean Plott', cheatMode: false };
const UNIQUE = className('GameScore');
const createdInGameScore = [];

after(async () => {
  // The literal GameScore class is shared between runs: remove only what this run created.
  for (const id of createdInGameScore) {
    await rest('DELETE', `/classes/GameScore/${id}`, { master: true });
  }
  await dropClass(UNIQUE);
});

async function curlPost(cls) {
  const res = await fetch(`${SERVER_URL}/classes/${cls}`, {
    method: 'POST',
    headers: {
      'X-Parse-Application-Id': APP_ID,
      'X-Parse-Master-Key': MASTER_KEY,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(GAME),
  });
  return { status: res.status, location: res.headers.get('location'), type: res.headers.get('content-type'), body: await res.json() };
}

test('POST /classes/GameScore with the master key: 201, objectId, createdAt, Location', async () => {
  const res = await curlPost('GameScore');
  assert.equal(res.status, 201);
  assert.match(res.type, /^application\/json/);
  assert.deepEqual(Object.keys(res.body).sort(), ['createdAt', 'objectId']);
  assert.match(res.body.objectId, OBJECT_ID_RE);
  assert.match(res.body.createdAt, ISO_RE);
  createdInGameScore.push(res.body.objectId);
  assert.ok(res.location, 'Location header present');
  assert.ok(
    res.location.endsWith(`/classes/GameScore/${res.body.objectId}`),
    `Location ${res.location} ends with /classes/GameScore/<objectId>`
  );

  const one = await rest('GET', `/classes/GameScore/${res.body.objectId}`, { master: true });
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, {
    objectId: res.body.objectId,
    ...GAME,
    createdAt: res.body.createdAt,
    updatedAt: res.body.createdAt,
  });

  const list = await rest('GET', '/classes/GameScore', { master: true, query: { order: '-createdAt', limit: 1000 } });
  assert.equal(list.status, 200);
  const mine = list.body.results.find(r => r.objectId === res.body.objectId);
  assert.ok(mine, 'GET /classes/GameScore lists the new object');
  assert.equal(mine.score, 1337);
  assert.equal(mine.playerName, 'Sean Plott');
  assert.equal(mine.cheatMode, false);
});

test('GET /classes/<class> lists exactly what was posted (fresh class)', async () => {
  const a = await curlPost(UNIQUE);
  const b = await curlPost(UNIQUE);
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);

  const list = await rest('GET', `/classes/${UNIQUE}`, { master: true });
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys(list.body), ['results']);
  assert.deepEqual(list.body.results.map(r => r.objectId).sort(), [a.body.objectId, b.body.objectId].sort());
  for (const r of list.body.results) {
    assert.equal(r.score, 1337);
    assert.equal(r.playerName, 'Sean Plott');
    assert.equal(r.cheatMode, false);
    assert.match(r.createdAt, ISO_RE);
    assert.match(r.updatedAt, ISO_RE);
  }

  // Query-string where/count/limit.
  const counted = await rest('GET', `/classes/${UNIQUE}`, {
    master: true,
    query: { where: { playerName: 'Sean Plott', score: { $gte: 1000 } }, count: 1, limit: 0 },
  });
  assert.equal(counted.status, 200);
  assert.deepEqual(counted.body, { results: [], count: 2 });

  // Client (non-master) reads work on the existing class.
  const client = await rest('GET', `/classes/${UNIQUE}/${a.body.objectId}`);
  assert.equal(client.status, 200);
  assert.equal(client.body.playerName, 'Sean Plott');

  // PUT then DELETE.
  const put = await rest('PUT', `/classes/${UNIQUE}/${a.body.objectId}`, { body: { score: 1338 } });
  assert.equal(put.status, 200);
  assert.deepEqual(Object.keys(put.body), ['updatedAt']);
  assert.match(put.body.updatedAt, ISO_RE);
  const del = await rest('DELETE', `/classes/${UNIQUE}/${a.body.objectId}`);
  assert.equal(del.status, 200);
  assert.deepEqual(del.body, {});
  const gone = await rest('GET', `/classes/${UNIQUE}/${a.body.objectId}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.body, { code: 101, error: 'Object not found.' });
});

test('a wrong application id gives 403 unauthorized', async () => {
  const res = await fetch(`${SERVER_URL}/classes/${UNIQUE}`, {
    headers: { 'X-Parse-Application-Id': `not-${APP_ID}` },
  });
  assert.equal(res.status, 403);
  assert.deepEqual(await res.json(), { error: 'unauthorized' });
});

test('aggregate without the master key gives 403', async () => {
  const res = await rest('GET', `/aggregate/${UNIQUE}`, { query: { pipeline: [{ $count: 'n' }] } });
  assert.equal(res.status, 403);
  assert.deepEqual(res.body, { error: 'unauthorized: master key is required' });
});

test('the SDK wire form: POST with _method GET and keys in a text/plain body', async () => {
  const res = await fetch(`${SERVER_URL}/classes/${UNIQUE}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({
      _method: 'GET',
      _ApplicationId: APP_ID,
      _MasterKey: MASTER_KEY,
      where: { score: 1337 },
      limit: 10,
    }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.results.length, 1, 'one GameScore is left with score 1337 after the PUT above');
  assert.equal(body.results[0].playerName, 'Sean Plott');
});
