// Geo queries and Polygon fields through the Parse JS SDK: near (ordered by distance), withinKilometers /
// withinMiles / withinRadians sorted and unsorted, withinGeoBox (corner order), withinPolygon, Polygon
// save/read and polygonContains, composed with other constraints, count, keys, include and ACLs.
// Expected answers are Parse Server's on MongoDB (spec/ParseGeoPoint.spec.js, ParsePolygon.spec.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MASTER, className, createClass, dropClass, names, rejectsWithCode, ferretdbLimitation } from './lib.js';

const PLACE = className('GeoPlace');
const AREA = className('GeoArea');
const OWNER = className('GeoOwner');
const FERRET = ferretdbLimitation('no geo operators (the engine evaluates them here)');

const sfo = new Parse.GeoPoint(37.6189722, -122.3748889);
const ordered = objs => objs.map(o => o.get('name'));

before(async () => {
  await Promise.all([PLACE, AREA, OWNER].map(c => createClass(c)));
  const owner = await new Parse.Object(OWNER, { name: 'owner' }).save();
  const hidden = new Parse.Object(PLACE, { name: 'Hidden', location: new Parse.GeoPoint(37.7, -122.5), kind: 'city' });
  hidden.setACL(new Parse.ACL());
  await Parse.Object.saveAll([
    new Parse.Object(PLACE, { name: 'Sacramento', location: new Parse.GeoPoint(38.52, -121.5), kind: 'city' }),
    new Parse.Object(PLACE, { name: 'Honolulu', location: new Parse.GeoPoint(21.35, -157.93), kind: 'island', owner }),
    new Parse.Object(PLACE, { name: 'San Francisco', location: new Parse.GeoPoint(37.75, -122.68), kind: 'city', owner }),
    new Parse.Object(PLACE, { name: 'Nowhere', kind: 'city' }),
    hidden,
  ]);
  await Parse.Object.saveAll([
    new Parse.Object(AREA, { name: 'p1', polygon: new Parse.Polygon([[0, 0], [0, 1], [1, 1], [1, 0]]) }),
    new Parse.Object(AREA, { name: 'p2', polygon: new Parse.Polygon([[0, 0], [0, 2], [2, 2], [2, 0]]) }),
    new Parse.Object(AREA, { name: 'p3', polygon: new Parse.Polygon([[10, 10], [10, 15], [15, 15], [15, 10], [10, 10]]) }),
  ]);
});

after(async () => {
  await Promise.all([PLACE, AREA, OWNER].map(dropClass));
});

test('near orders by distance (and skips objects without a location)', FERRET, async () => {
  const q = new Parse.Query(PLACE).near('location', sfo);
  assert.deepEqual(ordered(await q.find()), ['San Francisco', 'Sacramento', 'Honolulu']);
});

test('withinKilometers and withinMiles, sorted', FERRET, async () => {
  const km = d => ordered_(new Parse.Query(PLACE).withinKilometers('location', sfo, d));
  const mi = d => ordered_(new Parse.Query(PLACE).withinMiles('location', sfo, d));
  assert.deepEqual(await km(4800), ['San Francisco', 'Sacramento', 'Honolulu']);
  assert.deepEqual(await km(3700), ['San Francisco', 'Sacramento']);
  assert.deepEqual(await km(100), ['San Francisco']);
  assert.deepEqual(await km(10), []);
  assert.deepEqual(await mi(2600), ['San Francisco', 'Sacramento', 'Honolulu']);
  assert.deepEqual(await mi(2200), ['San Francisco', 'Sacramento']);
  assert.deepEqual(await mi(62), ['San Francisco']);
  assert.deepEqual(await mi(10), []);
});

async function ordered_(q) {
  return ordered(await q.find());
}

test('withinKilometers unsorted ($geoWithin $centerSphere) and withinRadians', FERRET, async () => {
  const q = new Parse.Query(PLACE).withinKilometers('location', sfo, 3700, false);
  assert.deepEqual(q.toJSON().where.location.$geoWithin.$centerSphere[0], [sfo.longitude, sfo.latitude]);
  assert.deepEqual(await names(q), ['Sacramento', 'San Francisco']);
  const r = new Parse.Query(PLACE).withinRadians('location', new Parse.GeoPoint(1, -1), 3.14);
  assert.deepEqual(await names(r), ['Honolulu', 'Sacramento', 'San Francisco']);
});

test('near composes with other constraints, order, skip, limit, count, select and include', FERRET, async () => {
  const base = () => new Parse.Query(PLACE).withinKilometers('location', sfo, 4800);
  assert.deepEqual(await ordered_(base().equalTo('kind', 'city')), ['San Francisco', 'Sacramento']);
  assert.deepEqual(await ordered_(base().ascending('name')), ['Honolulu', 'Sacramento', 'San Francisco']);
  assert.deepEqual(await ordered_(base().skip(1).limit(1)), ['Sacramento']);
  assert.equal(await base().count(), 3);
  const [first] = await base().select('kind').limit(1).find();
  assert.equal(first.get('kind'), 'city');
  assert.equal(first.get('name'), undefined);
  const withOwner = await new Parse.Query(PLACE).near('location', sfo).include('owner').limit(1).find();
  assert.equal(withOwner[0].get('owner').get('name'), 'owner');
  // ACLs apply: a client does not see the hidden place the master key sees (it is the nearest).
  const all = await new Parse.Query(PLACE).near('location', sfo).find(MASTER);
  assert.equal(all[0].get('name'), 'Hidden');
});

test('count of withinKilometers in Parse.Query.or', FERRET, async () => {
  const q1 = new Parse.Query(PLACE).withinKilometers('location', sfo, 100);
  const q2 = new Parse.Query(PLACE).withinKilometers('location', new Parse.GeoPoint(21.35, -157.93), 5);
  assert.equal(await Parse.Query.or(q1, q2).count(), 2);
});

test('withinGeoBox, whatever the corner order', FERRET, async () => {
  const sw = new Parse.GeoPoint(37.708813, -122.526398);
  const ne = new Parse.GeoPoint(37.822802, -122.373962);
  assert.deepEqual(await names(new Parse.Query(PLACE).withinGeoBox('location', sw, ne)), []);
  const big = [new Parse.GeoPoint(37, -123), new Parse.GeoPoint(39, -121)];
  assert.deepEqual(await names(new Parse.Query(PLACE).withinGeoBox('location', big[0], big[1])), ['Sacramento', 'San Francisco']);
  assert.deepEqual(await names(new Parse.Query(PLACE).withinGeoBox('location', big[1], big[0])), ['Sacramento', 'San Francisco']);
});

test('withinPolygon with GeoPoints and with a Polygon', FERRET, async () => {
  const pts = [new Parse.GeoPoint(37, -123), new Parse.GeoPoint(37, -121), new Parse.GeoPoint(39, -121), new Parse.GeoPoint(39, -123)];
  assert.deepEqual(await names(new Parse.Query(PLACE).withinPolygon('location', pts)), ['Sacramento', 'San Francisco']);
  await rejectsWithCode(new Parse.Query(PLACE).withinPolygon('location', pts.slice(0, 2)).find(), Parse.Error.INVALID_JSON);
});

test('Polygon fields: saved open, read back closed; polygonContains', FERRET, async () => {
  const [p1] = await new Parse.Query(AREA).equalTo('name', 'p1').find();
  const poly = p1.get('polygon');
  assert.ok(poly instanceof Parse.Polygon);
  assert.deepEqual(poly.coordinates, [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]);
  assert.deepEqual(await names(new Parse.Query(AREA).polygonContains('polygon', new Parse.GeoPoint(0.5, 0.5))), ['p1', 'p2']);
  assert.deepEqual(await names(new Parse.Query(AREA).polygonContains('polygon', new Parse.GeoPoint(1.5, 1.5))), ['p2']);
  assert.equal(await new Parse.Query(AREA).polygonContains('polygon', new Parse.GeoPoint(0.5, 0.5)).count(), 2);
  // The same answer as the SDK's own containsPoint.
  assert.equal(poly.containsPoint(new Parse.GeoPoint(0.5, 0.5)), true);
  p1.set('polygon', new Parse.Polygon([[2, 2], [2, 3], [3, 3], [3, 2]]));
  await p1.save();
  const again = await new Parse.Query(AREA).get(p1.id);
  assert.deepEqual(again.get('polygon').coordinates, [[2, 2], [2, 3], [3, 3], [3, 2], [2, 2]]);
  assert.deepEqual(await names(new Parse.Query(AREA).polygonContains('polygon', new Parse.GeoPoint(0.5, 0.5))), ['p2']);
});
