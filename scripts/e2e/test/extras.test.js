// Parse.Config, Parse.Installation and Parse.Analytics with the JS SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Parse, MASTER, RUN_ID, rejectsWithCode, rest } from './lib.js';

test('Parse.Config.save and get: masterKeyOnly parameters are hidden from clients', async () => {
  const open = `welcome_${RUN_ID}`;
  const secret = `secret_${RUN_ID}`;
  await Parse.Config.save({ [open]: 'hi', [secret]: 42 }, { [secret]: true });
  const client = await Parse.Config.get();
  assert.equal(client.get(open), 'hi');
  assert.equal(client.get(secret), undefined);
  const master = await Parse.Config.get(MASTER);
  assert.equal(master.get(secret), 42);
  // Delete a parameter.
  const res = await rest('PUT', '/config', { master: true, body: { params: { [open]: { __op: 'Delete' }, [secret]: { __op: 'Delete' } } } });
  assert.deepEqual(res.body, { result: true });
  assert.equal((await Parse.Config.get(MASTER)).get(open), undefined);
});

test('Parse.Installation: save, re-save with the same installationId updates it, find needs the master key', async () => {
  const id = crypto.randomUUID();
  const inst = new Parse.Installation();
  inst.set('installationId', id.toUpperCase());
  inst.set('deviceType', 'android');
  inst.set('channels', ['news']);
  await inst.save();
  assert.ok(inst.id);

  const again = new Parse.Installation();
  again.set('installationId', id);
  again.set('deviceType', 'android');
  again.set('badge', 2);
  await again.save();

  const found = await new Parse.Query(Parse.Installation).equalTo('installationId', id).find(MASTER);
  assert.equal(found.length, 1);
  assert.equal(found[0].id, inst.id);
  assert.equal(found[0].get('badge'), 2);
  await rejectsWithCode(new Parse.Query(Parse.Installation).find(), 119, /find operation on the installation collection/);

  const bad = new Parse.Installation();
  bad.set('installationId', crypto.randomUUID());
  await rejectsWithCode(bad.save(), 135, /deviceType must be specified/);
  inst.set('deviceType', 'ios');
  await rejectsWithCode(inst.save(), 136, /deviceType may not be changed/);
  await found[0].destroy(MASTER);
});

test('Parse.Analytics.track and AppOpened answer {}', async () => {
  const res = await Parse.Analytics.track('Search', { priceRange: '1000-1500', source: 'e2e' });
  assert.deepEqual(res, {});
  const opened = await rest('POST', '/events/AppOpened', { body: { at: { __type: 'Date', iso: new Date().toISOString() } } });
  assert.equal(opened.status, 200);
  assert.deepEqual(opened.body, {});
});
