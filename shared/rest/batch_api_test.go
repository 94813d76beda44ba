package rest_test

import (
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

func sub(method, path string, body any) obj {
	o := obj{"method": method, "path": path}
	if body != nil {
		o["body"] = body
	}
	return o
}

func batchOf(reqs ...obj) obj {
	a := arr{}
	for _, r := range reqs {
		a = append(a, r)
	}
	return obj{"requests": a}
}

// batchItems returns the answer array of a batch.
func batchItems(t *testing.T, r *apptest.Resp) []map[string]any {
	t.Helper()
	a, ok := r.JSON.([]any)
	if !ok {
		t.Fatalf("batch answer is not an array: %s", r.Raw)
	}
	out := make([]map[string]any, len(a))
	for i, x := range a {
		out[i], _ = x.(map[string]any)
		if len(out[i]) != 1 || (out[i]["success"] == nil && out[i]["error"] == nil) {
			t.Errorf("item %d is neither {success} nor {error}: %v", i, x)
		}
	}
	return out
}

func TestBatchAPI(t *testing.T) {
	nothingStored := func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
		if n := count(t, env, "Game"); n != 1 {
			t.Errorf("Game holds %d objects, want the seeded 1", n)
		}
		eq(t, "seeded score", get(t, env, "Game", v["id"])["score"], 5)
	}
	runScenarios(t, []scenario{
		{name: "create, update, get, find, delete in order", setup: seedGame,
			req: apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(
				sub("POST", "/parse/classes/Game", obj{"score": 1, "name": "new"}),
				sub("PUT", "/parse/classes/Game/{{id}}", obj{"score": obj{"__op": "Increment", "amount": 10}}),
				sub("GET", "/parse/classes/Game/{{id}}", nil),
				sub("GET", "/parse/classes/Game", obj{"where": obj{"name": "first"}}),
				sub("DELETE", "/parse/classes/Game/{{id}}", nil),
			)},
			status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				items := batchItems(t, r)
				if len(items) != 5 {
					t.Fatalf("%d items", len(items))
				}
				created, _ := items[0]["success"].(map[string]any)
				if id, _ := created["objectId"].(string); !objectIDRE.MatchString(id) || created["createdAt"] == nil {
					t.Errorf("create item %v", items[0])
				}
				eq(t, "update result", field(items[1], "success.score"), 15)
				eq(t, "get result", field(items[2], "success.name"), "first")
				eq(t, "find result", len(field(items[3], "success.results").([]any)), 1)
				eq(t, "delete result", items[4]["success"], obj{})
				if n := count(t, env, "Game"); n != 1 {
					t.Errorf("Game holds %d objects", n)
				}
			}},
		{name: "errors are per request", setup: seedGame,
			req: apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(
				sub("PUT", "/parse/classes/Game/nothere", obj{"score": 1}),
				sub("PUT", "/parse/classes/Game/{{id}}", obj{"score": "bad"}),
				sub("POST", "/parse/classes/Game", obj{"score": 2}),
				sub("GET", "/parse/classes/1bad", nil),
			)},
			status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				items := batchItems(t, r)
				eq(t, "missing", items[0]["error"], obj{"code": 101, "error": "Object not found."})
				eq(t, "bad type code", field(items[1], "error.code"), 111)
				if items[2]["success"] == nil {
					t.Errorf("create failed: %v", items[2])
				}
				eq(t, "bad class code", field(items[3], "error.code"), 103)
				eq(t, "score unchanged", get(t, env, "Game", v["id"])["score"], 5)
			}},
		{name: "sub-requests run with the caller's session", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			alice, atok := session(t, env, "alice")
			_, btok := session(t, env, "bob")
			id := env.MustCreate("Note", obj{"text": "orig", "ACL": obj{alice: obj{"read": true, "write": true}}})
			return map[string]string{"id": id, "alice": atok, "bob": btok}
		},
			req: apptest.Req{Method: "POST", Path: "/batch", Session: "{{bob}}", Body: batchOf(
				sub("PUT", "/parse/classes/Note/{{id}}", obj{"text": "bob"}),
				sub("GET", "/parse/classes/Note/{{id}}", nil),
			)},
			status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				items := batchItems(t, r)
				eq(t, "bob update", field(items[0], "error.code"), 101)
				eq(t, "bob get", field(items[1], "error.code"), 101)
				r2 := env.Do(apptest.Req{Method: "POST", Path: "/batch", Session: v["alice"], Body: batchOf(sub("PUT", "/parse/classes/Note/"+v["id"], obj{"text": "alice"}))})
				if items := batchItems(t, r2); items[0]["success"] == nil {
					t.Errorf("alice update: %v", items[0])
				}
				eq(t, "text", raw(t, env, "Note", v["id"])["text"], "alice")
			}},
		{name: "anonymous caller cannot reach master routes", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(sub("GET", "/parse/schemas", nil), sub("DELETE", "/parse/purge/Game", nil))},
			status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				items := batchItems(t, r)
				for i, it := range items {
					if field(it, "error.error") != "unauthorized: master key is required" {
						t.Errorf("item %d: %v", i, it)
					}
				}
				if n := count(t, env, "Game"); n != 1 {
					t.Errorf("purged through a batch without master")
				}
			}},
		{name: "master caller reaches master routes", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: batchOf(sub("GET", "/parse/schemas/Game", nil))},
			status: 200, contains: []string{`"className":"Game"`}},
		{name: "JS SDK style batch with a session token in the body", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			alice, atok := session(t, env, "alice")
			id := env.MustCreate("Note", obj{"text": "orig", "ACL": obj{alice: obj{"read": true, "write": true}}})
			return map[string]string{"id": id, "alice": atok}
		},
			req: apptest.Req{Method: "POST", Path: "/batch", NoAppID: true, Headers: textPlain, Body: obj{
				"_ApplicationId": "testapp", "_SessionToken": "{{alice}}", "_ClientVersion": "js5.3.0",
				"requests": arr{sub("PUT", "/parse/classes/Note/{{id}}", obj{"text": "sdk"})},
			}},
			status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				if items := batchItems(t, r); items[0]["success"] == nil {
					t.Errorf("update: %v", items[0])
				}
				eq(t, "text", raw(t, env, "Note", v["id"])["text"], "sdk")
			}},
		{name: "path without the mount fails the whole batch", setup: seedGame,
			req: apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(
				sub("POST", "/parse/classes/Game", obj{"score": 2}),
				sub("PUT", "/classes/Game/{{id}}", obj{"score": 9}),
			)},
			status: 400, code: 107, check: nothingStored},
		{name: "unknown method fails the whole batch", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(sub("POST", "/parse/classes/Game", obj{"score": 2}), sub("PATCH", "/parse/classes/Game/{{id}}", obj{"score": 9}))},
			status: 400, code: 107, check: nothingStored},
		{name: "nested batch", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(sub("POST", "/parse/batch", batchOf()))}, status: 400, code: 107, check: nothingStored},
		{name: "requests not an array", req: apptest.Req{Method: "POST", Path: "/batch", Body: obj{"requests": obj{}}}, status: 400, code: 107},
		{name: "no requests key", req: apptest.Req{Method: "POST", Path: "/batch", Body: obj{}}, status: 400, code: 107},
		{name: "no body", req: apptest.Req{Method: "POST", Path: "/batch"}, status: 400, code: 107},
		{name: "request not an object", req: apptest.Req{Method: "POST", Path: "/batch", Body: obj{"requests": arr{"x"}}}, status: 400, code: 107},
		{name: "sub-request body not an object", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(sub("PUT", "/parse/classes/Game/{{id}}", arr{1}))}, status: 400, code: 107, check: nothingStored},
		{name: "empty batch", req: apptest.Req{Method: "POST", Path: "/batch", Body: batchOf()}, status: 200, body: arr{}},
		{name: "other mount path", mod: func(c *config.Config) { c.MountPath = "/api"; c.ServerURL = "http://localhost:1337/api" }, setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(sub("GET", "/api/classes/Game/{{id}}", nil))},
			status: 200, contains: []string{`"success"`, `"first"`}},
		{name: "other mount path refuses /parse paths", mod: func(c *config.Config) { c.MountPath = "/api"; c.ServerURL = "http://localhost:1337/api" }, setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/batch", Body: batchOf(sub("GET", "/parse/classes/Game/{{id}}", nil))},
			status: 400, code: 107},
		{name: "GET /batch is not a route", req: apptest.Req{Path: "/batch"}, status: 404},
	})
}

func TestBatchLimit(t *testing.T) {
	creates := func(n int) obj {
		reqs := make([]obj, n)
		for i := range reqs {
			reqs[i] = sub("POST", "/parse/classes/Game", obj{"i": i})
		}
		return batchOf(reqs...)
	}
	stored := func(n int64) func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
		return func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
			if got := count(t, env, "Game"); got != n {
				t.Errorf("Game holds %d objects, want %d", got, n)
			}
		}
	}
	runScenarios(t, []scenario{
		{name: "default limit 50 accepted", req: apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: creates(50)}, status: 200, check: stored(50)},
		{name: "default limit exceeded", req: apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: creates(51)}, status: 400, code: 155, contains: []string{"50"}, check: stored(0)},
		{name: "configured limit", mod: func(c *config.Config) { c.BatchLimit = 2 }, req: apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: creates(3)}, status: 400, code: 155, check: stored(0)},
		{name: "configured limit reached exactly", mod: func(c *config.Config) { c.BatchLimit = 2 }, req: apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: creates(2)}, status: 200, check: stored(2)},
	})
}

func TestBatchResultsFollowRequestOrder(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	reqs := make([]obj, 10)
	for i := range reqs {
		reqs[i] = sub("POST", "/parse/classes/Game", obj{"i": i})
	}
	r := env.Do(apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: batchOf(reqs...)})
	items := batchItems(t, r)
	for i, it := range items {
		id := field(it, "success.objectId").(string)
		if got := get(t, env, "Game", id)["i"]; got != float64(i) {
			t.Errorf("item %d points at the object made by request %v", i, got)
		}
	}
}
