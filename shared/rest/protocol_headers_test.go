package rest_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

func basic(user, secret string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))}
}

// seedGame creates class Game with one public object and returns its id as {{id}}.
func seedGame(t *testing.T, env *apptest.Env) map[string]string {
	id := env.MustCreate("Game", obj{"score": 5, "name": "first"})
	return map[string]string{"id": id}
}

func withKeys(c *config.Config) {
	c.RESTAPIKey = "restkey"
	c.JavaScriptKey = "jskey"
}

func TestProtocolAppIDAndMasterKey(t *testing.T) {
	unauthorized := obj{"error": "unauthorized"}
	masterRequired := obj{"error": "unauthorized: master key is required"}
	runScenarios(t, []scenario{
		{name: "missing application id", req: apptest.Req{Path: "/classes/Game", NoAppID: true}, status: 403, body: unauthorized},
		{name: "wrong application id", req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-Application-Id": "other"}}, status: 403, body: unauthorized},
		{name: "wrong master key", req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-Master-Key": "nope"}}, status: 403, body: unauthorized},
		{name: "wrong app id on a write stores nothing", setup: seedGame,
			req:    apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"score": 9}, Headers: map[string]string{"X-Parse-Application-Id": "other"}},
			status: 403, body: unauthorized,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "score", get(t, env, "Game", v["id"])["score"], 5)
			}},
		{name: "schemas without master", req: apptest.Req{Path: "/schemas"}, status: 403, body: masterRequired},
		{name: "schema create without master", req: apptest.Req{Method: "POST", Path: "/schemas/Game", Body: obj{}}, status: 403, body: masterRequired,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if n := count(t, env, "_SCHEMA"); n != 0 {
					t.Errorf("_SCHEMA has %d documents", n)
				}
			}},
		{name: "serverInfo without master", req: apptest.Req{Path: "/serverInfo"}, status: 403, body: masterRequired},
		{name: "aggregate without master", setup: seedGame, req: apptest.Req{Path: "/aggregate/Game"}, status: 403, body: masterRequired},
		{name: "purge without master keeps the data", setup: seedGame, req: apptest.Req{Method: "DELETE", Path: "/purge/Game"}, status: 403, body: masterRequired,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if n := count(t, env, "Game"); n != 1 {
					t.Errorf("Game has %d objects after a refused purge", n)
				}
			}},
		{name: "master key header", req: apptest.Req{Path: "/schemas", Master: true}, status: 200, contains: []string{`"results"`}},
		{name: "unknown path under the mount", req: apptest.Req{Path: "/nothing/here"}, status: 404},
		{name: "wrong method on a known path", req: apptest.Req{Method: "PATCH", Path: "/classes/Game"}, status: 404},
	})
}

func TestProtocolBasicAuth(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "appId:masterKey opens master routes", req: apptest.Req{Path: "/schemas", NoAppID: true, Headers: basic("testapp", "testmaster")}, status: 200},
		{name: "appId:masterKey overrides the header app id", req: apptest.Req{Path: "/schemas", Headers: func() map[string]string {
			h := basic("testapp", "testmaster")
			h["X-Parse-Application-Id"] = "other"
			return h
		}()}, status: 200},
		{name: "wrong master key", req: apptest.Req{Path: "/schemas", NoAppID: true, Headers: basic("testapp", "bad")}, status: 403, body: obj{"error": "unauthorized"}},
		{name: "wrong app id", req: apptest.Req{Path: "/classes/Game", NoAppID: true, Headers: basic("other", "testmaster")}, status: 403, body: obj{"error": "unauthorized"}},
		{name: "javascript key when configured", mod: withKeys, setup: seedGame, req: apptest.Req{Path: "/classes/Game", NoAppID: true, Headers: basic("testapp", "javascript-key=jskey")}, status: 200, contains: []string{`"first"`}},
		{name: "javascript key is not a master key", mod: withKeys, req: apptest.Req{Path: "/schemas", NoAppID: true, Headers: basic("testapp", "javascript-key=jskey")}, status: 403, body: obj{"error": "unauthorized: master key is required"}},
		{name: "wrong javascript key when configured", mod: withKeys, req: apptest.Req{Path: "/classes/Game", NoAppID: true, Headers: basic("testapp", "javascript-key=nope")}, status: 403, body: obj{"error": "unauthorized"}},
	})
}

func TestProtocolClientKeys(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "no keys configured: none needed", setup: seedGame, req: apptest.Req{Path: "/classes/Game"}, status: 200},
		{name: "no keys configured: any key accepted", setup: seedGame, req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-REST-API-Key": "whatever"}}, status: 200},
		{name: "configured: missing key", mod: withKeys, req: apptest.Req{Path: "/classes/Game"}, status: 403, body: obj{"error": "unauthorized"}},
		{name: "configured: wrong REST key", mod: withKeys, req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-REST-API-Key": "bad"}}, status: 403, body: obj{"error": "unauthorized"}},
		{name: "configured: REST key", mod: withKeys, setup: seedGame, req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-REST-API-Key": "restkey"}}, status: 200},
		{name: "configured: javascript key header", mod: withKeys, setup: seedGame, req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-Javascript-Key": "jskey"}}, status: 200},
		{name: "configured: REST key value in the JS key header", mod: withKeys, req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-Javascript-Key": "restkey"}}, status: 403},
		{name: "configured: client key", mod: func(c *config.Config) { c.ClientKey = "ck" }, setup: seedGame, req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-Client-Key": "ck"}}, status: 200},
		{name: "configured: windows key", mod: func(c *config.Config) { c.WindowsKey = "wk" }, setup: seedGame, req: apptest.Req{Path: "/classes/Game", Headers: map[string]string{"X-Parse-Windows-Key": "wk"}}, status: 200},
		{name: "configured: master key needs no client key", mod: withKeys, req: apptest.Req{Path: "/schemas", Master: true}, status: 200},
		{name: "configured: javascript key in a JS SDK body", mod: withKeys, setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: map[string]string{"Content-Type": "text/plain"}, Body: obj{"_method": "GET", "_ApplicationId": "testapp", "_JavaScriptKey": "jskey"}},
			status: 200, contains: []string{`"first"`}},
		{name: "configured: wrong javascript key in a JS SDK body", mod: withKeys,
			req:    apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: map[string]string{"Content-Type": "text/plain"}, Body: obj{"_method": "GET", "_ApplicationId": "testapp", "_JavaScriptKey": "bad"}},
			status: 403, body: obj{"error": "unauthorized"}},
	})
}

func sdk(method string, extra obj) obj {
	b := obj{"_method": method, "_ApplicationId": "testapp", "_ClientVersion": "js5.3.0", "_InstallationId": "inst-1"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

var textPlain = map[string]string{"Content-Type": "text/plain"}

func TestProtocolJSSDKBodies(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "_method GET runs a find with where", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			env.MustCreate("Game", obj{"score": 1})
			env.MustCreate("Game", obj{"score": 7})
			return nil
		},
			req:    apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: textPlain, Body: sdk("GET", obj{"where": obj{"score": obj{"$gt": 3}}, "limit": 10})},
			status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				eq(t, "scores", pluck(r.Results(), "score"), arr{7})
			}},
		{name: "_method GET by id", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/classes/Game/{{id}}", NoAppID: true, Headers: textPlain, Body: sdk("GET", nil)},
			status: 200, contains: []string{`"objectId":"{{id}}"`, `"first"`}},
		{name: "_method PUT updates", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/classes/Game/{{id}}", NoAppID: true, Headers: textPlain, Body: sdk("PUT", obj{"score": obj{"__op": "Increment", "amount": 2}})},
			status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "answer score", r.Map()["score"], 7)
				o := raw(t, env, "Game", v["id"])
				for _, k := range []string{"_method", "_ApplicationId", "_ClientVersion", "_InstallationId"} {
					if _, ok := o[k]; ok {
						t.Errorf("stored document has %s", k)
					}
				}
			}},
		{name: "_method DELETE deletes", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/classes/Game/{{id}}", NoAppID: true, Headers: textPlain, Body: sdk("DELETE", nil)},
			status: 200, body: obj{},
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if n := count(t, env, "Game"); n != 0 {
					t.Errorf("%d objects left", n)
				}
			}},
		{name: "POST without _method creates and strips the SDK keys", mod: func(c *config.Config) { c.AllowClientClassCreation = true },
			req: apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: textPlain,
				Body: obj{"_ApplicationId": "testapp", "_ClientVersion": "js5.3.0", "_InstallationId": "inst-1", "_context": obj{"a": 1}, "_RevocableSession": "1", "_ContentType": "x", "score": 3}},
			status: 201,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				o := raw(t, env, "Game", r.Map()["objectId"].(string))
				for k := range o {
					if k != "_id" && k != "score" && k != "_created_at" && k != "_updated_at" {
						t.Errorf("stored document has %s", k)
					}
				}
				var sch bson.M
				sch = raw(t, env, "_SCHEMA", "Game")
				for k := range sch {
					if strings.HasPrefix(k, "_") && k != "_id" && k != "_metadata" {
						t.Errorf("_SCHEMA gained %s", k)
					}
				}
			}},
		{name: "_MasterKey in the body", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/schemas", NoAppID: true, Headers: textPlain, Body: sdk("GET", obj{"_MasterKey": "testmaster"})},
			status: 200, contains: []string{`"className":"Game"`}},
		{name: "wrong _MasterKey in the body", req: apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: textPlain, Body: sdk("GET", obj{"_MasterKey": "nope"})},
			status: 403, body: obj{"error": "unauthorized"}},
		{name: "wrong _ApplicationId", req: apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: textPlain, Body: obj{"_method": "GET", "_ApplicationId": "other"}},
			status: 403, body: obj{"error": "unauthorized"}},
		{name: "header master key must match the body app", req: apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: map[string]string{"Content-Type": "text/plain", "X-Parse-Master-Key": "nope"}, Body: sdk("GET", nil)},
			status: 403, body: obj{"error": "unauthorized"}},
		{name: "_SessionToken reads a private object", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			uid, tok := session(t, env, "alice")
			id := env.MustCreate("Note", obj{"text": "secret", "ACL": obj{uid: obj{"read": true, "write": true}}})
			return map[string]string{"id": id, "tok": tok}
		},
			req:    apptest.Req{Method: "POST", Path: "/classes/Note/{{id}}", NoAppID: true, Headers: textPlain, Body: sdk("GET", obj{"_SessionToken": "{{tok}}"})},
			status: 200, contains: []string{`"secret"`}},
		{name: "without the _SessionToken the private object is not found", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			uid, _ := session(t, env, "alice")
			id := env.MustCreate("Note", obj{"text": "secret", "ACL": obj{uid: obj{"read": true}}})
			return map[string]string{"id": id}
		},
			req:    apptest.Req{Method: "POST", Path: "/classes/Note/{{id}}", NoAppID: true, Headers: textPlain, Body: sdk("GET", nil)},
			status: 404, code: 101, errIs: "Object not found."},
		{name: "unknown _SessionToken", req: apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: textPlain, Body: sdk("GET", obj{"_SessionToken": "r:nope"})},
			status: 400, code: 209},
		{name: "unsupported _method", req: apptest.Req{Method: "POST", Path: "/classes/Game", NoAppID: true, Headers: textPlain, Body: sdk("PATCH", nil)},
			status: 400, code: 107},
		{name: "_method with the header app id", setup: seedGame,
			req:    apptest.Req{Method: "POST", Path: "/classes/Game", Headers: textPlain, Body: obj{"_method": "GET", "where": obj{"name": "first"}}},
			status: 200, contains: []string{`"first"`}},
	})
}

func TestProtocolCORS(t *testing.T) {
	corsCheck := func(origin string) func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
		return func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
			h := r.Header
			if got := h.Get("Access-Control-Allow-Origin"); got != origin {
				t.Errorf("Allow-Origin %q, want %q", got, origin)
			}
			if got := h.Get("Access-Control-Allow-Methods"); got != "GET,PUT,POST,DELETE,OPTIONS" {
				t.Errorf("Allow-Methods %q", got)
			}
			allow := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
			for _, want := range []string{"x-parse-application-id", "x-parse-session-token", "x-parse-master-key", "content-type", "x-parse-installation-id", "x-parse-request-id", "authorization"} {
				if !strings.Contains(allow, want) {
					t.Errorf("Allow-Headers %q lacks %s", allow, want)
				}
			}
			exp := h.Get("Access-Control-Expose-Headers")
			for _, want := range []string{"X-Parse-Job-Status-Id", "X-Parse-Push-Status-Id"} {
				if !strings.Contains(exp, want) {
					t.Errorf("Expose-Headers %q lacks %s", exp, want)
				}
			}
		}
	}
	runScenarios(t, []scenario{
		{name: "preflight answers 200 without any key", req: apptest.Req{Method: "OPTIONS", Path: "/classes/Game", NoAppID: true}, status: 200, check: corsCheck("*")},
		{name: "preflight on a master route", req: apptest.Req{Method: "OPTIONS", Path: "/schemas", NoAppID: true}, status: 200, check: corsCheck("*")},
		{name: "normal answers carry CORS headers", setup: seedGame, req: apptest.Req{Path: "/classes/Game"}, status: 200, check: corsCheck("*")},
		{name: "errors carry CORS headers", req: apptest.Req{Path: "/classes/Game", NoAppID: true}, status: 403, check: corsCheck("*")},
		{name: "allowOrigin", mod: func(c *config.Config) { c.AllowOrigin = "https://app.example" }, req: apptest.Req{Method: "OPTIONS", Path: "/classes/Game", NoAppID: true}, status: 200, check: corsCheck("https://app.example")},
	})
}

func TestProtocolBodies(t *testing.T) {
	unchanged := func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
		t.Helper()
		o := get(t, env, "Game", v["id"])
		eq(t, "score", o["score"], 5)
		eq(t, "name", o["name"], "first")
		if _, ok := o["extra"]; ok {
			t.Errorf("extra was stored: %v", o)
		}
	}
	open := func(c *config.Config) { c.AllowClientClassCreation = true }
	runScenarios(t, []scenario{
		{name: "create answers 201 with Location", mod: open, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"a": 1}}, status: 201,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				id, _ := r.Map()["objectId"].(string)
				if want := "http://localhost:1337/parse/classes/Game/" + id; r.Header.Get("Location") != want {
					t.Errorf("Location %q, want %q", r.Header.Get("Location"), want)
				}
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
			}},
		{name: "invalid JSON", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: `{"score": 9,`}, status: 400, code: 107, check: unchanged},
		{name: "trailing garbage after JSON", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: `{"score": 9} x`}, status: 400, code: 107, check: unchanged},
		{name: "body is an array", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: `[{"score": 9}]`}, status: 400, code: 107, check: unchanged},
		{name: "body is a string", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: `"score"`}, status: 400, code: 107, check: unchanged},
		{name: "body too large", mod: func(c *config.Config) { c.MaxBodyBytes = 64 }, setup: seedGame,
			req:    apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"score": 9, "extra": strings.Repeat("x", 200)}},
			status: 413, body: obj{"error": "request entity too large"}, check: unchanged},
		{name: "body just under the limit", mod: func(c *config.Config) { c.MaxBodyBytes = 64 }, setup: seedGame,
			req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"score": 6}}, status: 200},
		{name: "bad class name on create", mod: open, req: apptest.Req{Method: "POST", Path: "/classes/1Game", Body: obj{"a": 1}}, status: 400, code: 103},
		{name: "bad class name with a dash", mod: open, req: apptest.Req{Method: "POST", Path: "/classes/my-class", Body: obj{"a": 1}}, status: 400, code: 103},
		{name: "bad class name on find", req: apptest.Req{Path: "/classes/_Secret", Master: true}, status: 400, code: 103},
		{name: "bad key name", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"score": 9, "1bad": 1}}, status: 400, code: 105, check: unchanged},
		{name: "key starting with $", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"$set": obj{"score": 9}}}, status: 400, code: 105, check: unchanged},
		{name: "key starting with _", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"_rperm": arr{}}}, status: 400, code: 105, check: unchanged},
		{name: "objectId in a create body", mod: open, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"objectId": "abcdefghij"}}, status: 400, code: 105},
		{name: "createdAt in an update body", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"createdAt": "2020-01-01T00:00:00.000Z"}}, status: 400, code: 105, check: unchanged},
		{name: "wrong type", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"score": "nine", "extra": 1}}, status: 400, code: 111, check: unchanged},
		{name: "unknown query parameter", setup: seedGame, req: apptest.Req{Path: "/classes/Game?foo=1"}, status: 400, code: 102, errIs: "Invalid parameter for query: foo"},
		{name: "unknown parameter on get", setup: seedGame, req: apptest.Req{Path: "/classes/Game/{{id}}?where={}"}, status: 400, code: 102, errIs: "Improper encode of parameter"},
		{name: "top-level $where", setup: seedGame, req: apptest.Req{Path: `/classes/Game?where={"$where":"this.score>1"}`}, status: 400, code: 105},
		{name: "top-level $expr", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"_method": "GET", "where": obj{"$expr": obj{"$gt": arr{"$score", 1}}}}}, status: 400, code: 105},
		{name: "$function", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"_method": "GET", "where": obj{"$function": obj{"body": "x"}}}}, status: 400, code: 105},
		{name: "$where inside $or", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"_method": "GET", "where": obj{"$or": arr{obj{"$where": "1"}}}}}, status: 400, code: 105},
		{name: "$where as a field constraint", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"_method": "GET", "where": obj{"score": obj{"$where": "1"}}}}, status: 400, code: 107},
		{name: "unknown operator", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"_method": "GET", "where": obj{"score": obj{"$foo": 1}}}}, status: 400, code: 107, errIs: "bad constraint: $foo"},
		{name: "$elemMatch is not a Parse operator", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"_method": "GET", "where": obj{"tags": obj{"$elemMatch": obj{"a": 1}}}}}, status: 400, code: 107},
		{name: "where is not an object", setup: seedGame, req: apptest.Req{Path: `/classes/Game?where=[1]`}, status: 400, code: 107},
		{name: "nested key with a dot", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"extra": obj{"a.b": 1}}}, status: 400, code: 121, check: unchanged},
		{name: "nested key with a $", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"extra": obj{"ok": obj{"$bad": 1}}}}, status: 400, code: 121, check: unchanged},
		{name: "nested key in an array element", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"extra": arr{obj{"$x": 1}}}}, status: 400, code: 121, check: unchanged},
		{name: "nested key with a dot on create", mod: open, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"m": obj{"a.b": 1}}}, status: 400, code: 121,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if n := count(t, env, "Game"); n != 0 {
					t.Errorf("%d objects stored", n)
				}
				if n := count(t, env, "_SCHEMA"); n != 0 {
					t.Errorf("a schema was stored for a refused create")
				}
			}},
		{name: "error envelope of 404", req: apptest.Req{Path: "/classes/Game/nothere", Master: true}, status: 404, body: obj{"code": 101, "error": "Object not found."}},
	})
}

func TestProtocolHealthAndServerInfo(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "health", req: apptest.Req{Path: "/health"}, status: 200, body: obj{"status": "ok"}},
		{name: "serverInfo", req: apptest.Req{Path: "/serverInfo", Master: true}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				m := r.Map()
				if v, _ := m["parseServerVersion"].(string); v == "" {
					t.Errorf("no parseServerVersion: %s", r.Raw)
				}
				f, _ := m["features"].(map[string]any)
				for _, k := range []string{"globalConfig", "hooks", "cloudCode", "logs", "push", "schemas"} {
					if _, ok := f[k]; !ok {
						t.Errorf("features lacks %s", k)
					}
				}
				eq(t, "schemas.addClass", field(m, "features.schemas.addClass"), true)
			}},
	})
}

func TestProtocolHealthWithoutAppID(t *testing.T) {
	env := apptest.New(t, nil)
	r := env.Do(apptest.Req{Path: "/health", NoAppID: true})
	if r.Status != 200 {
		t.Fatal("GET /health without X-Parse-Application-Id answers " + string(r.Raw) + "; Parse Server serves /health outside the app-id check (shared/rest/request.go parseRequest)")
	}
	eq(t, "health", r.JSON, obj{"status": "ok"})
}
