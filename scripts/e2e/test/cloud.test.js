// Cloud Code with the JS SDK: the worked example of shared/app (function "hello", beforeSave and
// afterSave on ExampleReview, job "exampleStats"). Our server serves it when E2E_CLOUD_EXAMPLE=1 (the
// Go test sets it); elsewhere (e.g. the reference Parse Server, which has no such Cloud Code) the
// tests are skipped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MASTER, RUN_ID, rejectsWithCode, createClass, dropClass, rest } from './lib.js';

const skip = process.env.E2E_CLOUD_EXAMPLE ? false : 'the target serves no example Cloud Code (set E2E_CLOUD_EXAMPLE=1)';

after(async () => {
  if (skip) return;
  for (const c of ['ExampleReview', 'ExampleBook', 'ExampleStats']) await dropClass(c);
});

test('Parse.Cloud.run: result, validation error, unknown function', { skip }, async () => {
  assert.equal(await Parse.Cloud.run('hello', { name: 'Ada' }), 'Hello, Ada!');
  await rejectsWithCode(Parse.Cloud.run('hello', {}), 142, /Please specify data for name/);
  await rejectsWithCode(Parse.Cloud.run('nope', {}), 141, /Invalid function: "nope"/);
});

test('Parse.Cloud.run with a logged-in user', { skip }, async () => {
  const user = new Parse.User();
  user.set('username', `cloud_${RUN_ID}`);
  user.set('password', 'pw');
  await user.signUp();
  const res = await Parse.Cloud.run('hello', { name: 'Bo' }, { sessionToken: user.getSessionToken() });
  assert.equal(res, `Hello, Bo! You are logged in as cloud_${RUN_ID}.`);
  await user.destroy(MASTER);
});

test('triggers: beforeSave validates and changes, afterSave counts', { skip }, async () => {
  await createClass('ExampleReview');
  const book = new Parse.Object('ExampleBook');
  book.set('title', `Dune ${RUN_ID}`);
  await book.save(null, MASTER);
  const bad = new Parse.Object('ExampleReview');
  bad.set({ stars: 9, book });
  await rejectsWithCode(bad.save(), 142, /1 to 5 stars/);
  const good = new Parse.Object('ExampleReview');
  good.set({ stars: 5, book, text: '  loved it  ' });
  await good.save();
  assert.equal(good.get('text'), 'loved it'); // the server's change comes back to the object
  await book.fetch(MASTER);
  assert.equal(book.get('reviewCount'), 1);
});

test('Parse.Cloud.startJob: the status goes to succeeded in _JobStatus', { skip }, async () => {
  const id = await Parse.Cloud.startJob('exampleStats', {});
  assert.match(id, /^[A-Za-z0-9]{10}$/);
  let status;
  for (let i = 0; i < 50; i++) {
    status = await Parse.Cloud.getJobStatus(id);
    if (status.get('status') !== 'running') break;
    await new Promise(r => setTimeout(r, 100));
  }
  assert.equal(status.get('status'), 'succeeded', `message: ${status.get('message')}`);
  assert.equal(status.get('jobName'), 'exampleStats');
  assert.match(status.get('message'), /books, \d+ reviews$/);
  assert.ok(status.get('finishedAt') instanceof Date);
  const data = await Parse.Cloud.getJobsData(MASTER);
  assert.ok(data.jobs.includes('exampleStats'));
  await rejectsWithCode(Parse.Cloud.startJob('nope', {}), 141, /Invalid job/);
  const res = await rest('POST', '/jobs/exampleStats', {});
  assert.equal(res.status, 403);
});
