package rest_test

// Benchmarks of the queries the engine evaluates on the embedded database (FerretDB evaluates neither
// $nearSphere nor $text): a geo query (near + withinKilometers) and a text query (fullText), at 1k and
// 10k objects, through the HTTP handler. They run only with -bench:
//
//	go test ./shared/rest/ -run '^$' -bench BenchmarkEngineQueries -benchtime 2s

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
)

var benchWords = strings.Fields(`apple banana cherry delta echo falcon garden harbor island jungle kettle lemon
	mountain nectar ocean pepper quartz river sunset tiger umbrella valley willow xenon yellow zebra
	anchor breeze canyon dune ember forest glacier horizon iris jasmine kayak lantern meadow north
	orchard prairie quiet rain summit thunder`)

// seedPlaces creates n Place objects (loc: a GeoPoint in a 10°×10° square; title: five words) with one
// create through the API, for the schema, and InsertMany of copies of its stored document.
func seedPlaces(b *testing.B, n int) *apptest.Env {
	b.Helper()
	env := apptest.New(b, nil)
	id := env.MustCreate("Place", obj{"title": "apple banana", "loc": gp(0, 0)})
	coll := env.DB.Collection("Place")
	var proto bson.M
	if err := coll.FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&proto); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	docs := make([]any, 0, n-1)
	for i := 1; i < n; i++ {
		d := bson.M{}
		for k, v := range proto {
			d[k] = v
		}
		d["_id"] = fmt.Sprintf("b%09d", i)
		d["loc"] = bson.A{rng.Float64()*10 - 5, rng.Float64()*10 - 5} // [longitude, latitude]
		words := make([]string, 5)
		for j := range words {
			words[j] = benchWords[rng.IntN(len(benchWords))]
		}
		d["title"] = strings.Join(words, " ")
		docs = append(docs, d)
	}
	if _, err := coll.InsertMany(context.Background(), docs); err != nil {
		b.Fatal(err)
	}
	return env
}

func benchFind(b *testing.B, env *apptest.Env, where string, params url.Values) {
	b.Helper()
	if params == nil {
		params = url.Values{}
	}
	params.Set("where", where)
	path := env.Config.MountPath + "/classes/Place?" + params.Encode()
	// one request checked outside the timing
	rec := httptest.NewRecorder()
	env.Handler.ServeHTTP(rec, benchReq(env, path))
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", where, rec.Code, rec.Body.Bytes())
	}
	if !strings.Contains(rec.Body.String(), `"objectId"`) || params.Get("keys") != "" && !strings.Contains(rec.Body.String(), `"score"`) {
		b.Fatalf("%s: no results: %s", where, rec.Body.Bytes())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		env.Handler.ServeHTTP(rec, benchReq(env, path))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
		}
	}
}

func benchReq(env *apptest.Env, path string) *http.Request {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("X-Parse-Application-Id", env.Config.AppID)
	req.Header.Set("X-Parse-Master-Key", env.Config.MasterKey)
	return req
}

func BenchmarkEngineQueries(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		env := seedPlaces(b, n)
		// near (0,0) within 200 km, sorted by distance (the JS SDK's withinKilometers with sorted)
		b.Run(fmt.Sprintf("geo_near_withinKilometers/n=%d", n), func(b *testing.B) {
			benchFind(b, env, `{"loc":{"$nearSphere":{"__type":"GeoPoint","latitude":0,"longitude":0},"$maxDistanceInKilometers":200}}`, nil)
		})
		// fullText on one word (about a tenth of the objects have it), default limit 100: the read stops
		// once 100 match
		b.Run(fmt.Sprintf("text_fullText/n=%d", n), func(b *testing.B) {
			benchFind(b, env, `{"title":{"$text":{"$search":{"$term":"harbor"}}}}`, nil)
		})
		// the same, ordered by the text score: every candidate is scored
		b.Run(fmt.Sprintf("text_fullText_by_score/n=%d", n), func(b *testing.B) {
			benchFind(b, env, `{"title":{"$text":{"$search":{"$term":"harbor"}}}}`, url.Values{"order": {"$score"}, "keys": {"title,$score"}})
		})
	}
}
