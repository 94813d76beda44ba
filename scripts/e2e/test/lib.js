// Shared set-up for the end-to-end suite: initialises the Parse JS SDK (parse/node) from the environment and
// offers small helpers (unique class names, raw REST calls with fetch, error assertions).
//
// Env: PARSE_SERVER_URL (e.g. http://127.0.0.1:1338/parse), PARSE_APP_ID, PARSE_MASTER_KEY, PARSE_JS_KEY (optional).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import Parse from 'parse/node.js';

function need(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`environment variable ${name} is required (see scripts/e2e/run.sh)`);
  }
  return v;
}

export const SERVER_URL = need('PARSE_SERVER_URL').replace(/\/+$/, '');
export const APP_ID = need('PARSE_APP_ID');
export const MASTER_KEY = need('PARSE_MASTER_KEY');
export const JS_KEY = process.env.PARSE_JS_KEY || undefined;

Parse.initialize(APP_ID, JS_KEY, MASTER_KEY);
Parse.serverURL = SERVER_URL;
// No silent retries of 5xx answers: a server error must show up as a failure, at once.
Parse.CoreManager.set('REQUEST_ATTEMPT_LIMIT', 1);

export { Parse };

export const MASTER = { useMasterKey: true };

// One random suffix per test process (node --test runs every file in its own process).
export const RUN_ID = crypto.randomBytes(4).toString('hex');

/** A class name that is unique to this run, e.g. `E2E_Types_1a2b3c4d`. */
export function className(base) {
  return `E2E_${base}_${RUN_ID}`;
}

/** Creates a class with the master key (the target server does not let clients create classes). */
export async function createClass(name, build = s => s) {
  const schema = build(new Parse.Schema(name));
  return schema.save();
}

/** Best-effort removal of a class and its objects (used in `after` hooks; errors are ignored). */
export async function dropClass(name) {
  if (process.env.E2E_KEEP_DATA) return;
  const schema = new Parse.Schema(name);
  try {
    await schema.purge();
  } catch {
    /* ignore */
  }
  try {
    await schema.delete();
  } catch {
    /* ignore */
  }
}

/** Asserts that `promise` rejects with a Parse.Error carrying `code` (and, optionally, a message matching `re`). */
export async function rejectsWithCode(promise, code, re) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected a rejection with code ${code}, but the call succeeded`);
  assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
  if (re) {
    assert.match(err.message, re);
  }
  return err;
}

/** Sorted values of `key` over a list of Parse.Objects. */
export function values(objects, key = 'name') {
  return objects.map(o => o.get(key)).sort();
}

/** Runs the query (client, no master key) and returns the sorted `name`s. */
export async function names(query, options = {}) {
  return values(await query.find(options));
}

/** Path part of the server URL, e.g. `/parse` (batch sub-request paths must start with it). */
export const MOUNT_PATH = new URL(SERVER_URL).pathname.replace(/\/+$/, '');

/**
 * A raw REST call with fetch. `master: true` adds the master key; otherwise the JavaScript key is sent when set.
 * Returns {status, headers, body} with body parsed as JSON when possible.
 */
export async function rest(method, path, { body, master = false, query, headers = {} } = {}) {
  const url = new URL(SERVER_URL + path);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  const h = { 'X-Parse-Application-Id': APP_ID, ...headers };
  if (master) h['X-Parse-Master-Key'] = MASTER_KEY;
  else if (JS_KEY) h['X-Parse-Javascript-Key'] = JS_KEY;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
export const OBJECT_ID_RE = /^[A-Za-z0-9]{10}$/;

/** An unfetched object (pointer) of class `cls` with id `id`: a separate instance that knows no data. */
export function pointer(cls, id) {
  return Parse.Object.extend(cls).createWithoutData(id);
}

/**
 * Options for a test that the Parse Server oracle fails only because of its FerretDB 1.x database
 * (../shared/reference/ferretdb.md). Our server must pass these tests. With E2E_ORACLE_FERRETDB=1 (set it only when
 * the target is the oracle) they run as `todo`: still executed and reported, but not counted as failures.
 */
export function ferretdbLimitation(reason) {
  return process.env.E2E_ORACLE_FERRETDB === '1' ? { todo: `FerretDB limitation on the oracle: ${reason}` } : {};
}
