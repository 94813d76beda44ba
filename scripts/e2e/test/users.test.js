// Users, sessions, ACLs between users, and roles: sign-up and its errors, login, logout, /users/me, become and the
// current user, anonymous users, objects private to one user, role-readable objects (direct and inherited roles),
// password changes, and the caller-only view of /sessions.
//
// Every user, role and class is named after the run (RUN_ID) and removed in `after` with the master key.
// Parse.User.current() is used only inside one test (enableUnsafeCurrentUser, disabled again in `finally`): all
// other calls carry an explicit session token, so no call runs as a user by accident.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Parse,
  MASTER,
  RUN_ID,
  className,
  createClass,
  dropClass,
  rejectsWithCode,
  rest,
  pointer,
  ferretdbLimitation,
  ISO_RE,
  OBJECT_ID_RE,
} from './lib.js';

const CLS = className('Users');
const PW = `pw-${RUN_ID}`;
const TOKEN_RE = /^r:[0-9a-f]{32}$/;
const HIDDEN_KEYS = ['password', '_hashed_password', '_session_token', '_rperm', '_wperm', '_acl'];

const userIds = new Set();
const roleIds = new Set();

const uname = s => `e2e_${s}_${RUN_ID}`;
const email = s => `${s}_${RUN_ID}@example.com`;
const as = user => ({ sessionToken: user.getSessionToken() });
const tokenHeader = token => ({ 'X-Parse-Session-Token': token });

/** Signs up a user with the SDK (remembered for clean-up). */
async function signUp(name, attrs = {}) {
  const u = await Parse.User.signUp(uname(name), PW, attrs);
  userIds.add(u.id);
  return u;
}

/** Asserts that a REST answer body carries, at any depth, none of the keys that must never leave the server. */
function assertNoHiddenKeys(body) {
  const walk = v => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        assert.ok(!HIDDEN_KEYS.includes(k), `answer must not contain the key ${k}: ${JSON.stringify(body)}`);
        walk(x);
      }
    }
  };
  walk(body);
}

/** A role created with the master key, publicly readable; users and roles are added to its relations. */
async function makeRole(name, { users = [], roles = [] } = {}) {
  const acl = new Parse.ACL();
  acl.setPublicReadAccess(true);
  const role = new Parse.Role(`${name}_${RUN_ID}`, acl);
  if (users.length) role.getUsers().add(users);
  if (roles.length) role.getRoles().add(roles);
  await role.save(null, MASTER);
  roleIds.add(role.id);
  return role;
}

/** An object of CLS saved as `user` (or the master key when user is null) with the given ACL. */
async function saveWithACL(name, acl, user) {
  const o = new Parse.Object(CLS, { name, run: RUN_ID });
  o.setACL(acl);
  await o.save(null, user ? as(user) : MASTER);
  return o;
}

/** The names of the CLS objects of this run the caller finds. */
async function visible(user) {
  const q = new Parse.Query(CLS).equalTo('run', RUN_ID);
  const opts = user ? as(user) : {};
  const found = await q.find(opts);
  return found.map(o => o.get('name')).sort();
}

before(async () => {
  await createClass(CLS, s => s.addString('name').addString('run').addNumber('n'));
});

after(async () => {
  // Also users a failed expectation may have created (e.g. a sign-up that should have been refused).
  const stray = await new Parse.Query(Parse.User).matches('username', RUN_ID, 'i').limit(1000).find(MASTER);
  for (const u of stray) userIds.add(u.id);
  for (const id of roleIds) {
    await rest('DELETE', `/roles/${id}`, { master: true });
  }
  for (const id of userIds) {
    await rest('DELETE', `/users/${id}`, { master: true });
  }
  await dropClass(CLS);
});

test('sign-up: 201, Location, objectId, createdAt and a revocable session token', async () => {
  const res = await rest('POST', '/users', { body: { username: uname('rest'), password: PW, email: email('rest') } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  userIds.add(res.body.objectId);
  assert.match(res.body.objectId, OBJECT_ID_RE);
  assert.match(res.body.createdAt, ISO_RE);
  assert.match(res.body.sessionToken, TOKEN_RE);
  assert.match(res.headers.get('location'), new RegExp(`/users/${res.body.objectId}$`));
  assertNoHiddenKeys(res.body);

  const u = await signUp('sdk', { email: email('sdk'), score: 7 });
  assert.match(u.id, OBJECT_ID_RE);
  assert.match(u.getSessionToken(), TOKEN_RE);
  assert.equal(u.get('password'), undefined);
  assert.equal(u.get('score'), 7);
  assert.ok(u.createdAt instanceof Date);
  // The new user reads itself; the session belongs to it.
  const me = await Parse.User.me(u.getSessionToken());
  assert.equal(me.id, u.id);
  assert.equal(me.get('username'), uname('sdk'));
  assert.equal(me.get('email'), email('sdk'));
  assert.equal(me.get('score'), 7);
});

test('sign-up errors: 202 username taken, 203 email taken, 125 bad email, 200/201 missing username/password', async () => {
  await signUp('dup', { email: email('dup') });
  await rejectsWithCode(Parse.User.signUp(uname('dup'), PW), Parse.Error.USERNAME_TAKEN, /Account already exists for this username/);
  await rejectsWithCode(
    Parse.User.signUp(uname('dup2'), PW, { email: email('dup') }),
    Parse.Error.EMAIL_TAKEN,
    /Account already exists for this email address/
  );
  await rejectsWithCode(Parse.User.signUp(uname('bademail'), PW, { email: 'not-an-email' }), Parse.Error.INVALID_EMAIL_ADDRESS);

  // The SDK refuses an empty username or password before sending; the server's codes show through REST and a plain save.
  const noUser = await rest('POST', '/users', { body: { password: PW } });
  assert.equal(noUser.status, 400);
  assert.equal(noUser.body.code, Parse.Error.USERNAME_MISSING);
  const noPass = await rest('POST', '/users', { body: { username: uname('nopass') } });
  assert.equal(noPass.status, 400);
  assert.equal(noPass.body.code, Parse.Error.PASSWORD_MISSING);
  await rejectsWithCode(new Parse.User({ password: PW }).save(), Parse.Error.USERNAME_MISSING);
  await rejectsWithCode(new Parse.User({ username: uname('nopass2') }).save(), Parse.Error.PASSWORD_MISSING);

  // Nothing was created by the failed sign-ups.
  for (const n of ['dup2', 'bademail', 'nopass', 'nopass2']) {
    assert.equal(await new Parse.Query(Parse.User).equalTo('username', uname(n)).count(MASTER), 0, n);
  }
  assert.equal(await new Parse.Query(Parse.User).equalTo('email', email('dup')).count(MASTER), 1);
});

test(
  'username and email uniqueness is case-insensitive',
  ferretdbLimitation('the oracle runs with enableCollationCaseComparison, so its checks are case-sensitive'),
  async () => {
    await signUp('Case', { email: email('Case') });
    await rejectsWithCode(Parse.User.signUp(uname('case').toUpperCase(), PW), Parse.Error.USERNAME_TAKEN);
    await rejectsWithCode(Parse.User.signUp(uname('case2'), PW, { email: email('CASE') }), Parse.Error.EMAIL_TAKEN);
  }
);

test('login with username: a new session; wrong password or unknown user gives 101', async () => {
  const u = await signUp('login', { email: email('login') });
  const signupToken = u.getSessionToken();
  const logged = await Parse.User.logIn(uname('login'), PW);
  assert.equal(logged.id, u.id);
  assert.match(logged.getSessionToken(), TOKEN_RE);
  assert.notEqual(logged.getSessionToken(), signupToken);
  assert.equal(logged.get('email'), email('login'));
  assert.equal(logged.get('password'), undefined);

  await rejectsWithCode(Parse.User.logIn(uname('login'), 'wrong'), Parse.Error.OBJECT_NOT_FOUND, /Invalid username\/password/);
  await rejectsWithCode(Parse.User.logIn(uname('nobody'), PW), Parse.Error.OBJECT_NOT_FOUND, /Invalid username\/password/);

  // REST: GET /login with the query string, POST /login with a body (also by email).
  const get = await rest('GET', '/login', { query: { username: uname('login'), password: PW } });
  assert.equal(get.status, 200, JSON.stringify(get.body));
  assert.equal(get.body.objectId, u.id);
  assert.match(get.body.sessionToken, TOKEN_RE);
  assertNoHiddenKeys(get.body);
  const post = await rest('POST', '/login', { body: { email: email('login'), password: PW } });
  assert.equal(post.status, 200, JSON.stringify(post.body));
  assert.equal(post.body.objectId, u.id);
  const wrong = await rest('POST', '/login', { body: { username: uname('login'), password: 'nope' } });
  assert.equal(wrong.status, 404);
  assert.deepEqual(wrong.body, { code: 101, error: 'Invalid username/password.' });
  const noPw = await rest('POST', '/login', { body: { username: uname('login') } });
  assert.equal(noPw.body.code, Parse.Error.PASSWORD_MISSING);
  const noName = await rest('POST', '/login', { body: { password: PW } });
  assert.equal(noName.body.code, Parse.Error.USERNAME_MISSING);
});

test('GET /users/me and Parse.User.me: the user with its token; no or a bad token gives 209', async () => {
  const u = await signUp('me', { email: email('me') });
  const token = u.getSessionToken();
  const me = await Parse.User.me(token);
  assert.equal(me.id, u.id);
  assert.equal(me.getSessionToken(), token);

  const res = await rest('GET', '/users/me', { headers: tokenHeader(token) });
  assert.equal(res.status, 200);
  assert.equal(res.body.objectId, u.id);
  assert.equal(res.body.username, uname('me'));
  assert.equal(res.body.email, email('me'));
  assert.equal(res.body.sessionToken, token);
  assertNoHiddenKeys(res.body);

  const none = await rest('GET', '/users/me');
  assert.equal(none.status, 400);
  assert.equal(none.body.code, Parse.Error.INVALID_SESSION_TOKEN);
  const bad = await rest('GET', '/users/me', { headers: tokenHeader('r:00000000000000000000000000000000') });
  assert.equal(bad.body.code, Parse.Error.INVALID_SESSION_TOKEN);
  await rejectsWithCode(Parse.User.me('r:00000000000000000000000000000000'), Parse.Error.INVALID_SESSION_TOKEN);
});

test('logout revokes the session: the old token then gives 209 everywhere', async () => {
  const u = await signUp('logout');
  const token = u.getSessionToken();
  await Parse.User.logOut({ sessionToken: token });
  await rejectsWithCode(Parse.User.me(token), Parse.Error.INVALID_SESSION_TOKEN, /Invalid session token/);
  await rejectsWithCode(new Parse.Query(CLS).find({ sessionToken: token }), Parse.Error.INVALID_SESSION_TOKEN);
  await rejectsWithCode(new Parse.Object(CLS, { name: 'x' }).save(null, { sessionToken: token }), Parse.Error.INVALID_SESSION_TOKEN);
  const res = await rest('GET', '/users/me', { headers: tokenHeader(token) });
  assert.equal(res.body.code, Parse.Error.INVALID_SESSION_TOKEN);
  const again = await rest('POST', '/logout', { headers: tokenHeader(token) });
  assert.equal(again.body.code, Parse.Error.INVALID_SESSION_TOKEN);
  // Logging in again opens a new, working session.
  const back = await Parse.User.logIn(uname('logout'), PW);
  assert.equal((await Parse.User.me(back.getSessionToken())).id, u.id);
});

test('become, current user and Parse.Session.current', async () => {
  const u = await signUp('become');
  // A login from another device (installation) so the user has two sessions.
  const other = await rest('POST', '/login', {
    body: { username: uname('become'), password: PW },
    headers: { 'X-Parse-Installation-Id': `other-${RUN_ID}` },
  });
  assert.equal(other.status, 200);
  const token = other.body.sessionToken;
  Parse.User.enableUnsafeCurrentUser();
  try {
    assert.equal(Parse.User.current(), null);
    const b = await Parse.User.become(token);
    assert.equal(b.id, u.id);
    assert.equal(Parse.User.current().id, u.id);
    assert.equal(Parse.User.current().getSessionToken(), token);
    assert.equal(Parse.User.current().get('username'), uname('become'));
    assert.equal((await Parse.User.currentAsync()).id, u.id);

    const s = await Parse.Session.current();
    assert.equal(s.getSessionToken(), token);
    assert.equal(s.get('user').id, u.id);
    assert.equal(s.get('installationId'), `other-${RUN_ID}`);
    assert.deepEqual(s.get('createdWith'), { action: 'login', authProvider: 'password' });
    assert.ok(s.get('expiresAt') instanceof Date);
    assert.equal(Parse.Session.isCurrentSessionRevocable(), true);

    // Requests without options now run as the current user.
    const mine = new Parse.Object(CLS, { name: 'current', run: RUN_ID });
    mine.setACL(new Parse.ACL(Parse.User.current()));
    await mine.save();
    assert.equal((await new Parse.Query(CLS).get(mine.id)).get('name'), 'current');

    await Parse.User.logOut();
    assert.equal(Parse.User.current(), null);
    await rejectsWithCode(Parse.User.me(token), Parse.Error.INVALID_SESSION_TOKEN);
    await rejectsWithCode(Parse.User.become(token), Parse.Error.INVALID_SESSION_TOKEN);
    // The sign-up session (another installation) is untouched.
    assert.equal((await Parse.User.me(u.getSessionToken())).id, u.id);
    await mine.destroy(MASTER);
  } finally {
    Parse.User.disableUnsafeCurrentUser();
  }
});

test('anonymous users: AnonymousUtils.logIn, and the same authData logs the same user in again', async () => {
  const anon = await Parse.AnonymousUtils.logIn();
  userIds.add(anon.id);
  assert.match(anon.id, OBJECT_ID_RE);
  assert.match(anon.getSessionToken(), TOKEN_RE);
  assert.ok(Parse.AnonymousUtils.isLinked(anon));
  const authData = anon.get('authData');
  assert.ok(authData && authData.anonymous && authData.anonymous.id, JSON.stringify(authData));
  assert.equal(typeof anon.get('username'), 'string');

  const me = await Parse.User.me(anon.getSessionToken());
  assert.equal(me.id, anon.id);
  assert.deepEqual(me.get('authData'), { anonymous: { id: authData.anonymous.id } });

  const again = await Parse.User.logInWith('anonymous', { authData: { id: authData.anonymous.id } });
  assert.equal(again.id, anon.id);
  assert.match(again.getSessionToken(), TOKEN_RE);

  // REST: a new id signs up (201), the same id logs in (200, same user, a new token).
  const id = `anon-${RUN_ID}-${Date.now()}`;
  const first = await rest('POST', '/users', { body: { authData: { anonymous: { id } } } });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  userIds.add(first.body.objectId);
  assert.match(first.body.sessionToken, TOKEN_RE);
  assert.equal(typeof first.body.username, 'string');
  const second = await rest('POST', '/users', { body: { authData: { anonymous: { id } } } });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.equal(second.body.objectId, first.body.objectId);
  assert.match(second.body.sessionToken, TOKEN_RE);
  assert.notEqual(second.body.sessionToken, first.body.sessionToken);
  assert.deepEqual(second.body.authData, { anonymous: { id } });
  assertNoHiddenKeys(second.body);
  const sess = await rest('GET', '/sessions/me', { headers: tokenHeader(second.body.sessionToken) });
  assert.deepEqual(sess.body.createdWith, { action: 'login', authProvider: 'anonymous' });
});

test('ACLs between two users: a private object is invisible to and unchangeable by the other user', async () => {
  const a = await signUp('aclA');
  const b = await signUp('aclB');
  const priv = await saveWithACL('private', new Parse.ACL(a), a);
  const pubACL = new Parse.ACL(a);
  pubACL.setPublicReadAccess(true);
  const pub = await saveWithACL('publicRead', pubACL, a);

  // A sees both; B and an anonymous caller only the public-read one.
  assert.deepEqual(await visible(a), ['private', 'publicRead']);
  assert.deepEqual(await visible(b), ['publicRead']);
  assert.deepEqual(await visible(null), ['publicRead']);
  assert.equal(await new Parse.Query(CLS).equalTo('run', RUN_ID).count(as(a)), 2);
  assert.equal(await new Parse.Query(CLS).equalTo('run', RUN_ID).count(as(b)), 1);
  assert.equal(await new Parse.Query(CLS).equalTo('name', 'private').count(as(b)), 0);

  // get
  assert.equal((await new Parse.Query(CLS).get(priv.id, as(a))).get('name'), 'private');
  await rejectsWithCode(new Parse.Query(CLS).get(priv.id, as(b)), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(new Parse.Query(CLS).get(priv.id), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, priv.id).fetch(as(b)), Parse.Error.OBJECT_NOT_FOUND);
  assert.equal((await new Parse.Query(CLS).get(pub.id, as(b))).get('name'), 'publicRead');
  const raw = await rest('GET', `/classes/${CLS}/${priv.id}`, { headers: tokenHeader(b.getSessionToken()) });
  assert.equal(raw.status, 404);
  assert.deepEqual(raw.body, { code: 101, error: 'Object not found.' });

  // B can change neither object; nothing changed.
  await rejectsWithCode(pointer(CLS, priv.id).save({ n: 1 }, as(b)), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, pub.id).save({ n: 1 }, as(b)), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, pub.id).save({ n: 1 }), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, priv.id).destroy(as(b)), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, pub.id).destroy(as(b)), Parse.Error.OBJECT_NOT_FOUND);
  // B cannot take over the object by rewriting its ACL either.
  const takeover = pointer(CLS, priv.id);
  takeover.setACL(new Parse.ACL(b));
  await rejectsWithCode(takeover.save(null, as(b)), Parse.Error.OBJECT_NOT_FOUND);
  const check = await new Parse.Query(CLS).get(priv.id, MASTER);
  assert.equal(check.get('n'), undefined);
  assert.equal(check.getACL().getReadAccess(a.id), true);
  assert.equal(check.getACL().getReadAccess(b.id), false);
  assert.equal((await new Parse.Query(CLS).get(pub.id, MASTER)).get('n'), undefined);

  // A changes and deletes its objects.
  await pointer(CLS, priv.id).save({ n: 2 }, as(a));
  await pointer(CLS, pub.id).save({ n: 3 }, as(a));
  assert.equal((await new Parse.Query(CLS).get(priv.id, as(a))).get('n'), 2);
  assert.equal((await new Parse.Query(CLS).get(pub.id, as(b))).get('n'), 3);
  await pointer(CLS, priv.id).destroy(as(a));
  await pointer(CLS, pub.id).destroy(as(a));
  assert.deepEqual(await visible(a), []);
  assert.equal(await new Parse.Query(CLS).equalTo('run', RUN_ID).count(MASTER), 0);
});

test('users are private by default: another user gets 101, updating another user gives 206', async () => {
  const a = await signUp('privA', { email: email('privA') });
  const b = await signUp('privB');
  await rejectsWithCode(new Parse.Query(Parse.User).get(a.id, as(b)), Parse.Error.OBJECT_NOT_FOUND);
  assert.equal(await new Parse.Query(Parse.User).equalTo('objectId', a.id).count(as(b)), 0);
  assert.equal((await new Parse.Query(Parse.User).get(a.id, as(a))).get('email'), email('privA'));
  const upd = await rest('PUT', `/users/${a.id}`, { body: { username: 'hijacked' }, headers: tokenHeader(b.getSessionToken()) });
  assert.equal(upd.body.code, Parse.Error.SESSION_MISSING, JSON.stringify(upd.body));
  const del = await rest('DELETE', `/users/${a.id}`, { headers: tokenHeader(b.getSessionToken()) });
  assert.equal(del.body.code, Parse.Error.SESSION_MISSING, JSON.stringify(del.body));
  const anonUpd = await rest('PUT', `/users/${a.id}`, { body: { username: 'hijacked' } });
  assert.equal(anonUpd.body.code, Parse.Error.SESSION_MISSING, JSON.stringify(anonUpd.body));
  assert.equal((await new Parse.Query(Parse.User).get(a.id, MASTER)).get('username'), uname('privA'));

  // Made publicly readable, A is visible to B, but without the email (protectedFields of _User).
  const acl = new Parse.ACL(a);
  acl.setPublicReadAccess(true);
  await pointer('_User', a.id).save({ ACL: acl }, as(a));
  const seen = await new Parse.Query(Parse.User).get(a.id, as(b));
  assert.equal(seen.get('username'), uname('privA'));
  assert.equal(seen.get('email'), undefined);
  const raw = await rest('GET', `/users/${a.id}`, { headers: tokenHeader(b.getSessionToken()) });
  assert.equal(raw.status, 200);
  assert.equal(raw.body.email, undefined);
  assert.equal(raw.body.sessionToken, undefined);
  assertNoHiddenKeys(raw.body);
  assert.equal((await new Parse.Query(Parse.User).get(a.id, as(a))).get('email'), email('privA'));
  assert.equal((await new Parse.Query(Parse.User).get(a.id, MASTER)).get('email'), email('privA'));
});

test('roles: members of a role read objects ACL-ed to it; others do not', async () => {
  const owner = await signUp('roleOwner');
  const b = await signUp('roleB');
  const c = await signUp('roleC');
  const role = await makeRole('Readers', { users: [b] });
  const roleName = role.getName();

  const readACL = new Parse.ACL(owner);
  readACL.setRoleReadAccess(roleName, true);
  const forRole = await saveWithACL('roleRead', readACL, owner);
  const writeACL = new Parse.ACL(owner);
  writeACL.setRoleReadAccess(roleName, true);
  writeACL.setRoleWriteAccess(roleName, true);
  const forRoleRW = await saveWithACL('roleWrite', writeACL, owner);

  assert.deepEqual(await visible(b), ['roleRead', 'roleWrite']);
  assert.deepEqual(await visible(c), []);
  assert.deepEqual(await visible(null), []);
  assert.equal(await new Parse.Query(CLS).equalTo('run', RUN_ID).count(as(b)), 2);
  assert.equal(await new Parse.Query(CLS).equalTo('run', RUN_ID).count(as(c)), 0);
  assert.equal((await new Parse.Query(CLS).get(forRole.id, as(b))).get('name'), 'roleRead');
  await rejectsWithCode(new Parse.Query(CLS).get(forRole.id, as(c)), Parse.Error.OBJECT_NOT_FOUND);

  // Read access is not write access.
  await rejectsWithCode(pointer(CLS, forRole.id).save({ n: 1 }, as(b)), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(pointer(CLS, forRole.id).destroy(as(b)), Parse.Error.OBJECT_NOT_FOUND);
  await pointer(CLS, forRoleRW.id).save({ n: 1 }, as(b));
  await rejectsWithCode(pointer(CLS, forRoleRW.id).save({ n: 2 }, as(c)), Parse.Error.OBJECT_NOT_FOUND);
  assert.equal((await new Parse.Query(CLS).get(forRoleRW.id, MASTER)).get('n'), 1);

  // Membership is read per request: C joins, then sees both; B leaves, then sees nothing.
  role.getUsers().add(c);
  role.getUsers().remove(b);
  await role.save(null, MASTER);
  assert.deepEqual(await visible(c), ['roleRead', 'roleWrite']);
  assert.deepEqual(await visible(b), []);

  // Users cannot add themselves to a role they cannot write.
  const self = await rest('PUT', `/roles/${role.id}`, {
    body: { users: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: b.id }] } },
    headers: tokenHeader(b.getSessionToken()),
  });
  assert.equal(self.body.code, Parse.Error.OBJECT_NOT_FOUND, JSON.stringify(self.body));
  assert.deepEqual(await visible(b), []);

  await forRole.destroy(MASTER);
  await forRoleRW.destroy(MASTER);
});

test('inherited roles: members of a child role get the rights of the parent role, not the reverse', async () => {
  const owner = await signUp('inhOwner');
  const childMember = await signUp('inhChild');
  const parentMember = await signUp('inhParent');
  const outsider = await signUp('inhOut');
  const child = await makeRole('Child', { users: [childMember] });
  const parent = await makeRole('Parent', { users: [parentMember], roles: [child] });

  const toParent = new Parse.ACL(owner);
  toParent.setRoleReadAccess(parent, true);
  const forParent = await saveWithACL('forParent', toParent, owner);
  const toChild = new Parse.ACL(owner);
  toChild.setRoleReadAccess(child, true);
  const forChild = await saveWithACL('forChild', toChild, owner);

  assert.deepEqual(await visible(childMember), ['forChild', 'forParent']);
  assert.deepEqual(await visible(parentMember), ['forParent']);
  assert.deepEqual(await visible(outsider), []);
  assert.equal((await new Parse.Query(CLS).get(forParent.id, as(childMember))).get('name'), 'forParent');
  await rejectsWithCode(new Parse.Query(CLS).get(forChild.id, as(parentMember)), Parse.Error.OBJECT_NOT_FOUND);
  await rejectsWithCode(new Parse.Query(CLS).get(forParent.id, as(outsider)), Parse.Error.OBJECT_NOT_FOUND);
  assert.equal(await new Parse.Query(CLS).equalTo('run', RUN_ID).count(as(childMember)), 2);

  // Three levels: a grandparent whose roles relation holds the parent.
  const grand = await makeRole('Grand', { roles: [parent] });
  const toGrand = new Parse.ACL(owner);
  toGrand.setRoleReadAccess(grand, true);
  const forGrand = await saveWithACL('forGrand', toGrand, owner);
  assert.deepEqual(await visible(childMember), ['forChild', 'forGrand', 'forParent']);
  assert.deepEqual(await visible(outsider), []);

  // The roles a user belongs to, as the SDK asks for them.
  const mine = await new Parse.Query(Parse.Role).equalTo('users', childMember).find(as(childMember));
  assert.deepEqual(
    mine.map(r => r.getName()),
    [child.getName()]
  );

  for (const o of [forParent, forChild, forGrand]) await o.destroy(MASTER);
});

test('password change: the new password logs in, the old one gives 101', async () => {
  const u = await signUp('pwchange');
  const oldToken = u.getSessionToken();
  u.set('password', `${PW}-new`);
  await u.save(null, as(u));
  // The SDK keeps a working session token for the user after the change.
  assert.equal((await Parse.User.me(u.getSessionToken())).id, u.id);

  const logged = await Parse.User.logIn(uname('pwchange'), `${PW}-new`);
  assert.equal(logged.id, u.id);
  await rejectsWithCode(Parse.User.logIn(uname('pwchange'), PW), Parse.Error.OBJECT_NOT_FOUND, /Invalid username\/password/);
  const verify = await rest('GET', '/verifyPassword', { query: { username: uname('pwchange'), password: `${PW}-new` } });
  assert.equal(verify.status, 200, JSON.stringify(verify.body));
  assert.equal(verify.body.objectId, u.id);
  assertNoHiddenKeys(verify.body);
  assert.equal(verify.body.sessionToken, undefined);

  // Another user cannot change it.
  const other = await signUp('pwother');
  const res = await rest('PUT', `/users/${u.id}`, { body: { password: 'stolen' }, headers: tokenHeader(other.getSessionToken()) });
  assert.equal(res.body.code, Parse.Error.SESSION_MISSING);
  await rejectsWithCode(Parse.User.logIn(uname('pwchange'), 'stolen'), Parse.Error.OBJECT_NOT_FOUND);
  assert.ok(oldToken);
});

// Parse Server 7.3 (RestWrite.handleFollowup) deletes every session of the user when the password changes, the
// caller's too, and answers a new sessionToken to a user changing its own password.
test('password change revokes the old sessions and answers a new token (Parse Server revokeSessionOnPasswordReset)', async () => {
  const u = await signUp('pwrevoke');
  const oldToken = u.getSessionToken();
  const elsewhere = await rest('POST', '/login', {
    body: { username: uname('pwrevoke'), password: PW },
    headers: { 'X-Parse-Installation-Id': `elsewhere-${RUN_ID}` },
  });
  assert.equal(elsewhere.status, 200);
  const res = await rest('PUT', `/users/${u.id}`, { body: { password: `${PW}-2` }, headers: tokenHeader(oldToken) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.body.sessionToken, TOKEN_RE);
  assert.notEqual(res.body.sessionToken, oldToken);
  assert.equal((await Parse.User.me(res.body.sessionToken)).id, u.id);
  await rejectsWithCode(Parse.User.me(oldToken), Parse.Error.INVALID_SESSION_TOKEN);
  await rejectsWithCode(Parse.User.me(elsewhere.body.sessionToken), Parse.Error.INVALID_SESSION_TOKEN);

  // A change with the master key revokes every session and answers no token.
  const byMaster = await rest('PUT', `/users/${u.id}`, { body: { password: `${PW}-3` }, master: true });
  assert.equal(byMaster.status, 200);
  assert.equal(byMaster.body.sessionToken, undefined);
  await rejectsWithCode(Parse.User.me(res.body.sessionToken), Parse.Error.INVALID_SESSION_TOKEN);
  assert.equal((await Parse.User.logIn(uname('pwrevoke'), `${PW}-3`)).id, u.id);
});

test('sessions: GET /sessions returns only the caller’s sessions; others’ sessions are not found', async () => {
  const a = await signUp('sessA');
  const b = await signUp('sessB');
  // A second session of A, from another installation.
  const second = await rest('POST', '/login', {
    body: { username: uname('sessA'), password: PW },
    headers: { 'X-Parse-Installation-Id': `second-${RUN_ID}` },
  });
  assert.equal(second.status, 200);

  const mine = await new Parse.Query(Parse.Session).find(as(a));
  assert.equal(mine.length, 2);
  for (const s of mine) {
    assert.equal(s.get('user').id, a.id);
  }
  assert.deepEqual(
    mine.map(s => s.getSessionToken()).sort(),
    [a.getSessionToken(), second.body.sessionToken].sort()
  );
  assert.equal(await new Parse.Query(Parse.Session).count(as(a)), 2);

  const raw = await rest('GET', '/sessions', { headers: tokenHeader(b.getSessionToken()) });
  assert.equal(raw.status, 200);
  assert.equal(raw.body.results.length, 1);
  assert.equal(raw.body.results[0].user.objectId, b.id);
  assert.equal(raw.body.results[0].sessionToken, b.getSessionToken());
  assert.deepEqual(raw.body.results[0].createdWith, { action: 'signup', authProvider: 'password' });
  assertNoHiddenKeys(raw.body);
  const bSessionId = raw.body.results[0].objectId;

  // Even a where clause naming B's user does not reach B's sessions.
  const sneaky = await new Parse.Query(Parse.Session).equalTo('user', b).find(as(a));
  assert.deepEqual(sneaky, []);
  await rejectsWithCode(new Parse.Query(Parse.Session).get(bSessionId, as(a)), Parse.Error.OBJECT_NOT_FOUND);
  const del = await rest('DELETE', `/sessions/${bSessionId}`, { headers: tokenHeader(a.getSessionToken()) });
  assert.equal(del.body.code, Parse.Error.OBJECT_NOT_FOUND, JSON.stringify(del.body));
  assert.equal((await Parse.User.me(b.getSessionToken())).id, b.id);

  // /sessions/me
  const me = await rest('GET', '/sessions/me', { headers: tokenHeader(a.getSessionToken()) });
  assert.equal(me.status, 200);
  assert.equal(me.body.sessionToken, a.getSessionToken());
  assert.equal(me.body.user.objectId, a.id);

  // Without a session: 209; the master key sees both users' sessions.
  const anon = await rest('GET', '/sessions');
  assert.equal(anon.body.code, Parse.Error.INVALID_SESSION_TOKEN);
  const all = await new Parse.Query(Parse.Session).containedIn('user', [a, b]).find(MASTER);
  assert.equal(all.length, 3);

  // A deletes its own second session; that token stops working.
  const secondId = mine.find(s => s.getSessionToken() === second.body.sessionToken).id;
  await pointer('_Session', secondId).destroy(as(a));
  await rejectsWithCode(Parse.User.me(second.body.sessionToken), Parse.Error.INVALID_SESSION_TOKEN);
  assert.equal((await Parse.User.me(a.getSessionToken())).id, a.id);
});
