package rest_test

// The scenario harness: table-driven HTTP scenarios (in the style of PocketBase's ApiScenario) run
// against the real handler and the embedded database. Each scenario gets a fresh database.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

// scenario is one HTTP exchange with its expectations.
type scenario struct {
	name string
	mod  func(*config.Config)
	// setup prepares data and returns values that {{name}} placeholders in path, body (strings) and
	// headers are replaced with.
	setup  func(t *testing.T, env *apptest.Env) map[string]string
	req    apptest.Req
	status int
	// code is the Parse error code expected in the body (0: no check).
	code int
	// errIs is the exact "error" text expected (empty: no check).
	errIs string
	// contains are substrings the raw body must contain; absent ones it must not.
	contains []string
	absent   []string
	// body, when set, must equal the decoded answer exactly.
	body  any
	check func(t *testing.T, env *apptest.Env, r *apptest.Resp, vars map[string]string)
}

func runScenarios(t *testing.T, list []scenario) {
	t.Helper()
	for _, sc := range list {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t)
		})
	}
}

func (sc scenario) run(t *testing.T) {
	t.Helper()
	env := apptest.New(t, sc.mod)
	vars := map[string]string{}
	if sc.setup != nil {
		vars = sc.setup(t, env)
	}
	req := sc.req
	req.Path = expand(req.Path, vars)
	req.Body = expandBody(req.Body, vars)
	req.Session = expand(req.Session, vars)
	if req.Headers != nil {
		h := map[string]string{}
		for k, v := range req.Headers {
			h[k] = expand(v, vars)
		}
		req.Headers = h
	}
	r := env.Do(req)
	if sc.status != 0 && r.Status != sc.status {
		t.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.Path, r.Status, sc.status, r.Raw)
	}
	if sc.code != 0 && r.Code() != sc.code {
		t.Fatalf("%s %s: code %d, want %d; body %s", req.Method, req.Path, r.Code(), sc.code, r.Raw)
	}
	if sc.errIs != "" && r.Map()["error"] != sc.errIs {
		t.Fatalf("error %q, want %q", r.Map()["error"], sc.errIs)
	}
	for _, s := range sc.contains {
		if !strings.Contains(string(r.Raw), expand(s, vars)) {
			t.Errorf("body %s does not contain %q", r.Raw, expand(s, vars))
		}
	}
	for _, s := range sc.absent {
		if strings.Contains(string(r.Raw), expand(s, vars)) {
			t.Errorf("body %s contains %q", r.Raw, expand(s, vars))
		}
	}
	if sc.body != nil {
		want := normJSON(t, expandBody(sc.body, vars))
		if !reflect.DeepEqual(r.JSON, want) {
			t.Errorf("body\n got %s\nwant %s", r.Raw, mustJSON(want))
		}
	}
	if sc.check != nil {
		sc.check(t, env, r, vars)
	}
}

func expand(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return s
}

// expandBody replaces placeholders in every string of a JSON-like body.
func expandBody(b any, vars map[string]string) any {
	switch t := b.(type) {
	case string:
		return expand(t, vars)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[expand(k, vars)] = expandBody(v, vars)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = expandBody(v, vars)
		}
		return out
	}
	return b
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// normJSON round-trips v through JSON, so numbers become float64 as in decoded answers.
func normJSON(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(mustJSON(v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// obj is shorthand for a JSON object.
type obj = map[string]any

// arr is shorthand for a JSON array.
type arr = []any

func ptr(class, id string) obj { return obj{"__type": "Pointer", "className": class, "objectId": id} }

// raw reads a stored document with the driver.
func raw(t *testing.T, env *apptest.Env, coll, id string) bson.M {
	t.Helper()
	var d bson.M
	if err := env.DB.Collection(coll).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		t.Fatalf("read %s/%s: %v", coll, id, err)
	}
	return d
}

// rawAll reads every stored document of a collection.
func rawAll(t *testing.T, env *apptest.Env, coll string) []bson.M {
	t.Helper()
	cur, err := env.DB.Collection(coll).Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.M
	if err := cur.All(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// insert writes documents in Parse Server's stored form with the driver.
func insert(t *testing.T, env *apptest.Env, coll string, docs ...bson.D) {
	t.Helper()
	for _, d := range docs {
		if _, err := env.DB.Collection(coll).InsertOne(context.Background(), d); err != nil {
			t.Fatalf("insert into %s: %v", coll, err)
		}
	}
}

// get reads an object back through the API with the master key.
func get(t *testing.T, env *apptest.Env, class, id string) map[string]any {
	t.Helper()
	r := env.Do(apptest.Req{Path: "/classes/" + class + "/" + id, Master: true})
	if r.Status != 200 {
		t.Fatalf("get %s/%s: %d %s", class, id, r.Status, r.Raw)
	}
	return r.Map()
}

// find runs a query through the API with the master key and returns the results.
func find(t *testing.T, env *apptest.Env, class string, body obj) []map[string]any {
	t.Helper()
	if body == nil {
		body = obj{}
	}
	body["_method"] = "GET"
	r := env.Do(apptest.Req{Method: "POST", Path: "/classes/" + class, Body: body, Master: true})
	if r.Status != 200 {
		t.Fatalf("find %s %v: %d %s", class, body, r.Status, r.Raw)
	}
	return r.Results()
}

// count counts the stored documents of a collection.
func count(t *testing.T, env *apptest.Env, coll string) int64 {
	t.Helper()
	n, err := env.DB.Collection(coll).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func field(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := normJSON(t, got), normJSON(t, want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, mustJSON(g), mustJSON(w))
	}
}

// ids returns the objectIds of results, in order.
func ids(rs []map[string]any) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprint(r["objectId"])
	}
	return out
}

// field values of results, in order.
func pluck(rs []map[string]any, key string) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = r[key]
	}
	return out
}

// session creates a user and a session for it in Parse Server's stored form, and returns the user id
// and the token.
func session(t *testing.T, env *apptest.Env, username string) (string, string) {
	t.Helper()
	uid := "usr" + username
	tok := "r:tok" + username
	insert(t, env, "_User", bson.D{{Key: "_id", Value: uid}, {Key: "username", Value: username}, {Key: "_rperm", Value: bson.A{"*", uid}}, {Key: "_wperm", Value: bson.A{uid}}})
	insert(t, env, "_Session", bson.D{{Key: "_id", Value: "ses" + username}, {Key: "_session_token", Value: tok}, {Key: "_p_user", Value: "_User$" + uid}})
	return uid, tok
}
