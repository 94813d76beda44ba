package query_test

// Fuzzing of the find parameters as they arrive from a client: a JSON object decoded with UseNumber
// (as the REST layer decodes bodies) goes through ParseFind, then the where clause through
// Translator.Filter (with a stub Resolver), the order through Sort and the keys through Projection.
// Nothing may panic; every refusal must be a *parse.Error (a Parse error code for the client, never a
// 500); what is accepted must be a filter the database driver can encode.
//
//	go test -run '^$' -fuzz FuzzFindParams -fuzztime 30s ./shared/query/

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
)

// fuzzResolver answers subqueries and relation lookups with fixed ids, and checks its inputs.
type fuzzResolver struct{ t *testing.T }

func (r fuzzResolver) Select(_ context.Context, class string, where map[string]any, key string) ([]any, error) {
	if class == "" || key == "" {
		r.t.Errorf("Select called with class %q key %q", class, key)
	}
	return []any{"abc", "_User$xyz", int32(1), nil}, nil
}

func (r fuzzResolver) RelatedIDs(_ context.Context, owningClass, key, owningID string) ([]string, error) {
	return []string{"r1", "r2"}, nil
}

func (r fuzzResolver) OwningIDs(_ context.Context, owningClass, key string, relatedIDs []string) ([]string, error) {
	return []string{"o1"}, nil
}

// fuzzClasses are a class with a field of every type, and _User (authData keys).
func fuzzClasses() []*schema.Class {
	game := schema.SystemClass("Game")
	if game.Fields == nil {
		game.Fields = map[string]schema.Field{}
	}
	for name, f := range map[string]schema.Field{
		"score": {Type: schema.Number}, "name": {Type: schema.String}, "flag": {Type: schema.Boolean},
		"when": {Type: schema.Date}, "obj": {Type: schema.Object}, "tags": {Type: schema.Array},
		"loc": {Type: schema.GeoPoint}, "pic": {Type: schema.File}, "blob": {Type: schema.Bytes},
		"area": {Type: schema.Polygon}, "owner": {Type: schema.Pointer, TargetClass: "_User"},
		"players": {Type: schema.Relation, TargetClass: "_User"},
	} {
		game.Fields[name] = f
	}
	return []*schema.Class{game, schema.SystemClass("_User")}
}

var fuzzFindSeeds = []string{
	`{}`,
	`{"where":{"score":{"$gt":10,"$lt":20}},"order":"-score,name","keys":"name,score","limit":10,"skip":5,"count":1}`,
	`{"where":"{\"name\":\"x\"}"}`,
	`{"where":"not json"}`,
	`{"where":[1,2]}`,
	`{"where":{"$or":[{"score":1},{"name":{"$regex":"^a","$options":"i"}}]}}`,
	`{"where":{"$and":[]}}`,
	`{"where":{"$nor":[{"flag":true}]}}`,
	`{"where":{"owner":{"__type":"Pointer","className":"_User","objectId":"abc"}}}`,
	`{"where":{"owner":{"$inQuery":{"className":"_User","where":{"username":"a"}}}}}`,
	`{"where":{"owner":{"$notInQuery":{"className":"1bad","where":{}}}}}`,
	`{"where":{"name":{"$select":{"query":{"className":"Team","where":{}},"key":"city"}}}}`,
	`{"where":{"name":{"$dontSelect":{"query":{"className":"Team"},"key":"city"}}}}`,
	`{"where":{"$relatedTo":{"object":{"__type":"Pointer","className":"Team","objectId":"t1"},"key":"players"}}}`,
	`{"where":{"players":{"__type":"Pointer","className":"_User","objectId":"u1"}}}`,
	`{"where":{"players":{"$in":[{"__type":"Pointer","className":"_User","objectId":"u1"}]}}}`,
	`{"where":{"when":{"$gt":{"$relativeTime":"3 days ago"}}}}`,
	`{"where":{"when":{"$lt":{"__type":"Date","iso":"2020-01-01T00:00:00.000Z"}}}}`,
	`{"where":{"createdAt":{"$gte":"2020-01-01T00:00:00Z"}}}`,
	`{"where":{"tags":{"$all":[{"$regex":"^a"},{"$regex":"^b"}]}}}`,
	`{"where":{"tags":{"$containedBy":["a","b"]}}}`,
	`{"where":{"tags":{"$all":["a",{"$regex":"b"}]}}}`,
	`{"where":{"loc":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":2},"$maxDistanceInKilometers":10}}}`,
	`{"where":{"loc":{"$within":{"$box":[{"__type":"GeoPoint","latitude":1,"longitude":2},{"__type":"GeoPoint","latitude":3,"longitude":4}]}}}}`,
	`{"where":{"loc":{"$geoWithin":{"$polygon":[[1,2],[3,4],[5,6]]}}}}`,
	`{"where":{"loc":{"$geoWithin":{"$centerSphere":[[1,2],0.1]}}}}`,
	`{"where":{"area":{"$geoIntersects":{"$point":{"__type":"GeoPoint","latitude":1,"longitude":2}}}}}`,
	`{"where":{"name":{"$text":{"$search":{"$term":"x"}}}}}`,
	`{"where":{"name":{"$exists":"yes"}}}`,
	`{"where":{"score":{"$in":{"a":1}}}}`,
	`{"where":{"score":{"$mod":[2,1]}}}`,
	`{"where":{"obj.a.b":1,"obj":{"x":{"__op":"Increment"}}}}`,
	`{"where":{"authData.anonymous.id":"x"}}`,
	`{"where":{"_hashed_password":"x"}}`,
	`{"where":{"bad-key":1}}`,
	`{"where":{"score":1e400}}`,
	`{"where":{"score":12345678901234567890}}`,
	`{"where":{"blob":{"__type":"Bytes","base64":"!!"}}}`,
	`{"where":{"name":{"__type":"Nope"}}}`,
	`{"where":{"obj":{"a$b":1}}}`,
	`{"where":{"obj":{"a\u0000b":1}}}`,
	`{"where":{"tags":{"$in":[{"k\u0000":1}]}}}`,
	`{"keys":"a\u0000b","order":"a\u0000b"}`,
	`{"order":["score","-name"],"keys":["a.b.c","objectId"],"include":"owner,owner.team,*","excludeKeys":"x"}`,
	`{"order":"$score,-bad key"}`,
	`{"order":123}`,
	`{"keys":[1]}`,
	`{"limit":"ten"}`,
	`{"limit":-5,"skip":-1}`,
	`{"skip":1.5,"limit":1e3}`,
	`{"count":"true","includeAll":true,"explain":true,"hint":"_id_"}`,
	`{"unknown":1}`,
	`{"where":{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"$or":[{"a":1}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}}`,
}

func FuzzFindParams(f *testing.F) {
	for _, s := range fuzzFindSeeds {
		f.Add(s)
	}
	classes := fuzzClasses()
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		d := json.NewDecoder(strings.NewReader(in))
		d.UseNumber()
		var params map[string]any
		if err := d.Decode(&params); err != nil || params == nil {
			return
		}
		requireParseError := func(what string, err error) {
			t.Helper()
			if err == nil {
				return
			}
			if _, ok := parse.As(err); !ok {
				t.Fatalf("%s: %T %v is not a *parse.Error (input %s)", what, err, err, in)
			}
		}
		opts, err := query.ParseFind(params)
		requireParseError("ParseFind", err)
		_, gerr := query.ParseGet(params)
		requireParseError("ParseGet", gerr)
		if err != nil {
			return
		}
		for _, cls := range classes {
			for _, caps := range []query.Caps{query.MongoDB, {Name: "FerretDB"}} {
				tr := query.Translator{Class: cls, Resolver: fuzzResolver{t}, Caps: caps, Now: func() time.Time { return now }}
				filter, err := tr.Filter(context.Background(), opts.Where)
				requireParseError("Filter", err)
				if err == nil {
					if _, merr := bson.Marshal(filter); merr != nil {
						t.Fatalf("Filter answered a filter the driver cannot encode: %v\nfilter %v\ninput %s", merr, filter, in)
					}
					for _, e := range tr.Engine {
						query.Match(e, bson.M{"_id": "abc", "score": int32(3), "tags": bson.A{"a", "b"}, "name": "x"})
					}
				}
				sort, err := query.Sort(cls, opts.Order)
				requireParseError("Sort", err)
				if err == nil && sort != nil {
					if _, merr := bson.Marshal(sort); merr != nil {
						t.Fatalf("Sort answered a spec the driver cannot encode: %v (input %s)", merr, in)
					}
				}
				if p := query.Projection(cls, opts.Keys); p != nil {
					if _, merr := bson.Marshal(p); merr != nil {
						t.Fatalf("Projection answered a spec the driver cannot encode: %v (input %s)", merr, in)
					}
				}
			}
		}
	})
}
