// fullText through the Parse JS SDK, on Parse Server's own fixture (spec/ParseQuery.FullTextSearch.spec.js)
// with the counts it answers on MongoDB: stemming, stop words, language, case and diacritic sensitivity,
// $score in keys and order, and composition with other constraints, count and ACLs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MASTER, className, createClass, dropClass, names, rejectsWithCode, rest, ferretdbLimitation } from './lib.js';

const T = className('FullText');
const FERRET = ferretdbLimitation('no text indexes (the engine evaluates $text here)');
const SUBJECTS = ['coffee', 'Coffee Shopping', 'Baking a cake', 'baking', 'Café Con Leche', 'Сырники', 'coffee and cream', 'Cafe con Leche'];

before(async () => {
  await createClass(T);
  const objs = SUBJECTS.map(s => new Parse.Object(T, { subject: s, name: s }));
  const hidden = new Parse.Object(T, { subject: 'hidden coffee', name: 'hidden' });
  hidden.setACL(new Parse.ACL());
  await Parse.Object.saveAll([...objs, hidden]);
});

after(async () => {
  await dropClass(T);
});

const q = () => new Parse.Query(T);

test('fullText: terms, stemming, stop words', FERRET, async () => {
  assert.deepEqual(await names(q().fullText('subject', 'coffee')), ['Coffee Shopping', 'coffee', 'coffee and cream']);
  assert.deepEqual(await names(q().fullText('subject', 'bakes')), ['Baking a cake', 'baking']);
  assert.deepEqual(await names(q().fullText('subject', 'the and a')), []);
  assert.deepEqual(await names(q().fullText('subject', '"coffee shop"')), ['Coffee Shopping']);
  assert.deepEqual(await names(q().fullText('subject', 'coffee -cream')), ['Coffee Shopping', 'coffee']);
});

test('fullText options: language, caseSensitive, diacriticSensitive', FERRET, async () => {
  assert.deepEqual(await names(q().fullText('subject', 'leche', { language: 'spanish' })), ['Cafe con Leche', 'Café Con Leche']);
  assert.deepEqual(await names(q().fullText('subject', 'CAFÉ', { diacriticSensitive: true })), ['Café Con Leche']);
  assert.deepEqual(await names(q().fullText('subject', 'CAFÉ', { diacriticSensitive: false })), ['Cafe con Leche', 'Café Con Leche']);
  assert.deepEqual(await names(q().fullText('subject', 'Coffee', { caseSensitive: true })), ['Coffee Shopping']);
});

test('sortByTextScore: $score in keys and order', FERRET, async () => {
  const res = await q().fullText('subject', 'coffee').sortByTextScore().find();
  assert.equal(res.length, 3);
  assert.equal(res[0].get('score'), 1);
  assert.deepEqual(res.map(o => o.get('score')), [1, 0.75, 0.75]);
  assert.equal(res[0].get('subject'), undefined); // select('$score') only
  const withName = await q().fullText('subject', 'coffee').sortByTextScore().select('name').find();
  assert.equal(withName[0].get('name'), 'coffee');
});

test('fullText composes with other constraints, count, limit and ACLs', FERRET, async () => {
  assert.deepEqual(await names(q().fullText('subject', 'coffee').notEqualTo('name', 'coffee')), ['Coffee Shopping', 'coffee and cream']);
  assert.equal(await q().fullText('subject', 'coffee').count(), 3);
  assert.equal(await q().fullText('subject', 'coffee').count(MASTER), 4);
  assert.equal((await q().fullText('subject', 'coffee').ascending('name').limit(1).find())[0].get('name'), 'Coffee Shopping');
  const and = Parse.Query.and(q().fullText('subject', 'coffee'), q().startsWith('name', 'coffee'));
  assert.deepEqual(await names(and), ['coffee', 'coffee and cream']);
});

test('fullText gives the class its text index, as Parse Server does', FERRET, async () => {
  await q().fullText('subject', 'coffee').find();
  const r = await rest('GET', `/schemas/${T}`, { master: true });
  assert.deepEqual(r.body.indexes.subject_text, { subject: 'text' });
});

test('fullText errors', FERRET, async () => {
  await rejectsWithCode(q().fullText('subject', 'x', { language: 'klingon' }).find(), Parse.Error.INVALID_QUERY);
  const r = await rest('POST', `/classes/${T}`, { body: { _method: 'GET', where: { subject: { $text: { $search: true } } } } });
  assert.equal(r.body.code, Parse.Error.INVALID_JSON);
});
