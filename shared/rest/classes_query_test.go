package rest_test

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

func date(iso string) obj { return obj{"__type": "Date", "iso": iso} }

// queryWorld is a small read-only data set shared by the query tests.
type queryWorld struct {
	env *apptest.Env
	ids map[string]string // name → objectId
}

func newQueryWorld(t *testing.T, mod func(*config.Config)) *queryWorld {
	t.Helper()
	env := apptest.New(t, mod)
	now := time.Now().UTC()
	insert(t, env, "_User",
		bson.D{{Key: "_id", Value: "u1"}, {Key: "username", Value: "alice"}, {Key: "_hashed_password", Value: "$2a$10$x"}, {Key: "_rperm", Value: bson.A{"*", "u1"}}, {Key: "_wperm", Value: bson.A{"u1"}}, {Key: "_created_at", Value: bson.NewDateTimeFromTime(now)}, {Key: "_updated_at", Value: bson.NewDateTimeFromTime(now)}},
		bson.D{{Key: "_id", Value: "u2"}, {Key: "username", Value: "bob"}, {Key: "_rperm", Value: bson.A{"u2"}}, {Key: "_wperm", Value: bson.A{"u2"}}, {Key: "_created_at", Value: bson.NewDateTimeFromTime(now)}, {Key: "_updated_at", Value: bson.NewDateTimeFromTime(now)}},
	)
	w := &queryWorld{env: env, ids: map[string]string{}}
	for _, g := range []obj{
		{"name": "alpha", "score": 10, "tags": arr{"a", "b"}, "active": true, "owner": ptr("_User", "u1"), "when": date("2020-01-01T00:00:00.000Z"), "stats": obj{"wins": 3}, "loc": obj{"__type": "GeoPoint", "latitude": 40, "longitude": -30}},
		{"name": "beta", "score": 20, "tags": arr{"b", "c"}, "active": false, "owner": ptr("_User", "u2"), "when": date("2021-06-01T00:00:00.000Z"), "stats": obj{"wins": 1}},
		{"name": "gamma", "score": 30, "tags": arr{"c"}, "active": true, "owner": ptr("_User", "u1"), "loc": obj{"__type": "GeoPoint", "latitude": 10, "longitude": 10}},
		{"name": "Delta", "score": 20, "tags": arr{}},
		{"name": "eps", "score": 5.5, "active": false, "tags": arr{"a"}},
	} {
		w.ids[g["name"].(string)] = env.MustCreate("Game", g)
	}
	env.MustCreate("Team", obj{"gameName": "beta", "lead": ptr("_User", "u1")})
	env.MustCreate("Team", obj{"gameName": "gamma", "lead": ptr("_User", "u2")})
	return w
}

// names maps results to their names, sorted unless ordered.
func names(rs []map[string]any, ordered bool) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprint(r["name"])
	}
	if !ordered {
		sort.Strings(out)
	}
	return out
}

type queryCase struct {
	name    string
	params  obj      // find parameters (where, order, ...)
	want    []string // names; sorted unless ordered
	ordered bool
	status  int // for errors
	code    int
	session string
}

func (w *queryWorld) run(t *testing.T, cases []queryCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := obj{"_method": "GET"}
			for k, v := range c.params {
				body[k] = expandBody(v, w.ids)
			}
			r := w.env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Body: body, Session: c.session})
			if c.code != 0 {
				if r.Status != c.status || r.Code() != c.code {
					t.Fatalf("where %s: %d %s, want %d code %d", mustJSON(c.params), r.Status, r.Raw, c.status, c.code)
				}
				return
			}
			if r.Status != 200 {
				t.Fatalf("where %s: %d %s", mustJSON(c.params), r.Status, r.Raw)
			}
			want := append([]string{}, c.want...)
			if !c.ordered {
				sort.Strings(want)
			}
			if want == nil {
				want = []string{}
			}
			eq(t, "names", names(r.Results(), c.ordered), want)
		})
	}
}

func where(w obj) obj { return obj{"where": w} }

func TestQueryComparisonOperators(t *testing.T) {
	w := newQueryWorld(t, nil)
	w.run(t, []queryCase{
		{name: "no where", params: obj{}, want: []string{"alpha", "beta", "gamma", "Delta", "eps"}},
		{name: "empty where", params: where(obj{}), want: []string{"alpha", "beta", "gamma", "Delta", "eps"}},
		{name: "equality string", params: where(obj{"name": "beta"}), want: []string{"beta"}},
		{name: "equality number", params: where(obj{"score": 20}), want: []string{"beta", "Delta"}},
		{name: "equality float", params: where(obj{"score": 5.5}), want: []string{"eps"}},
		{name: "equality boolean", params: where(obj{"active": false}), want: []string{"beta", "eps"}},
		{name: "equality null matches missing", params: where(obj{"when": nil}), want: []string{"gamma", "Delta", "eps"}},
		{name: "$eq", params: where(obj{"name": obj{"$eq": "gamma"}}), want: []string{"gamma"}},
		{name: "$lt", params: where(obj{"score": obj{"$lt": 20}}), want: []string{"alpha", "eps"}},
		{name: "$lte", params: where(obj{"score": obj{"$lte": 20}}), want: []string{"alpha", "beta", "Delta", "eps"}},
		{name: "$gt", params: where(obj{"score": obj{"$gt": 20}}), want: []string{"gamma"}},
		{name: "$gte", params: where(obj{"score": obj{"$gte": 20}}), want: []string{"beta", "gamma", "Delta"}},
		{name: "range", params: where(obj{"score": obj{"$gt": 5.5, "$lt": 30}}), want: []string{"alpha", "beta", "Delta"}},
		{name: "$lt on strings", params: where(obj{"name": obj{"$lt": "beta"}}), want: []string{"alpha", "Delta"}},
		{name: "$ne", params: where(obj{"score": obj{"$ne": 20}}), want: []string{"alpha", "gamma", "eps"}},
		{name: "$ne null", params: where(obj{"owner": obj{"$ne": nil}}), want: []string{"alpha", "beta", "gamma"}},
		{name: "$in", params: where(obj{"name": obj{"$in": arr{"alpha", "eps", "zeta"}}}), want: []string{"alpha", "eps"}},
		{name: "$in empty", params: where(obj{"name": obj{"$in": arr{}}}), want: nil},
		{name: "$nin", params: where(obj{"score": obj{"$nin": arr{20, 30}}}), want: []string{"alpha", "eps"}},
		{name: "$exists true", params: where(obj{"when": obj{"$exists": true}}), want: []string{"alpha", "beta"}},
		{name: "$exists false", params: where(obj{"when": obj{"$exists": false}}), want: []string{"gamma", "Delta", "eps"}},
		{name: "date $lt", params: where(obj{"when": obj{"$lt": date("2021-01-01T00:00:00.000Z")}}), want: []string{"alpha"}},
		{name: "date equality", params: where(obj{"when": date("2021-06-01T00:00:00.000Z")}), want: []string{"beta"}},
		{name: "createdAt $lte now", params: where(obj{"createdAt": obj{"$lte": date(time.Now().Add(time.Minute).UTC().Format(time.RFC3339))}}), want: []string{"alpha", "beta", "gamma", "Delta", "eps"}},
		{name: "createdAt $gt the future", params: where(obj{"updatedAt": obj{"$gt": date("2999-01-01T00:00:00.000Z")}}), want: nil},
		{name: "objectId equality", params: where(obj{"objectId": "{{gamma}}"}), want: []string{"gamma"}},
		{name: "objectId $in", params: where(obj{"objectId": obj{"$in": arr{"{{alpha}}", "{{Delta}}", "nope"}}}), want: []string{"alpha", "Delta"}},
		{name: "objectId $nin", params: where(obj{"objectId": obj{"$nin": arr{"{{alpha}}", "{{Delta}}"}}}), want: []string{"beta", "gamma", "eps"}},
		{name: "dotted key", params: where(obj{"stats.wins": obj{"$gt": 2}}), want: []string{"alpha"}},
		{name: "dotted key equality", params: where(obj{"stats.wins": 1}), want: []string{"beta"}},
		{name: "where as a JSON string", params: obj{"where": `{"name":"beta"}`}, want: []string{"beta"}},
		{name: "$in not an array", params: where(obj{"name": obj{"$in": "alpha"}}), status: 400, code: 107},
		{name: "$exists not a boolean", params: where(obj{"name": obj{"$exists": "yes"}}), status: 400, code: 107},
		{name: "operator object as a value", params: where(obj{"score": obj{"$lt": obj{"__op": "Increment"}}}), status: 400, code: 107},
		{name: "bad key", params: where(obj{"bad-key": 1}), status: 400, code: 105},
	})
}

func TestQueryArraysAndPointers(t *testing.T) {
	w := newQueryWorld(t, nil)
	w.run(t, []queryCase{
		{name: "equality on an array element", params: where(obj{"tags": "c"}), want: []string{"beta", "gamma"}},
		{name: "$in on array elements", params: where(obj{"tags": obj{"$in": arr{"a"}}}), want: []string{"alpha", "eps"}},
		{name: "$nin on array elements", params: where(obj{"tags": obj{"$nin": arr{"a", "b"}}}), want: []string{"gamma", "Delta"}},
		{name: "$all", params: where(obj{"tags": obj{"$all": arr{"a", "b"}}}), want: []string{"alpha"}},
		{name: "$all one", params: where(obj{"tags": obj{"$all": arr{"c"}}}), want: []string{"beta", "gamma"}},
		{name: "$all starting with", params: where(obj{"tags": obj{"$all": arr{obj{"$regex": "^a"}, obj{"$regex": "^b"}}}}), want: []string{"alpha"}},
		{name: "$all mixing regexes and values", params: where(obj{"tags": obj{"$all": arr{obj{"$regex": "^a"}, "b"}}}), status: 400, code: 107},
		{name: "$all not an array", params: where(obj{"tags": obj{"$all": "a"}}), status: 400, code: 107},
		{name: "$containedBy", params: where(obj{"tags": obj{"$containedBy": arr{"a", "b"}}}), want: []string{"alpha", "Delta", "eps"}},
		{name: "$containedBy with other clauses", params: where(obj{"tags": obj{"$containedBy": arr{"a", "b", "c"}}, "score": obj{"$gte": 20}}), want: []string{"beta", "gamma", "Delta"}},
		{name: "$containedBy in $or", params: where(obj{"$or": arr{obj{"tags": obj{"$containedBy": arr{"c"}}}, obj{"name": "alpha"}}}), want: []string{"alpha", "gamma", "Delta"}},
		{name: "$containedBy not an array", params: where(obj{"tags": obj{"$containedBy": "a"}}), status: 400, code: 107},
		{name: "pointer equality", params: where(obj{"owner": ptr("_User", "u1")}), want: []string{"alpha", "gamma"}},
		{name: "pointer $in", params: where(obj{"owner": obj{"$in": arr{ptr("_User", "u2")}}}), want: []string{"beta"}},
		{name: "pointer $ne", params: where(obj{"owner": obj{"$ne": ptr("_User", "u1")}}), want: []string{"beta", "Delta", "eps"}},
		{name: "pointer $nin", params: where(obj{"owner": obj{"$nin": arr{ptr("_User", "u1")}}}), want: []string{"beta", "Delta", "eps"}},
		{name: "pointer $exists false", params: where(obj{"owner": obj{"$exists": false}}), want: []string{"Delta", "eps"}},
		{name: "pointer $exists true", params: where(obj{"owner": obj{"$exists": true}}), want: []string{"alpha", "beta", "gamma"}},
	})
}

func TestQueryRegexAndLogic(t *testing.T) {
	w := newQueryWorld(t, nil)
	w.run(t, []queryCase{
		{name: "$regex", params: where(obj{"name": obj{"$regex": "^al"}}), want: []string{"alpha"}},
		{name: "$regex is case sensitive", params: where(obj{"name": obj{"$regex": "^d"}}), want: nil},
		{name: "$regex with i", params: where(obj{"name": obj{"$regex": "^d", "$options": "i"}}), want: []string{"Delta"}},
		{name: "$regex quoted prefix (JS SDK startsWith)", params: where(obj{"name": obj{"$regex": `^\Qbe\E`}}), want: []string{"beta"}},
		{name: "$regex ends with", params: where(obj{"name": obj{"$regex": `a$`}}), want: []string{"alpha", "beta", "gamma", "Delta"}},
		{name: "$regex on array elements", params: where(obj{"tags": obj{"$regex": "^c"}}), want: []string{"beta", "gamma"}},
		{name: "$regex not a string", params: where(obj{"name": obj{"$regex": 1}}), status: 400, code: 102},
		{name: "$options unknown", params: where(obj{"name": obj{"$regex": "a", "$options": "q"}}), status: 400, code: 102},
		{name: "$options without $regex", params: where(obj{"name": obj{"$options": "i"}}), status: 400, code: 102},
		{name: "$or", params: where(obj{"$or": arr{obj{"name": "alpha"}, obj{"score": obj{"$gt": 25}}}}), want: []string{"alpha", "gamma"}},
		{name: "$or with a sibling clause", params: where(obj{"active": true, "$or": arr{obj{"name": "alpha"}, obj{"name": "beta"}}}), want: []string{"alpha"}},
		{name: "$and", params: where(obj{"$and": arr{obj{"score": obj{"$gte": 10}}, obj{"score": obj{"$lte": 20}}}}), want: []string{"alpha", "beta", "Delta"}},
		{name: "$nor", params: where(obj{"$nor": arr{obj{"active": true}}}), want: []string{"beta", "Delta", "eps"}},
		{name: "$or inside $and", params: where(obj{"$and": arr{obj{"$or": arr{obj{"tags": "a"}, obj{"tags": "c"}}}, obj{"score": obj{"$lt": 25}}}}), want: []string{"alpha", "beta", "eps"}},
		{name: "$or not an array", params: where(obj{"$or": obj{"name": "alpha"}}), status: 400, code: 102},
		{name: "$or empty", params: where(obj{"$or": arr{}}), status: 400, code: 102},
		{name: "$or of non-objects", params: where(obj{"$or": arr{"alpha"}}), status: 400, code: 102},
	})
}

func TestQueryRelativeTime(t *testing.T) {
	w := newQueryWorld(t, nil)
	rt := func(s string) obj { return obj{"$relativeTime": s} }
	w.run(t, []queryCase{
		{name: "ago", params: where(obj{"when": obj{"$lt": rt("1 day ago")}}), want: []string{"alpha", "beta"}},
		{name: "ago with several units", params: where(obj{"when": obj{"$gte": rt("2 years 3 weeks ago")}}), want: nil},
		{name: "in the future", params: where(obj{"createdAt": obj{"$lt": rt("in 1 hour")}}), want: []string{"alpha", "beta", "gamma", "Delta", "eps"}},
		{name: "now", params: where(obj{"createdAt": obj{"$gt": rt("now")}}), want: nil},
		{name: "on a non-date field", params: where(obj{"score": obj{"$lt": rt("1 day ago")}}), status: 400, code: 107},
		{name: "with $ne", params: where(obj{"when": obj{"$ne": rt("1 day ago")}}), status: 400, code: 107},
		{name: "neither in nor ago", params: where(obj{"when": obj{"$lt": rt("3 days")}}), status: 400, code: 107},
		{name: "both in and ago", params: where(obj{"when": obj{"$lt": rt("in 3 days ago")}}), status: 400, code: 107},
		{name: "unknown unit", params: where(obj{"when": obj{"$lt": rt("3 fortnights ago")}}), status: 400, code: 107},
		{name: "not a number", params: where(obj{"when": obj{"$lt": rt("x days ago")}}), status: 400, code: 107},
	})
}

func TestQuerySubqueries(t *testing.T) {
	w := newQueryWorld(t, nil)
	sub := func(class string, wh obj) obj { return obj{"className": class, "where": wh} }
	w.run(t, []queryCase{
		{name: "$select", params: where(obj{"name": obj{"$select": obj{"query": sub("Team", obj{}), "key": "gameName"}}}), want: []string{"beta", "gamma"}},
		{name: "$select with a where", params: where(obj{"name": obj{"$select": obj{"query": sub("Team", obj{"lead": ptr("_User", "u2")}), "key": "gameName"}}}), want: []string{"gamma"}},
		{name: "$select of a pointer key", params: where(obj{"owner": obj{"$select": obj{"query": sub("Team", obj{"gameName": "gamma"}), "key": "lead"}}}), want: []string{"beta"}},
		{name: "$dontSelect", params: where(obj{"name": obj{"$dontSelect": obj{"query": sub("Team", obj{}), "key": "gameName"}}}), want: []string{"alpha", "Delta", "eps"}},
		{name: "$select without key", params: where(obj{"name": obj{"$select": obj{"query": sub("Team", obj{})}}}), status: 400, code: 102},
		{name: "$select without className", params: where(obj{"name": obj{"$select": obj{"query": obj{"where": obj{}}, "key": "gameName"}}}), status: 400, code: 102},
		{name: "$select from a bad class", params: where(obj{"name": obj{"$select": obj{"query": sub("1x", obj{}), "key": "gameName"}}}), status: 400, code: 103},
		{name: "$inQuery", params: where(obj{"owner": obj{"$inQuery": sub("_User", obj{"username": "alice"})}}), want: []string{"alpha", "gamma"}},
		{name: "$inQuery with an empty where (bob is private)", params: where(obj{"owner": obj{"$inQuery": sub("_User", obj{})}}), want: []string{"alpha", "gamma"}},
		{name: "$notInQuery", params: where(obj{"owner": obj{"$notInQuery": sub("_User", obj{"username": "alice"})}}), want: []string{"beta", "Delta", "eps"}},
		{name: "$inQuery without className", params: where(obj{"owner": obj{"$inQuery": obj{"where": obj{}}}}), status: 400, code: 102},
		{name: "$inQuery not an object", params: where(obj{"owner": obj{"$inQuery": "x"}}), status: 400, code: 102},
		{name: "$inQuery with a bad inner where", params: where(obj{"owner": obj{"$inQuery": sub("_User", obj{"username": obj{"$bad": 1}})}}), status: 400, code: 107},
		{name: "$relatedTo without key", params: where(obj{"$relatedTo": obj{"object": ptr("Team", "x")}}), status: 400, code: 107},
		{name: "$relatedTo with a non-pointer", params: where(obj{"$relatedTo": obj{"object": "x", "key": "players"}}), status: 400, code: 107},
		// Subqueries run with the caller's rights: bob's user is private, so an anonymous caller's
		// $inQuery does not see him.
		{name: "$inQuery respects ACLs of the inner class", params: where(obj{"owner": obj{"$inQuery": sub("_User", obj{"username": "bob"})}}), want: nil},
	})
}

func TestQueryOrderSkipLimitCount(t *testing.T) {
	w := newQueryWorld(t, nil)
	w.run(t, []queryCase{
		{name: "order asc", params: obj{"order": "score,name"}, want: []string{"eps", "alpha", "Delta", "beta", "gamma"}, ordered: true},
		{name: "order desc", params: obj{"order": "-score,name"}, want: []string{"gamma", "Delta", "beta", "alpha", "eps"}, ordered: true},
		{name: "order two keys mixed", params: obj{"order": "score,-name"}, want: []string{"eps", "alpha", "beta", "Delta", "gamma"}, ordered: true},
		{name: "order by name", params: obj{"order": "name"}, want: []string{"Delta", "alpha", "beta", "eps", "gamma"}, ordered: true},
		{name: "order as an array", params: obj{"order": arr{"-score", "name"}}, want: []string{"gamma", "Delta", "beta", "alpha", "eps"}, ordered: true},
		{name: "order with a dotted key", params: obj{"order": "-stats.wins", "where": obj{"stats": obj{"$exists": true}}}, want: []string{"alpha", "beta"}, ordered: true},
		{name: "skip and limit", params: obj{"order": "name", "skip": 1, "limit": 2}, want: []string{"alpha", "beta"}, ordered: true},
		{name: "skip past the end", params: obj{"order": "name", "skip": 10}, want: nil},
		{name: "limit 0", params: obj{"limit": 0}, want: nil},
		{name: "skip with $containedBy (engine path)", params: obj{"order": "name", "skip": 1, "limit": 1, "where": obj{"tags": obj{"$containedBy": arr{"a", "b"}}}}, want: []string{"alpha"}, ordered: true},
		{name: "order by a bad key", params: obj{"order": "$where"}, status: 400, code: 105},
		{name: "negative skip", params: obj{"skip": -1}, status: 400, code: 102},
		{name: "limit not a number", params: obj{"limit": "many"}, status: 400, code: 102},
		{name: "keys not a string", params: obj{"keys": 3}, status: 400, code: 102},
		{name: "unknown option", params: obj{"sort": "name"}, status: 400, code: 102},
	})
	t.Run("count", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			params  obj
			count   float64
			results int
		}{
			{obj{"count": 1}, 5, 5},
			{obj{"count": 1, "limit": 0}, 5, 0},
			{obj{"count": true, "limit": 0, "where": obj{"score": 20}}, 2, 0},
			{obj{"count": 1, "skip": 2, "limit": 1}, 5, 1},
			{obj{"count": 1, "limit": 0, "where": obj{"tags": obj{"$containedBy": arr{"a"}}}}, 2, 0},
		} {
			body := obj{"_method": "GET"}
			for k, v := range c.params {
				body[k] = v
			}
			r := w.env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Body: body})
			if r.Status != 200 || r.Map()["count"] != c.count || len(r.Results()) != c.results {
				t.Errorf("%s: %d %s, want count %v and %d results", mustJSON(c.params), r.Status, r.Raw, c.count, c.results)
			}
		}
		r := w.env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"_method": "GET"}})
		if _, ok := r.Map()["count"]; ok {
			t.Errorf("count given without asking: %s", r.Raw)
		}
	})
	t.Run("query string", func(t *testing.T) {
		t.Parallel()
		q := url.Values{}
		q.Set("where", `{"score":{"$gte":20}}`)
		q.Set("order", "-score,name")
		q.Set("limit", "2")
		q.Set("count", "1")
		r := w.env.Do(apptest.Req{Path: "/classes/Game?" + q.Encode()})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		eq(t, "names", names(r.Results(), true), []string{"gamma", "Delta"})
		eq(t, "count", r.Map()["count"], 3)
	})
}

func TestQueryLimits(t *testing.T) {
	t.Parallel()
	// 105 objects written in one insertMany, in Parse Server's stored form.
	seed := func(t *testing.T, env *apptest.Env) {
		t.Helper()
		insert(t, env, "_SCHEMA", bson.D{{Key: "_id", Value: "Item"}, {Key: "objectId", Value: "string"}, {Key: "createdAt", Value: "date"}, {Key: "updatedAt", Value: "date"}, {Key: "n", Value: "number"}})
		docs := make([]any, 105)
		now := bson.NewDateTimeFromTime(time.Now())
		for i := range docs {
			docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("item%06d", i)}, {Key: "n", Value: int32(i)}, {Key: "_created_at", Value: now}, {Key: "_updated_at", Value: now}}
		}
		if _, err := env.DB.Collection("Item").InsertMany(context.Background(), docs); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name   string
		mod    func(*config.Config)
		params obj
		want   int
	}{
		{"default limit 100", nil, obj{}, 100},
		{"explicit limit above the default", nil, obj{"limit": 105}, 105},
		{"explicit small limit", nil, obj{"limit": 7}, 7},
		{"configured default limit", func(c *config.Config) { c.DefaultLimit = 3 }, obj{}, 3},
		{"max limit caps an explicit limit", func(c *config.Config) { c.MaxLimit = 4 }, obj{"limit": 50}, 4},
		{"max limit caps the default", func(c *config.Config) { c.MaxLimit = 4 }, obj{}, 4},
		{"max limit on the engine path", func(c *config.Config) { c.MaxLimit = 4 }, obj{"where": obj{"n": obj{"$containedBy": arr{1, 2, 3, 4, 5, 6}}}}, 4},
		{"default limit with count", nil, obj{"count": 1}, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := apptest.New(t, c.mod)
			seed(t, env)
			body := obj{"_method": "GET", "order": "n"}
			for k, v := range c.params {
				body[k] = v
			}
			r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Body: body})
			if r.Status != 200 || len(r.Results()) != c.want {
				t.Fatalf("%d results (status %d), want %d", len(r.Results()), r.Status, c.want)
			}
			if first := r.Results()[0]["n"]; first != float64(0) {
				t.Errorf("first n = %v", first)
			}
			if c.params["count"] != nil && r.Map()["count"] != float64(105) {
				t.Errorf("count %v", r.Map()["count"])
			}
		})
	}
}

func TestQueryKeysAndInclude(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	now := bson.NewDateTimeFromTime(time.Now())
	insert(t, env, "_User",
		bson.D{{Key: "_id", Value: "u1"}, {Key: "username", Value: "alice"}, {Key: "email", Value: "a@x.org"}, {Key: "_hashed_password", Value: "$2a$10$x"}, {Key: "_rperm", Value: bson.A{"*", "u1"}}, {Key: "_wperm", Value: bson.A{"u1"}}, {Key: "_created_at", Value: now}, {Key: "_updated_at", Value: now}},
		bson.D{{Key: "_id", Value: "u2"}, {Key: "username", Value: "bob"}, {Key: "_rperm", Value: bson.A{"u2"}}, {Key: "_wperm", Value: bson.A{"u2"}}, {Key: "_created_at", Value: now}, {Key: "_updated_at", Value: now}},
	)
	org := env.MustCreate("Org", obj{"title": "acme", "size": 3})
	post := env.MustCreate("Post", obj{"title": "hello", "body": "long text", "author": ptr("_User", "u1"), "org": ptr("Org", org)})
	c1 := env.MustCreate("Comment", obj{"text": "c1", "votes": 2, "post": ptr("Post", post), "by": ptr("_User", "u1"), "refs": arr{ptr("Org", org), ptr("Org", org)}, "meta": obj{"a": 1, "b": 2}})

	q := func(params obj, session string) map[string]any {
		t.Helper()
		body := obj{"_method": "GET"}
		for k, v := range params {
			body[k] = v
		}
		r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Comment", Body: body, Session: session})
		if r.Status != 200 || len(r.Results()) != 1 {
			t.Fatalf("%s: %d %s", mustJSON(params), r.Status, r.Raw)
		}
		return r.Results()[0]
	}
	keysOf := func(m any) []string {
		mm, _ := m.(map[string]any)
		out := []string{}
		for k := range mm {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	std := []string{"createdAt", "objectId", "updatedAt"}
	withStd := func(ks ...string) []string {
		out := append(append([]string{}, std...), ks...)
		sort.Strings(out)
		return out
	}

	t.Run("keys", func(t *testing.T) {
		eq(t, "keys text", keysOf(q(obj{"keys": "text"}, "")), withStd("text"))
		eq(t, "keys text,votes", keysOf(q(obj{"keys": "text,votes"}, "")), withStd("text", "votes"))
		eq(t, "keys of a pointer", q(obj{"keys": "post"}, "")["post"], ptr("Post", post))
		eq(t, "keys objectId only", keysOf(q(obj{"keys": "objectId"}, "")), std)
		eq(t, "keys missing field", keysOf(q(obj{"keys": "nothing"}, "")), std)
	})
	t.Run("excludeKeys", func(t *testing.T) {
		eq(t, "excludeKeys", keysOf(q(obj{"excludeKeys": "votes,refs,meta"}, "")), withStd("by", "post", "text"))
		eq(t, "excludeKeys with keys", keysOf(q(obj{"keys": "text,votes", "excludeKeys": "votes"}, "")), withStd("text"))
	})
	t.Run("include one level", func(t *testing.T) {
		p := q(obj{"include": "post"}, "")["post"].(map[string]any)
		eq(t, "__type", p["__type"], "Object")
		eq(t, "className", p["className"], "Post")
		eq(t, "objectId", p["objectId"], post)
		eq(t, "title", p["title"], "hello")
		eq(t, "author stays a pointer", p["author"], ptr("_User", "u1"))
	})
	t.Run("include two levels", func(t *testing.T) {
		p := q(obj{"include": "post.author,post.org"}, "")["post"].(map[string]any)
		a := p["author"].(map[string]any)
		eq(t, "author", a["username"], "alice")
		eq(t, "author className", a["className"], "_User")
		for _, k := range []string{"password", "_hashed_password", "authData", "sessionToken"} {
			if _, ok := a[k]; ok {
				t.Errorf("included user carries %s", k)
			}
		}
		eq(t, "org", field(p, "org.title"), "acme")
	})
	t.Run("include as an array", func(t *testing.T) {
		p := q(obj{"include": arr{"post", "by"}}, "")
		eq(t, "post", field(p, "post.title"), "hello")
		eq(t, "by", field(p, "by.username"), "alice")
	})
	t.Run("include *", func(t *testing.T) {
		c := q(obj{"include": "*"}, "")
		eq(t, "post", field(c, "post.title"), "hello")
		eq(t, "by", field(c, "by.username"), "alice")
		eq(t, "post.author not included", field(c, "post.author"), ptr("_User", "u1"))
	})
	t.Run("include an array of pointers", func(t *testing.T) {
		refs := q(obj{"include": "refs"}, "")["refs"].([]any)
		if len(refs) != 2 {
			t.Fatalf("refs %v", refs)
		}
		for _, r := range refs {
			eq(t, "ref title", field(r.(map[string]any), "title"), "acme")
		}
	})
	t.Run("dotted keys force the include and trim it", func(t *testing.T) {
		c := q(obj{"keys": "post.title"}, "")
		p := c["post"].(map[string]any)
		eq(t, "post keys", keysOf(p), []string{"__type", "className", "createdAt", "objectId", "title", "updatedAt"})
		if _, ok := c["text"]; ok {
			t.Errorf("text returned: %v", c)
		}
	})
	t.Run("three-level dotted keys", func(t *testing.T) {
		c := q(obj{"keys": "post.author.username"}, "")
		eq(t, "username", field(c, "post.author.username"), "alice")
		if field(c, "post.title") != nil {
			t.Errorf("post.title returned: %v", c)
		}
	})
	t.Run("include of a field that is not a pointer", func(t *testing.T) {
		c := q(obj{"include": "text,meta"}, "")
		eq(t, "text", c["text"], "c1")
		eq(t, "meta", c["meta"], obj{"a": 1, "b": 2})
	})
	t.Run("include on a get", func(t *testing.T) {
		r := env.Do(apptest.Req{Path: "/classes/Comment/" + c1 + "?include=post.author&keys=post,text"})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		eq(t, "author", field(r.Map(), "post.author.username"), "alice")
		if _, ok := r.Map()["votes"]; ok {
			t.Errorf("votes returned: %s", r.Raw)
		}
	})
}

// TestQueryIncludeUnreadable: Parse Server inflates includes with a query run with the caller's
// rights and drops pointers it did not find (RestQuery.js replacePointers returns undefined, arrays
// are filtered), so an object the caller may not read never appears, not even as a pointer.
func TestQueryIncludeUnreadable(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	insert(t, env, "_User", bson.D{{Key: "_id", Value: "u2"}, {Key: "username", Value: "bob"}, {Key: "_rperm", Value: bson.A{"u2"}}})
	id := env.MustCreate("Comment", obj{"by": ptr("_User", "u2"), "gone": ptr("Post", "missing123"), "list": arr{ptr("_User", "u2")}})
	env.MustCreate("Post", obj{"title": "x"})
	r := env.Do(apptest.Req{Path: "/classes/Comment/" + id + "?include=by,gone,list"})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	m := r.Map()
	if _, ok := m["by"]; ok {
		t.Fatal("an included pointer to an object the caller may not read (or that does not exist) is answered as a bare pointer; Parse Server drops the key and filters such array elements (shared/objects/find.go include). Answer: " + string(r.Raw))
	}
	if _, ok := m["gone"]; ok {
		t.Errorf("pointer to a missing object kept: %s", r.Raw)
	}
	eq(t, "list", m["list"], arr{})
}

// TestQueryGeoAndText: geo and text queries either answer right (MongoDB, or an engine that evaluates
// them) or, where the database cannot evaluate them, a clear 102; never a 500 or a wrong result.
func TestQueryGeoAndText(t *testing.T) {
	w := newQueryWorld(t, nil)
	gp := func(lat, lng float64) obj { return obj{"__type": "GeoPoint", "latitude": lat, "longitude": lng} }
	for _, c := range []queryCase{
		{name: "$nearSphere sorts by distance", params: where(obj{"loc": obj{"$nearSphere": gp(40, -30)}}), want: []string{"alpha", "gamma"}, ordered: true},
		{name: "$nearSphere with $maxDistanceInKilometers", params: where(obj{"loc": obj{"$nearSphere": gp(40.01, -30), "$maxDistanceInKilometers": 10}}), want: []string{"alpha"}},
		{name: "$nearSphere with $maxDistanceInRadians", params: where(obj{"loc": obj{"$nearSphere": gp(10, 10.01), "$maxDistanceInRadians": 0.01}}), want: []string{"gamma"}},
		{name: "$within $box", params: where(obj{"loc": obj{"$within": obj{"$box": arr{gp(39, -31), gp(41, -29)}}}}), want: []string{"alpha"}},
		{name: "$geoWithin $polygon", params: where(obj{"loc": obj{"$geoWithin": obj{"$polygon": arr{gp(39, -31), gp(39, -29), gp(41, -29), gp(41, -31)}}}}), want: []string{"alpha"}},
		{name: "$geoWithin $centerSphere", params: where(obj{"loc": obj{"$geoWithin": obj{"$centerSphere": arr{gp(10, 10), 0.01}}}}), want: []string{"gamma"}},
		{name: "$text on a field", params: where(obj{"name": obj{"$text": obj{"$search": obj{"$term": "alpha"}}}}), want: []string{"alpha"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := obj{"_method": "GET"}
			for k, v := range c.params {
				body[k] = v
			}
			r := w.env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Body: body})
			switch {
			case r.Status == 400 && r.Code() == 102:
				if msg, _ := r.Map()["error"].(string); msg == "" {
					t.Errorf("102 without a message")
				}
			case r.Status == 200:
				want := append([]string{}, c.want...)
				if !c.ordered {
					sort.Strings(want)
				}
				eq(t, "names", names(r.Results(), c.ordered), want)
			default:
				t.Errorf("%s: %d %s (want the right results or a clear 102)", mustJSON(c.params), r.Status, r.Raw)
			}
		})
	}
}

// TestQueryObjectEquality: a whole-object equality must find the object whatever order Go's maps
// gave its keys on write and on query (MongoDB compares sub-documents key by key, in order).
func TestQueryObjectEquality(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	meta := obj{"k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6}
	for i := 0; i < 5; i++ {
		env.MustCreate("Game", obj{"i": i, "meta": meta})
	}
	for i := 0; i < 5; i++ {
		if n := len(find(t, env, "Game", obj{"where": obj{"meta": meta}})); n != 5 {
			t.Fatalf("attempt %d: whole-object equality found %d of 5", i, n)
		}
	}
}

// TestQueryOnProtectedField: Parse Server refuses a non-master query on a protected field
// (RestQuery.denyProtectedFields: 119 "This user is not allowed to query email on class _User"), so
// protected values cannot be probed with where clauses.
func TestQueryOnProtectedField(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	insert(t, env, "_User", bson.D{{Key: "_id", Value: "u1"}, {Key: "username", Value: "al"}, {Key: "email", Value: "a@x.org"}, {Key: "_rperm", Value: bson.A{"*"}}})
	if r := env.Do(apptest.Req{Path: "/classes/_User/u1"}); r.Map()["email"] != nil {
		t.Fatalf("email not protected: %s", r.Raw)
	}
	r := env.Do(apptest.Req{Method: "POST", Path: "/classes/_User", Body: obj{"_method": "GET", "where": obj{"email": "a@x.org"}}})
	if r.Status == 200 {
		t.Fatal("a non-master query on the protected field _User.email answers " + string(r.Raw) + " (an email oracle); Parse Server answers 119 \"This user is not allowed to query email on class _User\" (RestQuery.denyProtectedFields; shared/objects find/clp)")
	}
	if r.Status != 400 || r.Code() != 119 {
		t.Errorf("%d %s", r.Status, r.Raw)
	}
	if m := env.Do(apptest.Req{Method: "POST", Path: "/classes/_User", Master: true, Body: obj{"_method": "GET", "where": obj{"email": "a@x.org"}}}); len(m.Results()) != 1 {
		t.Errorf("master query on email: %s", m.Raw)
	}
}
