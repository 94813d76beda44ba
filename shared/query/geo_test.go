package query

import (
	"context"
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
)

func pt(lng, lat float64) bson.A { return bson.A{lng, lat} }

func restPt(lat, lng float64) map[string]any {
	return map[string]any{"__type": "GeoPoint", "latitude": lat, "longitude": lng}
}

// TestMatchGeo checks the engine's geo operators on stored documents against MongoDB's semantics.
func TestMatchGeo(t *testing.T) {
	sf := bson.M{"loc": pt(-122.68, 37.75)}
	sac := bson.M{"loc": pt(-121.5, 38.52)}
	hnl := bson.M{"loc": pt(-157.93, 21.35)}
	none := bson.M{"name": "x"}
	sfo := pt(-122.3748889, 37.6189722)
	square := bson.A{pt(0, 0), pt(10, 0), pt(10, 10), pt(0, 10)}
	poly := func(ring ...bson.A) bson.M {
		r := bson.A{}
		for _, p := range ring {
			r = append(r, p)
		}
		return bson.M{"shape": bson.D{{Key: "type", Value: "Polygon"}, {Key: "coordinates", Value: bson.A{r}}}}
	}
	flat := bson.M{"shape": bson.D{{Key: "type", Value: "Polygon"}, {Key: "points", Value: bson.A{bson.D{{Key: "lng", Value: 0.0}, {Key: "lat", Value: 0.0}}, bson.D{{Key: "lng", Value: 2.0}, {Key: "lat", Value: 0.0}}, bson.D{{Key: "lng", Value: 2.0}, {Key: "lat", Value: 2.0}}, bson.D{{Key: "lng", Value: 0.0}, {Key: "lat", Value: 2.0}}}}}}
	cases := []struct {
		name   string
		filter bson.D
		doc    bson.M
		want   bool
	}{
		{"near without distance", bson.D{{Key: "loc", Value: bson.D{{Key: "$nearSphere", Value: sfo}}}}, hnl, true},
		{"near needs a location", bson.D{{Key: "loc", Value: bson.D{{Key: "$nearSphere", Value: sfo}}}}, none, false},
		{"within 100 km", bson.D{{Key: "loc", Value: bson.D{{Key: "$nearSphere", Value: sfo}, {Key: "$maxDistance", Value: 100 / EarthRadiusKm}}}}, sf, true},
		{"beyond 100 km", bson.D{{Key: "loc", Value: bson.D{{Key: "$nearSphere", Value: sfo}, {Key: "$maxDistance", Value: 100 / EarthRadiusKm}}}}, sac, false},
		{"centerSphere", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$centerSphere", Value: bson.A{sfo, 3700 / EarthRadiusKm}}}}}}}, sac, true},
		{"centerSphere excludes", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$centerSphere", Value: bson.A{sfo, 3700 / EarthRadiusKm}}}}}}}, hnl, false},
		{"box", bson.D{{Key: "loc", Value: bson.D{{Key: "$within", Value: bson.D{{Key: "$box", Value: bson.A{pt(0, 0), pt(10, 10)}}}}}}}, bson.M{"loc": pt(1.5, 1.5)}, true},
		{"box edge", bson.D{{Key: "loc", Value: bson.D{{Key: "$within", Value: bson.D{{Key: "$box", Value: bson.A{pt(0, 0), pt(10, 10)}}}}}}}, bson.M{"loc": pt(10, 10)}, true},
		{"box swapped corners", bson.D{{Key: "loc", Value: bson.D{{Key: "$within", Value: bson.D{{Key: "$box", Value: bson.A{pt(10, 10), pt(0, 0)}}}}}}}, bson.M{"loc": pt(5, 5)}, true},
		{"box outside", bson.D{{Key: "loc", Value: bson.D{{Key: "$within", Value: bson.D{{Key: "$box", Value: bson.A{pt(0, 0), pt(10, 10)}}}}}}}, bson.M{"loc": pt(10.0001, 5)}, false},
		{"polygon inside", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: square}}}}}}, bson.M{"loc": pt(5, 5)}, true},
		{"polygon vertex", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: square}}}}}}, bson.M{"loc": pt(10, 10)}, true},
		{"polygon horizontal edge", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: square}}}}}}, bson.M{"loc": pt(5, 0)}, true},
		{"polygon vertical edge", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: square}}}}}}, bson.M{"loc": pt(10, 5)}, true},
		{"polygon outside", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: square}}}}}}, bson.M{"loc": pt(11, 5)}, false},
		{"triangle outside its hypotenuse", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: bson.A{pt(0, 0), pt(10, 0), pt(0, 10)}}}}}}}, bson.M{"loc": pt(6, 6)}, false},
		{"concave polygon notch", bson.D{{Key: "loc", Value: bson.D{{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: bson.A{pt(0, 0), pt(10, 0), pt(10, 10), pt(5, 2), pt(0, 10)}}}}}}}, bson.M{"loc": pt(5, 5)}, false},
		{"intersects polygon", bson.D{{Key: "shape", Value: bson.D{{Key: "$geoIntersects", Value: bson.D{{Key: "$geometry", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: pt(0.5, 0.5)}}}}}}}}, poly(pt(0, 0), pt(1, 0), pt(1, 1), pt(0, 1), pt(0, 0)), true},
		{"intersects outside", bson.D{{Key: "shape", Value: bson.D{{Key: "$geoIntersects", Value: bson.D{{Key: "$geometry", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: pt(1.5, 0.5)}}}}}}}}, poly(pt(0, 0), pt(1, 0), pt(1, 1), pt(0, 1), pt(0, 0)), false},
		{"intersects the flat form", bson.D{{Key: "shape", Value: bson.D{{Key: "$geoIntersects", Value: bson.D{{Key: "$geometry", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: pt(1, 1)}}}}}}}}, flat, true},
		// Great-circle edges: the edge from (-40, 40) to (40, 40) reaches 47.6°N at 0°E.
		{"geodesic edge bulge", bson.D{{Key: "shape", Value: bson.D{{Key: "$geoIntersects", Value: bson.D{{Key: "$geometry", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: pt(0, 47)}}}}}}}}, poly(pt(-40, 0), pt(40, 0), pt(40, 40), pt(-40, 40)), true},
		{"beyond the bulge", bson.D{{Key: "shape", Value: bson.D{{Key: "$geoIntersects", Value: bson.D{{Key: "$geometry", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: pt(0, 48)}}}}}}}}, poly(pt(-40, 0), pt(40, 0), pt(40, 40), pt(-40, 40)), false},
		{"geo in $or", bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "name", Value: "x"}}, bson.D{{Key: "loc", Value: bson.D{{Key: "$nearSphere", Value: sfo}, {Key: "$maxDistance", Value: 0.1}}}}}}}, sf, true},
		{"$elemMatch on sub-documents", bson.D{{Key: "parts", Value: bson.D{{Key: "$elemMatch", Value: bson.D{{Key: "k", Value: "a"}, {Key: "n", Value: bson.D{{Key: "$gt", Value: 1}}}}}}}}, bson.M{"parts": bson.A{bson.D{{Key: "k", Value: "a"}, {Key: "n", Value: 1}}, bson.D{{Key: "k", Value: "b"}, {Key: "n", Value: 2}}}}, false},
		{"$elemMatch on one sub-document", bson.D{{Key: "parts", Value: bson.D{{Key: "$elemMatch", Value: bson.D{{Key: "k", Value: "b"}, {Key: "n", Value: bson.D{{Key: "$gt", Value: 1}}}}}}}}, bson.M{"parts": bson.A{bson.D{{Key: "k", Value: "a"}, {Key: "n", Value: 1}}, bson.D{{Key: "k", Value: "b"}, {Key: "n", Value: 2}}}}, true},
	}
	for _, c := range cases {
		if got := Match(c.filter, c.doc); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSphereDistance(t *testing.T) {
	// SFO to Honolulu: about 3,860 km on Parse's 6371 km sphere.
	d := sphereDist(geoPoint{-122.3748889, 37.6189722}, geoPoint{-157.93, 21.35}) * EarthRadiusKm
	if math.Abs(d-3858) > 10 {
		t.Errorf("SFO-HNL %v km", d)
	}
	if d := sphereDist(geoPoint{0, 90}, geoPoint{0, -90}); math.Abs(d-math.Pi) > 1e-12 {
		t.Errorf("pole to pole %v", d)
	}
}

func geoClass() *schema.Class {
	c := schema.SystemClass("Place")
	c.Fields["loc"] = schema.Field{Type: schema.GeoPoint}
	c.Fields["shape"] = schema.Field{Type: schema.Polygon}
	c.Fields["name"] = schema.Field{Type: schema.String}
	return c
}

// TestTranslateGeoPerDatabase: what the database gets, and what the engine evaluates, per Caps.
func TestTranslateGeoPerDatabase(t *testing.T) {
	ferret := Caps{Name: "FerretDB"}
	near := map[string]any{"loc": map[string]any{"$nearSphere": restPt(40, -30), "$maxDistanceInKilometers": 100.0}, "name": "a"}
	box := map[string]any{"loc": map[string]any{"$within": map[string]any{"$box": []any{restPt(0, 0), restPt(10, 10)}}}}
	intersects := map[string]any{"shape": map[string]any{"$geoIntersects": map[string]any{"$point": restPt(1, 1)}}}
	cases := []struct {
		name       string
		caps       Caps
		where      map[string]any
		db, engine string
	}{
		{"MongoDB near", MongoDB, near, `{"loc":{"$nearSphere":[-30.0,40.0],"$maxDistance":0.01569612305760477},"name":"a"}`, `null`},
		{"FerretDB near", ferret, near, `{"loc.1":{"$gte":39.100678393081274,"$lte":40.899321606918726},"loc.0":{"$gte":-31.174014927583357,"$lte":-28.825985072416643},"name":"a"}`, `[{"loc":{"$nearSphere":[-30.0,40.0],"$maxDistance":0.01569612305760477}}]`},
		{"DocumentDB near", DocumentDB, near, `{"loc.1":{"$gte":39.100678393081274,"$lte":40.899321606918726},"loc.0":{"$gte":-31.174014927583357,"$lte":-28.825985072416643},"name":"a"}`, `[{"loc":{"$nearSphere":[-30.0,40.0],"$maxDistance":0.01569612305760477}}]`},
		{"MongoDB box", MongoDB, box, `{"loc":{"$within":{"$box":[[0.0,0.0],[10.0,10.0]]}}}`, `null`},
		{"DocumentDB box: an exact range, checked again by the engine", DocumentDB, box, `{"loc.1":{"$gte":-1E-09,"$lte":10.000000001},"loc.0":{"$gte":-1E-09,"$lte":10.000000001}}`, `[{"loc":{"$within":{"$box":[[0.0,0.0],[10.0,10.0]]}}}]`},
		{"DocumentDB intersects: GeoJSON to the database", DocumentDB, intersects, `{"shape":{"$geoIntersects":{"$geometry":{"type":"Point","coordinates":[1.0,1.0]}}}}`, `null`},
		{"FerretDB intersects: engine", ferret, intersects, `{}`, `[{"shape":{"$geoIntersects":{"$geometry":{"type":"Point","coordinates":[1.0,1.0]}}}}]`},
		{"FerretDB geo in $or: the whole $or to the engine", ferret, map[string]any{"$or": []any{box, map[string]any{"name": "z"}}}, `{}`, `[{"$or":[{"loc":{"$within":{"$box":[[0.0,0.0],[10.0,10.0]]}}},{"name":"z"}]}]`},
	}
	for _, c := range cases {
		tr := Translator{Class: geoClass(), Caps: c.caps}
		f, err := tr.Filter(context.Background(), c.where)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := toJSON(t, f); got != c.db {
			t.Errorf("%s: database filter\n got %s\nwant %s", c.name, got, c.db)
		}
		if got := toJSON(t, tr.Engine); got != c.engine {
			t.Errorf("%s: engine clauses\n got %s\nwant %s", c.name, got, c.engine)
		}
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	if d, ok := v.(bson.D); ok {
		b, err := bson.MarshalExtJSON(d, false, false)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if v == nil || (func() bool { e, ok := v.([]bson.D); return ok && e == nil })() {
		return "null"
	}
	b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return s[len(`{"v":`) : len(s)-1]
}

func TestTranslateGeoErrors(t *testing.T) {
	cases := []struct {
		name  string
		where map[string]any
		count bool
		code  int
	}{
		{"near in $or", map[string]any{"$or": []any{map[string]any{"loc": map[string]any{"$nearSphere": restPt(1, 1)}}}}, false, parse.InvalidQuery},
		{"two nears", map[string]any{"$and": []any{map[string]any{"loc": map[string]any{"$nearSphere": restPt(1, 1)}}, map[string]any{"loc": map[string]any{"$nearSphere": restPt(2, 2)}}}}, false, parse.InvalidQuery},
		{"polygon of 2", map[string]any{"loc": map[string]any{"$geoWithin": map[string]any{"$polygon": []any{restPt(1, 1), restPt(2, 2)}}}}, false, parse.InvalidJSON},
		{"polygon latitude out of bounds", map[string]any{"loc": map[string]any{"$geoWithin": map[string]any{"$polygon": []any{restPt(1, 1), restPt(91, 2), restPt(3, 3)}}}}, false, parse.InternalServerError},
		{"negative centerSphere", map[string]any{"loc": map[string]any{"$geoWithin": map[string]any{"$centerSphere": []any{restPt(1, 1), -1.0}}}}, false, parse.InvalidJSON},
		{"box of 1", map[string]any{"loc": map[string]any{"$within": map[string]any{"$box": []any{restPt(1, 1)}}}}, false, parse.InvalidJSON},
		{"bad $geoIntersects", map[string]any{"shape": map[string]any{"$geoIntersects": map[string]any{"$point": 1.0}}}, false, parse.InvalidJSON},
	}
	for _, c := range cases {
		tr := Translator{Class: geoClass(), Caps: MongoDB, Count: c.count}
		_, err := tr.Filter(context.Background(), c.where)
		pe, ok := parse.As(err)
		if !ok || pe.Code != c.code {
			t.Errorf("%s: %v, want code %d", c.name, err, c.code)
		}
	}
	// A count may have its near in an $or: it counts as $centerSphere there (Parse Server's count form).
	tr := Translator{Class: geoClass(), Caps: MongoDB, Count: true}
	f, err := tr.Filter(context.Background(), map[string]any{"$or": []any{map[string]any{"loc": map[string]any{"$nearSphere": restPt(1, 1), "$maxDistance": 0.5}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := toJSON(t, f); got != `{"$and":[{"$or":[{"loc":{"$geoWithin":{"$centerSphere":[[1.0,1.0],0.5]}}}]}]}` {
		t.Errorf("count form: %s", got)
	}
}

func TestCountFilter(t *testing.T) {
	f := bson.D{{Key: "loc", Value: bson.D{{Key: "$nearSphere", Value: pt(1, 2)}, {Key: "$maxDistance", Value: 0.1}}}, {Key: "$and", Value: bson.A{bson.D{{Key: "x", Value: 1}}}}}
	if got := toJSON(t, CountFilter(f)); got != `{"loc":{"$geoWithin":{"$centerSphere":[[1.0,2.0],0.1]}},"$and":[{"x":1}]}` {
		t.Errorf("CountFilter: %s", got)
	}
}

func TestSortDocs(t *testing.T) {
	docs := []bson.M{{"n": "b", "v": 2}, {"n": "a"}, {"n": "c", "v": "x"}, {"n": "d", "v": 1}, {"n": "e", "v": bson.A{5, 0}}}
	SortDocs(docs, bson.D{{Key: "v", Value: 1}}, nil)
	var got []string
	for _, d := range docs {
		got = append(got, d["n"].(string))
	}
	// missing < numbers (an array by its smallest element) < strings
	if want := "a e d b c"; join(got) != want {
		t.Errorf("ascending: %s, want %s", join(got), want)
	}
	SortDocs(docs, bson.D{{Key: "v", Value: -1}}, nil)
	got = got[:0]
	for _, d := range docs {
		got = append(got, d["n"].(string))
	}
	if want := "c e b d a"; join(got) != want {
		t.Errorf("descending: %s, want %s", join(got), want)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
