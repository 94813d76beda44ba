// Parse.File with the JS SDK (base64 and byte-array sources, the JSON upload form), read back with fetch;
// raw uploads and deletes with plain fetch; the upload permissions and the extension allow-list.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Parse, APP_ID, MASTER_KEY, SERVER_URL, MASTER, RUN_ID, className, createClass, dropClass, rejectsWithCode } from './lib.js';

const DOC = className('FileDoc');
const STORED_RE = /^[0-9a-f]{32}_/;

after(async () => {
  await dropClass(DOC);
});

async function user(name) {
  const u = new Parse.User();
  u.set('username', `files_${name}_${RUN_ID}_${crypto.randomBytes(3).toString('hex')}`);
  u.set('password', 'pw-files');
  await u.signUp();
  return u;
}

test('Parse.File from base64: saved by a user, read back at its URL', async () => {
  const u = await user('b64');
  const file = new Parse.File('hello.txt', { base64: Buffer.from('hello, parse').toString('base64') }, 'text/plain');
  await file.save({ sessionToken: u.getSessionToken() });
  assert.match(file.name(), STORED_RE);
  assert.ok(file.name().endsWith('_hello.txt'));
  assert.equal(file.url(), `${SERVER_URL}/files/${APP_ID}/${file.name()}`);
  const res = await fetch(file.url());
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  assert.equal(await res.text(), 'hello, parse');
});

test('Parse.File from a byte array, saved in an object field, read back through a query', async () => {
  await createClass(DOC);
  const bytes = [...crypto.randomBytes(300)];
  const file = new Parse.File('blob.bin', bytes);
  await file.save(MASTER);
  const obj = new Parse.Object(DOC);
  obj.set('attachment', file);
  await obj.save(null, MASTER);
  const got = await new Parse.Query(DOC).get(obj.id, MASTER);
  const f = got.get('attachment');
  assert.ok(f instanceof Parse.File);
  assert.equal(f.name(), file.name());
  assert.equal(f.url(), file.url());
  const res = await fetch(f.url());
  assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], bytes);
});

test('a name without an extension gets one from the content type', async () => {
  const file = new Parse.File('picture', { base64: Buffer.from('PNG').toString('base64') }, 'image/png');
  await file.save(MASTER);
  assert.ok(file.name().endsWith('_picture.png'), file.name());
  const res = await fetch(file.url());
  assert.equal(res.headers.get('content-type'), 'image/png');
});

test('uploads: public refused (130), HTML refused for users (130), invalid names (122)', async () => {
  await rejectsWithCode(new Parse.File('pub.txt', { base64: 'eA==' }).save(), 130, /public is disabled/);
  const u = await user('rules');
  const opts = { sessionToken: u.getSessionToken() };
  await rejectsWithCode(new Parse.File('page.html', { base64: 'PGI+' }, 'text/html').save(opts), 130, /extension html is disabled/);
  const res = await fetch(`${SERVER_URL}/files/b$d.txt`, {
    method: 'POST',
    headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY, 'Content-Type': 'text/plain' },
    body: 'x',
  });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { code: 122, error: 'Filename contains invalid characters.' });
});

test('raw upload with fetch (any content type), then delete with the master key', async () => {
  const data = crypto.randomBytes(64 * 1024);
  const res = await fetch(`${SERVER_URL}/files/raw.dat`, {
    method: 'POST',
    headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY, 'Content-Type': 'application/x-custom' },
    body: data,
  });
  assert.equal(res.status, 201);
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(), ['name', 'url']);
  assert.equal(res.headers.get('location'), body.url);
  const down = await fetch(body.url);
  assert.ok(Buffer.from(await down.arrayBuffer()).equals(data));

  const file = Parse.File.fromJSON({ __type: 'File', name: body.name, url: body.url });
  await assert.rejects(file.destroy({ useMasterKey: false })); // a client may not delete files
  assert.equal((await fetch(body.url)).status, 200);
  await file.destroy(); // the SDK deletes with the master key by default
  assert.equal((await fetch(body.url)).status, 404);
  await rejectsWithCode(Parse.File.fromJSON({ __type: 'File', name: body.name, url: body.url }).destroy(), 153);
});
