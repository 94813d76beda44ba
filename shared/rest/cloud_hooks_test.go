package rest_test

// Webhooks: /hooks/functions and /hooks/triggers (master key, code 143, no DELETE), and calls to an
// external endpoint (an httptest server on loopback) for functions and triggers.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/rest"
)

// webhookServer answers each path with a canned body and records what it received.
type webhookServer struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   map[string][]map[string]any
	keys     []string
	respond  map[string]string
	statuses map[string]int
}

func newWebhookServer(t *testing.T, respond map[string]string) *webhookServer {
	t.Helper()
	w := &webhookServer{bodies: map[string][]map[string]any{}, respond: respond, statuses: map[string]int{}}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		w.mu.Lock()
		w.bodies[r.URL.Path] = append(w.bodies[r.URL.Path], m)
		w.keys = append(w.keys, r.Header.Get("X-Parse-Webhook-Key"))
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(rw, w.respond[r.URL.Path])
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhookServer) received(path string) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bodies[path]
}

func TestHooksAPI(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, nil)
	do := func(method, path string, body any, master bool) *apptest.Resp {
		return env.Do(apptest.Req{Method: method, Path: path, Body: body, Master: master})
	}
	steps := []struct {
		name         string
		method, path string
		body         any
		master       bool
		status, code int
		want         any
		errIs        string
	}{
		{"needs the master key", "GET", "/hooks/functions", nil, false, 403, 0, nil, ""},
		{"empty list", "GET", "/hooks/functions", nil, true, 200, 0, arr{}, ""},
		{"create function", "POST", "/hooks/functions", obj{"functionName": "f1", "url": "http://127.0.0.1:9/f1"}, true, 200, 0, obj{"functionName": "f1", "url": "http://127.0.0.1:9/f1"}, ""},
		{"create again", "POST", "/hooks/functions", obj{"functionName": "f1", "url": "http://127.0.0.1:9/x"}, true, 400, 143, nil, "function name: f1 already exists"},
		{"invalid declaration", "POST", "/hooks/functions", obj{"functionName": "f2"}, true, 400, 143, nil, "invalid hook declaration"},
		{"get one", "GET", "/hooks/functions/f1", nil, true, 200, 0, obj{"functionName": "f1", "url": "http://127.0.0.1:9/f1"}, ""},
		{"update", "PUT", "/hooks/functions/f1", obj{"url": "http://127.0.0.1:9/f1b"}, true, 200, 0, obj{"functionName": "f1", "url": "http://127.0.0.1:9/f1b"}, ""},
		{"update unknown", "PUT", "/hooks/functions/nope", obj{"url": "http://127.0.0.1:9/n"}, true, 400, 143, nil, "no function named: nope is defined"},
		{"list", "GET", "/hooks/functions", nil, true, 200, 0, arr{obj{"functionName": "f1", "url": "http://127.0.0.1:9/f1b"}}, ""},
		{"delete with PUT", "PUT", "/hooks/functions/f1", obj{"__op": "Delete"}, true, 200, 0, obj{}, ""},
		{"gone", "GET", "/hooks/functions/f1", nil, true, 400, 143, nil, "no function named: f1 is defined"},
		{"no DELETE route", "DELETE", "/hooks/functions/f1", nil, true, 404, 0, nil, ""},
		{"create trigger", "POST", "/hooks/triggers", obj{"className": "Game", "triggerName": "beforeSave", "url": "http://127.0.0.1:9/bs"}, true, 200, 0, obj{"className": "Game", "triggerName": "beforeSave", "url": "http://127.0.0.1:9/bs"}, ""},
		{"trigger twice", "POST", "/hooks/triggers", obj{"className": "Game", "triggerName": "beforeSave", "url": "http://127.0.0.1:9/bs"}, true, 400, 143, nil, "class Game already has trigger beforeSave"},
		{"unknown trigger name", "POST", "/hooks/triggers", obj{"className": "Game", "triggerName": "beforeEverything", "url": "http://127.0.0.1:9/x"}, true, 400, 143, nil, "invalid hook declaration"},
		{"get trigger", "GET", "/hooks/triggers/Game/beforeSave", nil, true, 200, 0, obj{"className": "Game", "triggerName": "beforeSave", "url": "http://127.0.0.1:9/bs"}, ""},
		{"list triggers", "GET", "/hooks/triggers", nil, true, 200, 0, arr{obj{"className": "Game", "triggerName": "beforeSave", "url": "http://127.0.0.1:9/bs"}}, ""},
		{"delete trigger", "PUT", "/hooks/triggers/Game/beforeSave", obj{"__op": "Delete"}, true, 200, 0, obj{}, ""},
		{"trigger gone", "GET", "/hooks/triggers/Game/beforeSave", nil, true, 400, 143, nil, "class Game does not exist"},
	}
	for _, s := range steps {
		r := do(s.method, s.path, s.body, s.master)
		if r.Status != s.status || (s.code != 0 && r.Code() != s.code) || (s.errIs != "" && r.Map()["error"] != s.errIs) {
			t.Fatalf("%s: %s %s → %d %s", s.name, s.method, s.path, r.Status, r.Raw)
		}
		if s.want != nil {
			eq(t, s.name, r.JSON, s.want)
		}
	}
}

func TestWebhookCalls(t *testing.T) {
	t.Parallel()
	srv := newWebhookServer(t, map[string]string{
		"/ok":      `{"success":{"sum":5}}`,
		"/fail":    `{"error":"nope"}`,
		"/coded":   `{"error":{"code":137,"error":"taken"}}`,
		"/garbage": `<html>`,
		"/bs":      `{"success":{"objectId":"ignored","name":"CHANGED","extra":1}}`,
		"/bsno":    `{"error":"rejected by webhook"}`,
		"/as":      `{"success":true}`,
	})
	env := cloudEnv(t, nil, func(o *rest.Options) { o.WebhookKey = "hook-secret" })
	for _, h := range []obj{
		{"functionName": "ok", "url": srv.URL + "/ok"}, {"functionName": "fail", "url": srv.URL + "/fail"},
		{"functionName": "coded", "url": srv.URL + "/coded"}, {"functionName": "garbage", "url": srv.URL + "/garbage"},
	} {
		if r := env.Do(apptest.Req{Method: "POST", Path: "/hooks/functions", Body: h, Master: true}); r.Status != 200 {
			t.Fatalf("create hook: %d %s", r.Status, r.Raw)
		}
	}
	for _, h := range []obj{
		{"className": "Thing", "triggerName": "beforeSave", "url": srv.URL + "/bs"},
		{"className": "Thing", "triggerName": "afterSave", "url": srv.URL + "/as"},
		{"className": "Other", "triggerName": "beforeSave", "url": srv.URL + "/bsno"},
	} {
		if r := env.Do(apptest.Req{Method: "POST", Path: "/hooks/triggers", Body: h, Master: true}); r.Status != 200 {
			t.Fatalf("create hook: %d %s", r.Status, r.Raw)
		}
	}
	uid, tok := session(t, env, "ada")
	r := env.Do(apptest.Req{Method: "POST", Path: "/functions/ok", Body: obj{"a": 2, "b": 3}, Session: tok, Headers: map[string]string{"X-Parse-Installation-Id": "inst-1"}})
	if r.Status != 200 {
		t.Fatalf("webhook function: %d %s", r.Status, r.Raw)
	}
	eq(t, "result", r.JSON, obj{"result": obj{"sum": 5}})
	got := srv.received("/ok")
	if len(got) != 1 {
		t.Fatalf("webhook called %d times", len(got))
	}
	b := got[0]
	eq(t, "params", b["params"], obj{"a": 2, "b": 3})
	eq(t, "master", b["master"], false)
	eq(t, "functionName", b["functionName"], "ok")
	eq(t, "installationId", b["installationId"], "inst-1")
	eq(t, "user id", field(b, "user.objectId"), uid)
	eq(t, "headers", field(b, "headers.x-parse-installation-id"), "inst-1")
	eq(t, "context", b["context"], obj{})
	for _, c := range []struct {
		fn    string
		code  int
		error string
	}{{"fail", 141, "nope"}, {"coded", 137, "taken"}, {"garbage", -1, "Malformed response"}} {
		r := env.Do(apptest.Req{Method: "POST", Path: "/functions/" + c.fn, Body: obj{}})
		if r.Code() != c.code || r.Map()["error"] != c.error {
			t.Errorf("%s: %d %s", c.fn, r.Status, r.Raw)
		}
	}
	// Triggers: a beforeSave webhook changes the object, an afterSave webhook is told, a rejecting one
	// refuses the save.
	r = env.Do(apptest.Req{Method: "POST", Path: "/classes/Thing", Body: obj{"name": "orig"}, Master: true})
	if r.Status != 201 {
		t.Fatalf("save through beforeSave webhook: %d %s", r.Status, r.Raw)
	}
	id := r.Map()["objectId"].(string)
	stored := get(t, env, "Thing", id)
	eq(t, "changed by webhook", obj{"name": stored["name"], "extra": stored["extra"]}, obj{"name": "CHANGED", "extra": 1})
	bs := srv.received("/bs")
	if len(bs) != 1 || field(bs[0], "object.name") != "orig" || field(bs[0], "object.className") != "Thing" || bs[0]["triggerName"] != "beforeSave" || bs[0]["master"] != true {
		t.Errorf("beforeSave webhook got %v", bs)
	}
	as := srv.received("/as")
	if len(as) != 1 || field(as[0], "object.objectId") != id || field(as[0], "object.name") != "CHANGED" {
		t.Errorf("afterSave webhook got %v", as)
	}
	r = env.Do(apptest.Req{Method: "POST", Path: "/classes/Other", Body: obj{"x": 1}, Master: true})
	if r.Code() != 141 || r.Map()["error"] != "rejected by webhook" {
		t.Errorf("rejecting webhook: %d %s", r.Status, r.Raw)
	}
	srv.mu.Lock()
	for _, k := range srv.keys {
		if k != "hook-secret" {
			t.Errorf("X-Parse-Webhook-Key %q", k)
		}
	}
	srv.mu.Unlock()
}
