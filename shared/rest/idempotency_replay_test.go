package rest_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/idempotency"
)

// TestIdempotencyReplay: a repeated X-Parse-Request-Id answers the first request's stored answer
// (IDEMPOTENCY_REPEAT=replay, the default) without running it again.
func TestIdempotencyReplay(t *testing.T) {
	hdr := func(id string) map[string]string { return map[string]string{"X-Parse-Request-Id": id} }
	count := func(t *testing.T, env *apptest.Env, class string) int {
		t.Helper()
		r := env.Do(apptest.Req{Path: "/classes/" + class + "?count=1&limit=0", Master: true})
		n, _ := r.Map()["count"].(float64)
		return int(n)
	}
	same := func(t *testing.T, what string, a, b *apptest.Resp) {
		t.Helper()
		if a.Status != b.Status || string(a.Raw) != string(b.Raw) || a.Header.Get("Location") != b.Header.Get("Location") {
			t.Fatalf("%s: first %d %s %q, repeat %d %s %q", what, a.Status, a.Raw, a.Header.Get("Location"), b.Status, b.Raw, b.Header.Get("Location"))
		}
	}
	cases := []struct {
		name  string
		mode  string   // IdempotencyRepeat
		paths []string // IdempotencyPaths (default: classes, users, batch)
		run   func(t *testing.T, env *apptest.Env)
	}{
		{name: "create replays its answer and stores one object", run: func(t *testing.T, env *apptest.Env) {
			post := func() *apptest.Resp {
				return env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": 1}, Headers: hdr("create-1")})
			}
			first, again := post(), post()
			if first.Status != 201 || first.Header.Get("Location") == "" {
				t.Fatalf("first: %d %s %v", first.Status, first.Raw, first.Header)
			}
			same(t, "create", first, again)
			if n := count(t, env, "Item"); n != 1 {
				t.Fatalf("%d objects", n)
			}
		}},
		{name: "update with Increment is applied once", run: func(t *testing.T, env *apptest.Env) {
			id := env.MustCreate("Item", obj{"n": 10})
			put := func() *apptest.Resp {
				return env.Do(apptest.Req{Method: "PUT", Path: "/classes/Item/" + id, Master: true, Body: obj{"n": obj{"__op": "Increment", "amount": 1}}, Headers: hdr("inc-1")})
			}
			first, again := put(), put()
			if first.Status != 200 || first.Map()["n"] != 11.0 {
				t.Fatalf("first: %d %s", first.Status, first.Raw)
			}
			same(t, "update", first, again)
			if r := env.Do(apptest.Req{Path: "/classes/Item/" + id, Master: true}); r.Map()["n"] != 11.0 {
				t.Fatalf("stored: %s", r.Raw)
			}
		}},
		{name: "signup replays the same user", run: func(t *testing.T, env *apptest.Env) {
			signup := func() *apptest.Resp {
				return env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"username": "ann", "password": "pw"}, Headers: hdr("signup-1")})
			}
			first, again := signup(), signup()
			if first.Status != 201 || first.Map()["sessionToken"] == nil {
				t.Fatalf("first: %d %s", first.Status, first.Raw)
			}
			same(t, "signup", first, again)
		}},
		{name: "error mode answers 159", mode: "error", run: func(t *testing.T, env *apptest.Env) {
			post := func() *apptest.Resp {
				return env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": 1}, Headers: hdr("err-1")})
			}
			if r := post(); r.Status != 201 {
				t.Fatalf("first: %d %s", r.Status, r.Raw)
			}
			if r := post(); r.Code() != 159 || r.Map()["error"] != "Duplicate request" {
				t.Fatalf("repeat: %d %s", r.Status, r.Raw)
			}
			if n := count(t, env, "Item"); n != 1 {
				t.Fatalf("%d objects", n)
			}
		}},
		{name: "a failed first request runs again", run: func(t *testing.T, env *apptest.Env) {
			env.MustCreate("Item", obj{"n": 1})
			r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": "not a number"}, Headers: hdr("fail-1")})
			if r.Code() != 111 {
				t.Fatalf("first: %d %s", r.Status, r.Raw)
			}
			if rows := rawAll(t, env, idempotency.Collection); len(rows) != 0 {
				t.Fatalf("rows after a failure: %v", rows)
			}
			r = env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": 2}, Headers: hdr("fail-1")})
			if r.Status != 201 {
				t.Fatalf("retry: %d %s", r.Status, r.Raw)
			}
			if n := count(t, env, "Item"); n != 2 {
				t.Fatalf("%d objects", n)
			}
		}},
		{name: "after the TTL the id runs again", run: func(t *testing.T, env *apptest.Env) {
			post := func() *apptest.Resp {
				return env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": 1}, Headers: hdr("ttl-1")})
			}
			first := post()
			rows := rawAll(t, env, idempotency.Collection)
			if len(rows) != 1 || rows[0]["_response"] == nil {
				t.Fatalf("rows %v", rows)
			}
			past := bson.NewDateTimeFromTime(time.Now().Add(-time.Second))
			if _, err := env.DB.Collection(idempotency.Collection).UpdateMany(context.Background(), bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "expire", Value: past}}}}); err != nil {
				t.Fatal(err)
			}
			again := post()
			if again.Status != 201 || again.Map()["objectId"] == first.Map()["objectId"] {
				t.Fatalf("after the TTL: %s then %s", first.Raw, again.Raw)
			}
			if n := count(t, env, "Item"); n != 2 {
				t.Fatalf("%d objects", n)
			}
		}},
		{name: "a repeat while the first runs answers 159", run: func(t *testing.T, env *apptest.Env) {
			// The first request's row, as Begin leaves it until the request ends.
			row := bson.D{{Key: "_id", Value: "running1"}, {Key: "reqId", Value: "run-1"}, {Key: "_caller", Value: "POST /classes/Item master"},
				{Key: "expire", Value: bson.NewDateTimeFromTime(time.Now().Add(time.Minute))}}
			if _, err := env.DB.Collection(idempotency.Collection).InsertOne(context.Background(), row); err != nil {
				t.Fatal(err)
			}
			r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": 1}, Headers: hdr("run-1")})
			if r.Code() != 159 || r.Map()["error"] != idempotency.Running {
				t.Fatalf("repeat: %d %s", r.Status, r.Raw)
			}
		}},
		{name: "another caller or path gets 159, not the answer", run: func(t *testing.T, env *apptest.Env) {
			if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": 1}, Headers: hdr("who-1")}); r.Status != 201 {
				t.Fatalf("first: %d %s", r.Status, r.Raw)
			}
			if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Body: obj{"n": 1}, Headers: hdr("who-1")}); r.Code() != 159 {
				t.Fatalf("other caller: %d %s", r.Status, r.Raw)
			}
			if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Other", Master: true, Body: obj{"n": 1}, Headers: hdr("who-1")}); r.Code() != 159 {
				t.Fatalf("other path: %d %s", r.Status, r.Raw)
			}
		}},
		{name: "concurrent repeats run the write once", run: func(t *testing.T, env *apptest.Env) {
			const n = 8
			out := make([]*apptest.Resp, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out[i] = env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"n": 1}, Headers: hdr("conc-1")})
				}()
			}
			wg.Wait()
			ids := map[any]bool{}
			for _, r := range out {
				switch {
				case r.Status == 201:
					ids[r.Map()["objectId"]] = true
				case r.Code() == 159: // a repeat while the first was running
				default:
					t.Fatalf("answer %d %s", r.Status, r.Raw)
				}
			}
			if len(ids) != 1 {
				t.Fatalf("object ids %v", ids)
			}
			if n := count(t, env, "Item"); n != 1 {
				t.Fatalf("%d objects", n)
			}
		}},
		{name: "a batch replays its whole answer", run: func(t *testing.T, env *apptest.Env) {
			id := env.MustCreate("Item", obj{"n": 10})
			batch := obj{"requests": []any{
				obj{"method": "POST", "path": "/parse/classes/Item", "body": obj{"n": 1}},
				obj{"method": "PUT", "path": "/parse/classes/Item/" + id, "body": obj{"n": obj{"__op": "Increment", "amount": 1}}},
			}}
			do := func() *apptest.Resp {
				return env.Do(apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: batch, Headers: hdr("batch-1")})
			}
			first, again := do(), do()
			if first.Status != 200 || strings.Count(string(first.Raw), `"success"`) != 2 {
				t.Fatalf("first: %d %s", first.Status, first.Raw)
			}
			same(t, "batch", first, again)
			if n := count(t, env, "Item"); n != 2 {
				t.Fatalf("%d objects", n)
			}
			if r := env.Do(apptest.Req{Path: "/classes/Item/" + id, Master: true}); r.Map()["n"] != 11.0 {
				t.Fatalf("stored: %s", r.Raw)
			}
			// The whole batch's row and one per sub-request.
			ids := map[string]bool{}
			for _, row := range rawAll(t, env, idempotency.Collection) {
				ids[row["reqId"].(string)] = true
			}
			if len(ids) != 3 || !ids["batch-1"] || !ids["batch-1:1"] || !ids["batch-1:2"] {
				t.Fatalf("rows %v", ids)
			}
		}},
		{name: "without batch in the paths its sub-requests replay one by one", paths: []string{"classes/.*"}, run: func(t *testing.T, env *apptest.Env) {
			batch := obj{"requests": []any{
				obj{"method": "POST", "path": "/parse/classes/Item", "body": obj{"n": 1}},
				obj{"method": "POST", "path": "/parse/classes/Item", "body": obj{"n": 2}},
			}}
			do := func() *apptest.Resp {
				return env.Do(apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: batch, Headers: hdr("batch-2")})
			}
			first, again := do(), do()
			if strings.Count(string(first.Raw), `"success"`) != 2 {
				t.Fatalf("first: %d %s", first.Status, first.Raw)
			}
			same(t, "batch", first, again)
			if n := count(t, env, "Item"); n != 2 {
				t.Fatalf("%d objects", n)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := apptest.New(t, func(cfg *config.Config) {
				cfg.IdempotencyPaths = []string{"classes/.*", "users", "batch"}
				if c.paths != nil {
					cfg.IdempotencyPaths = c.paths
				}
				if c.mode != "" {
					cfg.IdempotencyRepeat = c.mode
				}
			})
			c.run(t, env)
		})
	}
}
