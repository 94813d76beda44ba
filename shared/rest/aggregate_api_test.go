package rest_test

import (
	"net/url"
	"sort"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
)

func newAggWorld(t *testing.T) (*apptest.Env, map[string]string) {
	t.Helper()
	env := apptest.New(t, nil)
	ids := map[string]string{}
	for _, g := range []obj{
		{"name": "a", "team": "red", "score": 10, "owner": ptr("_User", "u1"), "ACL": obj{"*": obj{"read": true}}},
		{"name": "b", "team": "red", "score": 20, "owner": ptr("_User", "u2")},
		{"name": "c", "team": "blue", "score": 5, "owner": ptr("_User", "u1")},
		{"name": "d", "team": "blue", "score": 1},
		{"name": "e", "team": "green", "score": 100, "nothing": nil},
	} {
		ids[g["name"].(string)] = env.MustCreate("Game", g)
	}
	return env, ids
}

func agg(env *apptest.Env, params obj) *apptest.Resp {
	body := obj{"_method": "GET"}
	for k, v := range params {
		body[k] = v
	}
	return env.Do(apptest.Req{Method: "POST", Path: "/aggregate/Game", Master: true, Body: body})
}

func TestAggregatePipelines(t *testing.T) {
	t.Parallel()
	env, ids := newAggWorld(t)
	ok := func(t *testing.T, params obj) []map[string]any {
		t.Helper()
		r := agg(env, params)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", mustJSON(params), r.Status, r.Raw)
		}
		return r.Results()
	}

	t.Run("match group sort limit", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{
			obj{"$match": obj{"score": obj{"$gte": 5}}},
			obj{"$group": obj{"_id": "$team", "total": obj{"$sum": "$score"}}},
			obj{"$sort": obj{"total": -1}},
			obj{"$limit": 2},
		}})
		eq(t, "results", rs, arr{obj{"objectId": "green", "total": 100}, obj{"objectId": "red", "total": 30}})
	})
	t.Run("count per group", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{obj{"$group": obj{"_id": "$team", "n": obj{"$sum": 1}}}, obj{"$sort": obj{"_id": 1}}}})
		eq(t, "results", rs, arr{obj{"objectId": "blue", "n": 2}, obj{"objectId": "green", "n": 1}, obj{"objectId": "red", "n": 2}})
	})
	t.Run("group everything under null", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{obj{"$group": obj{"_id": nil, "total": obj{"$sum": "$score"}}}}})
		eq(t, "results", rs, arr{obj{"objectId": nil, "total": 136}})
	})
	t.Run("stage keys instead of a pipeline", func(t *testing.T) {
		rs := ok(t, obj{"$match": obj{"team": "blue"}})
		eq(t, "names", pluck(rs, "name"), arr{"c", "d"})
	})
	t.Run("match on objectId and sort on createdAt", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{obj{"$match": obj{"objectId": obj{"$in": arr{ids["a"], ids["c"]}}}}, obj{"$sort": obj{"createdAt": 1}}}})
		want := []string{ids["a"], ids["c"]}
		sort.Strings(want)
		eq(t, "ids", ids2(rs), want)
		for _, r := range rs {
			for _, k := range []string{"_id", "_rperm", "_wperm", "_acl", "_created_at", "_updated_at", "_p_owner"} {
				if _, has := r[k]; has {
					t.Errorf("result carries %s: %v", k, r)
				}
			}
			if s, _ := r["createdAt"].(string); !isoRE.MatchString(s) {
				t.Errorf("createdAt is not an ISO string as in other answers: %v", r["createdAt"])
			}
		}
		for _, r := range rs {
			if r["objectId"] == ids["a"] {
				eq(t, "owner", r["owner"], ptr("_User", "u1"))
			}
		}
	})
	t.Run("project objectId", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{obj{"$match": obj{"name": "b"}}, obj{"$project": obj{"objectId": 1, "score": 1}}}})
		eq(t, "results", rs, arr{obj{"objectId": ids["b"], "score": 20}})
	})
	t.Run("where with a pipeline", func(t *testing.T) {
		rs := ok(t, obj{"where": obj{"team": "red"}, "pipeline": arr{obj{"$group": obj{"_id": nil, "n": obj{"$sum": 1}}}}})
		eq(t, "results", rs, arr{obj{"objectId": nil, "n": 2}})
	})
	t.Run("$count", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{obj{"$match": obj{"score": obj{"$lt": 10}}}, obj{"$count": "n"}}})
		eq(t, "results", rs, arr{obj{"n": 2}})
	})
	t.Run("$skip and $limit", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{obj{"$sort": obj{"score": -1}}, obj{"$skip": 1}, obj{"$limit": 2}, obj{"$project": obj{"name": 1}}}})
		eq(t, "names", pluck(rs, "name"), arr{"b", "a"})
	})
	t.Run("pipeline in the query string", func(t *testing.T) {
		q := url.Values{}
		q.Set("pipeline", `[{"$match":{"team":"blue"}},{"$group":{"_id":"$team","n":{"$sum":1}}}]`)
		r := env.Do(apptest.Req{Path: "/aggregate/Game?" + q.Encode(), Master: true})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		eq(t, "results", r.Results(), arr{obj{"objectId": "blue", "n": 2}})
	})
	t.Run("group by a pointer gives the object id", func(t *testing.T) {
		rs := ok(t, obj{"pipeline": arr{obj{"$match": obj{"owner": obj{"$exists": true}}}, obj{"$group": obj{"_id": "$owner", "n": obj{"$sum": 1}}}, obj{"$sort": obj{"_id": 1}}}})
		// Parse Server (MongoStorageAdapter.aggregate) strips "_User$" from a pointer group key.
		eq(t, "results", rs, arr{obj{"objectId": "u1", "n": 2}, obj{"objectId": "u2", "n": 1}})
	})
}

func ids2(rs []map[string]any) []string {
	out := ids(rs)
	sort.Strings(out)
	return out
}

func TestAggregateDistinct(t *testing.T) {
	t.Parallel()
	env, _ := newAggWorld(t)
	sorted := func(r *apptest.Resp) []string {
		var out []string
		for _, x := range r.JSON.(map[string]any)["results"].([]any) {
			if s, ok := x.(string); ok {
				out = append(out, s)
			} else {
				out = append(out, mustJSON(x))
			}
		}
		sort.Strings(out)
		return out
	}
	r := agg(env, obj{"distinct": "team"})
	eq(t, "teams", sorted(r), []string{"blue", "green", "red"})
	r = agg(env, obj{"distinct": "team", "where": obj{"score": obj{"$gt": 5}}})
	eq(t, "teams over 5", sorted(r), []string{"green", "red"})
	r = agg(env, obj{"distinct": "owner"})
	eq(t, "owners", sorted(r), []string{mustJSON(ptr("_User", "u1")), mustJSON(ptr("_User", "u2"))})
	r = env.Do(apptest.Req{Path: "/aggregate/Game?distinct=team&where=" + url.QueryEscape(`{"team":"red"}`), Master: true})
	eq(t, "query string", sorted(r), []string{"red"})
	r = agg(env, obj{"distinct": "nothing"})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	// Parse Server filters null out of distinct results.
	eq(t, "distinct of a null field", r.Map()["results"], arr{})
}

func TestAggregateErrors(t *testing.T) {
	env, _ := newAggWorld(t)
	for _, c := range []struct {
		name   string
		params obj
		code   int
	}{
		{"objectId in $group", obj{"pipeline": arr{obj{"$group": obj{"objectId": "$team"}}}}, 102},
		{"$group without _id", obj{"pipeline": arr{obj{"$group": obj{"n": obj{"$sum": 1}}}}}, 102},
		{"stage without $", obj{"pipeline": arr{obj{"match": obj{}}}}, 102},
		{"stage key without $", obj{"group": obj{"_id": nil}}, 102},
		{"unknown stage", obj{"pipeline": arr{obj{"$out": "Other"}}}, 102},
		{"$merge", obj{"pipeline": arr{obj{"$merge": obj{"into": "Other"}}}}, 102},
		{"stage with two keys", obj{"pipeline": arr{obj{"$match": obj{}, "$limit": 1}}}, 102},
		{"stage not an object", obj{"pipeline": arr{"$match"}}, 102},
		{"$where in $match", obj{"pipeline": arr{obj{"$match": obj{"$where": "1"}}}}, 105},
		{"$expr in $project", obj{"pipeline": arr{obj{"$project": obj{"x": obj{"$expr": 1}}}}}, 102},
		{"$project mixing inclusion and exclusion", obj{"pipeline": arr{obj{"$project": obj{"score": 1, "name": 0}}}}, 102},
		{"$function in $group", obj{"pipeline": arr{obj{"$group": obj{"_id": obj{"$function": obj{"body": "x"}}}}}}, 102},
		{"distinct not a string", obj{"distinct": 3}, 102},
		{"where not an object", obj{"where": arr{1}, "distinct": "team"}, 107},
		{"bad where", obj{"where": obj{"score": obj{"$bad": 1}}, "distinct": "team"}, 107},
		{"pipeline not an array", obj{"pipeline": 3}, 102},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := agg(env, c.params)
			if r.Status != 400 || r.Code() != c.code {
				t.Errorf("%d %s, want 400 code %d", r.Status, r.Raw, c.code)
			}
		})
	}
	t.Run("bad class name", func(t *testing.T) {
		r := env.Do(apptest.Req{Path: "/aggregate/1bad", Master: true})
		if r.Code() != 103 {
			t.Errorf("%d %s", r.Status, r.Raw)
		}
	})
}

// TestAggregateEmbeddedDBGaps: FerretDB 1.24 answers some stages wrongly and silently (several
// accumulators in one $group, computed $project fields); the server must answer them right or with a
// clear Parse error, never a wrong result or a 500.
func TestAggregateEmbeddedDBGaps(t *testing.T) {
	env, _ := newAggWorld(t)
	for _, c := range []struct {
		name   string
		params obj
		want   any
	}{
		{"two accumulators in one $group", obj{"pipeline": arr{obj{"$match": obj{"team": "red"}}, obj{"$group": obj{"_id": "$team", "total": obj{"$sum": "$score"}, "n": obj{"$sum": 1}}}}},
			arr{obj{"objectId": "red", "total": 30, "n": 2}}},
		{"$avg", obj{"pipeline": arr{obj{"$match": obj{"team": "red"}}, obj{"$group": obj{"_id": "$team", "avg": obj{"$avg": "$score"}}}}},
			arr{obj{"objectId": "red", "avg": 15}}},
		{"$max", obj{"pipeline": arr{obj{"$match": obj{"team": "red"}}, obj{"$group": obj{"_id": "$team", "top": obj{"$max": "$score"}}}}},
			arr{obj{"objectId": "red", "top": 20}}},
		{"computed $project field", obj{"pipeline": arr{obj{"$match": obj{"name": "a"}}, obj{"$project": obj{"_id": 0, "s": "$score"}}}},
			arr{obj{"s": 10}}},
		{"computed $addFields field", obj{"pipeline": arr{obj{"$match": obj{"name": "a"}}, obj{"$addFields": obj{"s": "$score"}}, obj{"$project": obj{"s": 1, "_id": 0}}}},
			arr{obj{"s": 10}}},
		{"$set with an operator", obj{"pipeline": arr{obj{"$match": obj{"name": "a"}}, obj{"$set": obj{"s": obj{"$add": arr{"$score", 1}}}}, obj{"$project": obj{"s": 1, "_id": 0}}}},
			arr{obj{"s": 11}}},
		{"$addFields with a literal", obj{"pipeline": arr{obj{"$match": obj{"name": "a"}}, obj{"$addFields": obj{"s": "lit"}}, obj{"$project": obj{"s": 1, "_id": 0}}}},
			arr{obj{"s": "lit"}}},
		{"exclusion $project", obj{"pipeline": arr{obj{"$match": obj{"name": "a"}}, obj{"$project": obj{"_id": 0, "createdAt": 0, "updatedAt": 0, "owner": 0}}}},
			arr{obj{"name": "a", "team": "red", "score": 10}}},
		{"$lookup", obj{"pipeline": arr{obj{"$lookup": obj{"from": "Other", "localField": "name", "foreignField": "name", "as": "o"}}}}, nil},
		{"$sample", obj{"pipeline": arr{obj{"$sample": obj{"size": 1}}}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := agg(env, c.params)
			if r.Status >= 500 {
				t.Fatalf("answered %d %s", r.Status, r.Raw)
			}
			if r.Status == 400 {
				if r.Code() != 102 {
					t.Errorf("error code %d (%s), want 102", r.Code(), r.Raw)
				}
				return
			}
			if c.want != nil {
				eq(t, "results", r.Map()["results"], c.want)
			}
		})
	}
}
