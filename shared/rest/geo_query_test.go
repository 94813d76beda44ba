package rest_test

// Geo queries through the handler, on the database the tests run on (the embedded FerretDB evaluates
// them in the engine). The cases and expected answers are Parse Server's own (spec/ParseGeoPoint.spec.js,
// spec/ParsePolygon.spec.js and the JS SDK's integration/test/ParseGeoBoxTest.js), which run on MongoDB.

import (
	"sort"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

func gp(lat, lng float64) obj { return obj{"__type": "GeoPoint", "latitude": lat, "longitude": lng} }

// nameList returns the name field of results, in order (sorted when ordered is false).
func nameList(rs []map[string]any, ordered bool) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		s, _ := r["name"].(string)
		out = append(out, s)
	}
	if !ordered {
		sort.Strings(out)
	}
	return out
}

type geoCase struct {
	name    string
	body    obj // find parameters
	want    []string
	ordered bool
	count   *int
	status  int // an error answer
	code    int
	session string // a user's session instead of the master key
}

func runGeoCases(t *testing.T, env *apptest.Env, class string, cases []geoCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := obj{"_method": "GET"}
			for k, v := range c.body {
				body[k] = v
			}
			r := env.Do(apptest.Req{Method: "POST", Path: "/classes/" + class, Body: body, Master: c.session == "", Session: c.session})
			if c.status != 0 {
				if r.Status != c.status || r.Code() != c.code {
					t.Fatalf("%s: %d %s, want %d code %d", mustJSON(c.body), r.Status, r.Raw, c.status, c.code)
				}
				return
			}
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", mustJSON(c.body), r.Status, r.Raw)
			}
			if c.count != nil {
				if n, _ := r.Map()["count"].(float64); int(n) != *c.count {
					t.Errorf("count = %v, want %d (%s)", r.Map()["count"], *c.count, r.Raw)
				}
			}
			if c.want == nil && c.count != nil {
				return
			}
			want := append([]string{}, c.want...)
			if !c.ordered {
				sort.Strings(want)
			}
			eq(t, "names", nameList(r.Results(), c.ordered), want)
		})
	}
}

func intp(n int) *int { return &n }

func TestGeoDistanceQueries(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	env.MustCreate("Place", obj{"name": "Sacramento", "location": gp(38.52, -121.5), "kind": "city"})
	env.MustCreate("Place", obj{"name": "Honolulu", "location": gp(21.35, -157.93), "kind": "city"})
	env.MustCreate("Place", obj{"name": "San Francisco", "location": gp(37.75, -122.68), "kind": "city"})
	env.MustCreate("Place", obj{"name": "Nowhere", "kind": "city"}) // no location: never near anything
	sfo := gp(37.6189722, -122.3748889)
	near := func(extra obj) obj {
		c := obj{"$nearSphere": sfo}
		for k, v := range extra {
			c[k] = v
		}
		return obj{"where": obj{"location": c}}
	}
	with := func(b obj, kv ...any) obj {
		for i := 0; i < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	km := func(d float64) obj { return near(obj{"$maxDistance": d / 6371.0}) } // what the SDK sends
	mi := func(d float64) obj { return near(obj{"$maxDistance": d / 3958.8}) }
	runGeoCases(t, env, "Place", []geoCase{
		{name: "near sorts by distance", body: near(nil), want: []string{"San Francisco", "Sacramento", "Honolulu"}, ordered: true},
		{name: "withinKilometers everywhere", body: km(4800), want: []string{"San Francisco", "Sacramento", "Honolulu"}, ordered: true},
		{name: "withinKilometers california", body: km(3700), want: []string{"San Francisco", "Sacramento"}, ordered: true},
		{name: "withinKilometers bay area", body: km(100), want: []string{"San Francisco"}},
		{name: "withinKilometers mid peninsula", body: km(10), want: []string{}},
		{name: "withinMiles everywhere", body: mi(2600), want: []string{"San Francisco", "Sacramento", "Honolulu"}, ordered: true},
		{name: "withinMiles california", body: mi(2200), want: []string{"San Francisco", "Sacramento"}, ordered: true},
		{name: "withinMiles bay area", body: mi(62), want: []string{"San Francisco"}},
		{name: "withinMiles mid peninsula", body: mi(10), want: []string{}},
		{name: "$maxDistanceInKilometers", body: near(obj{"$maxDistanceInKilometers": 3700}), want: []string{"San Francisco", "Sacramento"}, ordered: true},
		{name: "$maxDistanceInMiles", body: near(obj{"$maxDistanceInMiles": 62}), want: []string{"San Francisco"}},
		{name: "$maxDistanceInRadians", body: near(obj{"$maxDistanceInRadians": 3700 / 6371.0}), want: []string{"San Francisco", "Sacramento"}, ordered: true},
		{name: "withinRadians unsorted ($centerSphere)", body: obj{"where": obj{"location": obj{"$geoWithin": obj{"$centerSphere": arr{arr{-122.3748889, 37.6189722}, 3700 / 6371.0}}}}}, want: []string{"San Francisco", "Sacramento"}},
		{name: "$centerSphere with a GeoPoint centre", body: obj{"where": obj{"location": obj{"$geoWithin": obj{"$centerSphere": arr{sfo, 100 / 6371.0}}}}}, want: []string{"San Francisco"}},
		{name: "near with an explicit order", body: with(km(4800), "order", "name"), want: []string{"Honolulu", "Sacramento", "San Francisco"}, ordered: true},
		{name: "near with an explicit descending order", body: with(km(4800), "order", "-name"), want: []string{"San Francisco", "Sacramento", "Honolulu"}, ordered: true},
		{name: "near with skip and limit", body: with(near(nil), "skip", 1, "limit", 1), want: []string{"Sacramento"}},
		{name: "near with count", body: with(km(3700), "count", 1, "limit", 1), want: []string{"San Francisco"}, count: intp(2)},
		{name: "count only", body: with(km(3700), "count", 1, "limit", 0), count: intp(2), want: []string{}},
		{name: "count only without a distance", body: with(near(nil), "count", 1, "limit", 0), count: intp(3), want: []string{}},
		{name: "near with another constraint", body: obj{"where": obj{"location": obj{"$nearSphere": sfo}, "name": obj{"$ne": "San Francisco"}}}, want: []string{"Sacramento", "Honolulu"}, ordered: true},
		{name: "near in $and", body: obj{"where": obj{"$and": arr{obj{"location": obj{"$nearSphere": sfo, "$maxDistance": 1}}, obj{"kind": "city"}}}}, want: []string{"San Francisco", "Sacramento", "Honolulu"}, ordered: true},
		{name: "within distance in $or (unsorted)", body: obj{"where": obj{"$or": arr{obj{"location": obj{"$geoWithin": obj{"$centerSphere": arr{sfo, 100 / 6371.0}}}}, obj{"name": "Honolulu"}}}}, want: []string{"Honolulu", "San Francisco"}},
		{name: "near in $or is refused", body: obj{"where": obj{"$or": arr{obj{"location": obj{"$nearSphere": sfo}}, obj{"name": "x"}}}}, status: 400, code: 102},
		{name: "count of near in $or (as Parse Server counts it)", body: obj{"count": 1, "limit": 0, "where": obj{"$or": arr{obj{"location": obj{"$nearSphere": sfo, "$maxDistance": 100 / 6371.0}}, obj{"name": "Honolulu"}}}}, count: intp(2), want: []string{}},
		{name: "keys with near", body: with(km(100), "keys", "kind"), want: []string{""}},
		{name: "notEqualTo a GeoPoint", body: obj{"where": obj{"location": obj{"$ne": gp(37.75, -122.68)}}}, want: []string{"Honolulu", "Nowhere", "Sacramento"}},
		{name: "bad $nearSphere", body: obj{"where": obj{"location": obj{"$nearSphere": 5}}}, status: 400, code: 107},
		{name: "$maxDistance without $nearSphere", body: obj{"where": obj{"location": obj{"$maxDistance": 5}}}, status: 400, code: 107},
	})
	// keys leaves the other fields out.
	r := find(t, env, "Place", obj{"where": obj{"location": obj{"$nearSphere": sfo, "$maxDistanceInKilometers": 100}}, "keys": "kind"})
	if len(r) != 1 || r[0]["kind"] != "city" || r[0]["name"] != nil || r[0]["location"] != nil {
		t.Errorf("keys: %v", r)
	}
}

func TestGeoParseServerSpec(t *testing.T) {
	t.Parallel()
	t.Run("geo line", func(t *testing.T) {
		t.Parallel()
		env := apptest.New(t, nil)
		for i := 0; i < 10; i++ {
			env.MustCreate("TestObject", obj{"location": gp(float64(i)*4-12, float64(i)*3.2-11), "construct": "line", "seq": i})
		}
		rs := find(t, env, "TestObject", obj{"where": obj{"construct": "line", "location": obj{"$nearSphere": gp(24, 19), "$maxDistance": 10000 / 3958.8}}})
		if len(rs) != 10 || rs[0]["seq"] != float64(9) || rs[3]["seq"] != float64(6) {
			t.Errorf("geo line: %v", pluck(rs, "seq"))
		}
	})
	t.Run("max distance large, medium, small", func(t *testing.T) {
		t.Parallel()
		env := apptest.New(t, nil)
		for i := 0; i < 3; i++ {
			env.MustCreate("TestObject", obj{"location": gp(0, float64(i)*45), "index": i, "name": []string{"i0", "i1", "i2"}[i]})
		}
		runGeoCases(t, env, "TestObject", []geoCase{
			{name: "large", body: obj{"where": obj{"location": obj{"$nearSphere": gp(1, -1), "$maxDistance": 3.14}}}, want: []string{"i0", "i1", "i2"}, ordered: true},
			{name: "medium", body: obj{"where": obj{"location": obj{"$nearSphere": gp(1, -1), "$maxDistance": 3.14 * 0.5}}}, want: []string{"i0", "i1"}, ordered: true},
			{name: "small", body: obj{"where": obj{"location": obj{"$nearSphere": gp(1, -1), "$maxDistance": 3.14 * 0.25}}}, want: []string{"i0"}},
		})
	})
	t.Run("withinKilometers count", func(t *testing.T) {
		t.Parallel()
		env := apptest.New(t, nil)
		env.MustCreate("TestObject", obj{"location": gp(10, 10)})
		env.MustCreate("TestObject", obj{"location": gp(20, 20)})
		env.MustCreate("TestObject", obj{"location": gp(30, 30)})
		w := func(lat float64) obj {
			return obj{"location": obj{"$nearSphere": gp(lat, lat), "$maxDistance": 5 / 6371.0}}
		}
		runGeoCases(t, env, "TestObject", []geoCase{
			{name: "count", body: obj{"where": w(10), "count": 1, "limit": 0}, count: intp(1), want: []string{}},
			{name: "complex count ($or)", body: obj{"where": obj{"$or": arr{w(10), w(20)}}, "count": 1, "limit": 0}, count: intp(2), want: []string{}},
		})
	})
	t.Run("boxes", func(t *testing.T) {
		t.Parallel()
		env := apptest.New(t, nil)
		env.MustCreate("Location", obj{"name": "inbound", "location": gp(1.5, 1.5)})
		env.MustCreate("Location", obj{"name": "onbound", "location": gp(10, 10)})
		env.MustCreate("Location", obj{"name": "outbound", "location": gp(20, 20)})
		env.MustCreate("Location", obj{"name": "caltrain", "location": gp(37.776346, -122.394218)})
		env.MustCreate("Location", obj{"name": "santa clara", "location": gp(37.325635, -121.945753)})
		box := func(a, b obj) obj { return obj{"where": obj{"location": obj{"$within": obj{"$box": arr{a, b}}}}} }
		sw, ne := gp(37.708813, -122.526398), gp(37.822802, -122.373962)
		runGeoCases(t, env, "Location", []geoCase{
			{name: "box with points on its edge", body: box(gp(0, 0), gp(10, 10)), want: []string{"inbound", "onbound"}},
			{name: "a box of San Francisco", body: box(sw, ne), want: []string{"caltrain"}},
			// MongoDB orders the corners of a $box itself: swapped corners find the same objects.
			{name: "swapped corners", body: box(ne, sw), want: []string{"caltrain"}},
			{name: "swapped latitudes", body: box(gp(37.822802, -122.526398), gp(37.708813, -122.373962)), want: []string{"caltrain"}},
			{name: "swapped longitudes", body: box(gp(37.708813, -122.373962), gp(37.822802, -122.526398)), want: []string{"caltrain"}},
			// A legacy $box is flat: a box "crossing the antimeridian" is the box between the two
			// longitudes the other way round, as on MongoDB.
			{name: "across the antimeridian", body: box(gp(-10, 170), gp(10, -170)), want: []string{"inbound", "onbound"}},
			{name: "box and another constraint", body: obj{"where": obj{"location": obj{"$within": obj{"$box": arr{gp(0, 0), gp(10, 10)}}}, "name": obj{"$regex": "^on"}}}, want: []string{"onbound"}},
			{name: "malformatted box", body: obj{"where": obj{"location": obj{"$within": obj{"$box": arr{gp(0, 0)}}}}}, status: 400, code: 107},
		})
	})
	t.Run("polygons of GeoPoints", func(t *testing.T) {
		t.Parallel()
		env := apptest.New(t, nil)
		env.MustCreate("Polygon", obj{"name": "inbound", "location": gp(1.5, 1.5)})
		env.MustCreate("Polygon", obj{"name": "onbound", "location": gp(10, 10)})
		env.MustCreate("Polygon", obj{"name": "outbound", "location": gp(20, 20)})
		within := func(p any) obj { return obj{"where": obj{"location": obj{"$geoWithin": obj{"$polygon": p}}}} }
		open := arr{gp(0, 0), gp(0, 10), gp(10, 10), gp(10, 0)}
		closed := arr{gp(0, 0), gp(0, 10), gp(10, 10), gp(10, 0), gp(0, 0)}
		runGeoCases(t, env, "Polygon", []geoCase{
			{name: "open path", body: within(open), want: []string{"inbound", "onbound"}},
			{name: "closed path", body: within(closed), want: []string{"inbound", "onbound"}},
			{name: "Polygon object", body: within(obj{"__type": "Polygon", "coordinates": arr{arr{0, 0}, arr{10, 0}, arr{10, 10}, arr{0, 10}, arr{0, 0}}}), want: []string{"inbound", "onbound"}},
			{name: "a triangle", body: within(arr{gp(0, 0), gp(0, 10), gp(10, 0)}), want: []string{"inbound"}},
			{name: "invalid Polygon object", body: within(obj{"__type": "Polygon", "coordinates": arr{arr{0, 0}, arr{10, 0}}}), status: 400, code: 107},
			{name: "out of bounds Polygon object", body: within(obj{"__type": "Polygon", "coordinates": arr{arr{0, 0}, arr{181, 0}, arr{0, 10}}}), status: 500, code: 1},
			{name: "invalid input", body: within(1234), status: 400, code: 107},
			{name: "invalid GeoPoint", body: within(arr{obj{}}), status: 400, code: 107},
			{name: "invalid latitude", body: within(arr{gp(0, 0), gp(181, 0), gp(0, 0)}), status: 500, code: 1},
			{name: "invalid longitude", body: within(arr{gp(0, 0), gp(0, 181), gp(0, 0)}), status: 500, code: 1},
			{name: "minimum 3 points", body: within(arr{}), status: 400, code: 107},
		})
	})
}

func TestGeoACLAndInclude(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, func(c *config.Config) { c.AllowClientClassCreation = true })
	uid, tok := session(t, env, "alice")
	owner := env.MustCreate("Owner", obj{"name": "o1"})
	env.MustCreate("Shop", obj{"name": "public", "location": gp(1, 1), "owner": ptr("Owner", owner)})
	env.MustCreate("Shop", obj{"name": "mine", "location": gp(2, 2), "ACL": obj{uid: obj{"read": true}}})
	env.MustCreate("Shop", obj{"name": "hidden", "location": gp(0.5, 0.5), "ACL": obj{}})
	runGeoCases(t, env, "Shop", []geoCase{
		{name: "a user sees what the ACL lets them", session: tok, body: obj{"where": obj{"location": obj{"$nearSphere": gp(0, 0)}}}, want: []string{"public", "mine"}, ordered: true},
		{name: "the master key sees everything", body: obj{"where": obj{"location": obj{"$nearSphere": gp(0, 0)}}}, want: []string{"hidden", "public", "mine"}, ordered: true},
	})
	rs := find(t, env, "Shop", obj{"where": obj{"location": obj{"$nearSphere": gp(1, 1), "$maxDistanceInKilometers": 10}}, "include": "owner"})
	if len(rs) != 1 || field(rs[0], "owner.name") != "o1" {
		t.Errorf("include with near: %v", rs)
	}
}

func TestPolygonFields(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	p1 := arr{arr{0, 0}, arr{0, 1}, arr{1, 1}, arr{1, 0}}
	p2 := arr{arr{0, 0}, arr{0, 2}, arr{2, 2}, arr{2, 0}}
	p3 := arr{arr{10, 10}, arr{10, 15}, arr{15, 15}, arr{15, 10}, arr{10, 10}}
	poly := func(c arr) obj { return obj{"__type": "Polygon", "coordinates": c} }
	id1 := env.MustCreate("TestObject", obj{"name": "p1", "polygon": poly(p1)})
	env.MustCreate("TestObject", obj{"name": "p2", "polygon": poly(p2)})
	env.MustCreate("TestObject", obj{"name": "p3", "polygon": poly(p3)})
	contains := func(p obj) obj { return obj{"where": obj{"polygon": obj{"$geoIntersects": obj{"$point": p}}}} }
	runGeoCases(t, env, "TestObject", []geoCase{
		{name: "polygonContains", body: contains(gp(0.5, 0.5)), want: []string{"p1", "p2"}},
		{name: "polygonContains in the bigger one only", body: contains(gp(1.5, 1.5)), want: []string{"p2"}},
		{name: "polygonContains on a vertex", body: contains(gp(10, 10)), want: []string{"p3"}},
		{name: "polygonContains nowhere", body: contains(gp(50, 50)), want: []string{}},
		{name: "polygonContains and another constraint", body: obj{"where": obj{"polygon": obj{"$geoIntersects": obj{"$point": gp(0.5, 0.5)}}, "name": "p2"}}, want: []string{"p2"}},
		{name: "polygonContains with count", body: obj{"where": obj{"polygon": obj{"$geoIntersects": obj{"$point": gp(0.5, 0.5)}}}, "count": 1, "limit": 0}, count: intp(2), want: []string{}},
		{name: "polygonContains invalid input", body: obj{"where": obj{"polygon": obj{"$geoIntersects": obj{"$point": 1234}}}}, status: 400, code: 107},
		{name: "polygon equalTo", body: obj{"where": obj{"polygon": poly(p1)}}, want: []string{"p1"}},
	})
	// Saved open, read back closed; an update replaces it.
	o := get(t, env, "TestObject", id1)
	eq(t, "closed", o["polygon"], poly(append(append(arr{}, p1...), arr{0, 0})))
	r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/TestObject/" + id1, Master: true, Body: obj{"polygon": poly(arr{arr{2, 2}, arr{2, 3}, arr{3, 3}, arr{3, 2}})}})
	if r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Raw)
	}
	eq(t, "updated", get(t, env, "TestObject", id1)["polygon"], poly(arr{arr{2, 2}, arr{2, 3}, arr{3, 3}, arr{3, 2}, arr{2, 2}}))
	// Fewer than 3 different points: Parse Server's PolygonCoder throws INTERNAL_SERVER_ERROR (500, code 1).
	for _, bad := range []arr{{arr{0, 0}, arr{0, 1}}, {arr{0, 0}}, {arr{0, 0}, arr{0, 0}, arr{0, 1}}} {
		r := env.Do(apptest.Req{Method: "POST", Path: "/classes/TestObject", Body: obj{"polygon": poly(bad)}, Master: true})
		if r.Status != 500 || r.Code() != 1 {
			t.Errorf("polygon %v: %d %s", bad, r.Status, r.Raw)
		}
	}
	// A Polygon's edges are great circles: a point just north of the middle of an edge along a
	// parallel is inside (the edge bulges towards the pole), as MongoDB's 2dsphere geometry has it.
	env.MustCreate("Area", obj{"name": "wide", "shape": poly(arr{arr{0, -40}, arr{40, -40}, arr{40, 40}, arr{0, 40}})})
	runGeoCases(t, env, "Area", []geoCase{
		{name: "great-circle edge bulges poleward", body: obj{"where": obj{"shape": obj{"$geoIntersects": obj{"$point": gp(45, 0)}}}}, want: []string{"wide"}},
		{name: "outside beyond the bulge", body: obj{"where": obj{"shape": obj{"$geoIntersects": obj{"$point": gp(60, 0)}}}}, want: []string{}},
		{name: "near a corner, outside", body: obj{"where": obj{"shape": obj{"$geoIntersects": obj{"$point": gp(41, 39)}}}}, want: []string{}},
	})
}
