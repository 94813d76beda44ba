package rest_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

func TestGlobalConfig(t *testing.T) {
	env := apptest.New(t, nil)
	if r := env.Do(apptest.Req{Path: "/config"}); r.Status != 200 || string(r.Raw) != `{"params":{}}` {
		t.Fatalf("empty: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/config", Body: obj{"params": obj{"a": 1}}}); r.Status != 403 {
		t.Fatalf("client PUT: %d %s", r.Status, r.Raw)
	}
	r := env.Do(apptest.Req{Method: "PUT", Path: "/config", Master: true, Body: obj{
		"params":        obj{"welcome": "hi", "secret": 42, "when": obj{"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}, "list": []any{1, "a"}},
		"masterKeyOnly": obj{"secret": true},
	}})
	if r.Status != 200 || string(r.Raw) != `{"result":true}` {
		t.Fatalf("PUT: %d %s", r.Status, r.Raw)
	}
	eq(t, "client GET", env.Do(apptest.Req{Path: "/config"}).JSON, map[string]any{"params": map[string]any{
		"welcome": "hi", "when": map[string]any{"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}, "list": []any{1.0, "a"}}})
	eq(t, "master GET", env.Do(apptest.Req{Path: "/config", Master: true}).JSON, map[string]any{
		"params":        map[string]any{"welcome": "hi", "secret": 42.0, "when": map[string]any{"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}, "list": []any{1.0, "a"}},
		"masterKeyOnly": map[string]any{"welcome": false, "secret": true, "when": false, "list": false}})
	// Stored as Parse Server stores it: one document with _id 1.
	var doc bson.M
	if err := env.DB.Collection("_GlobalConfig").FindOne(t.Context(), bson.D{{Key: "_id", Value: 1}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["_id"].(int32); !ok || field(toMap(doc["params"]), "welcome") != "hi" || field(toMap(doc["masterKeyOnly"]), "secret") != true {
		t.Errorf("stored %v", doc)
	}
	// Dot-wise updates keep the other parameters; Delete removes one.
	env.Do(apptest.Req{Method: "PUT", Path: "/config", Master: true, Body: obj{"params": obj{"welcome": "hello", "list": obj{"__op": "Delete"}}}})
	eq(t, "after update", env.Do(apptest.Req{Path: "/config"}).JSON, map[string]any{"params": map[string]any{
		"welcome": "hello", "when": map[string]any{"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}}})
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/config", Master: true, Body: obj{"params": 5}}); r.Code() != 107 {
		t.Errorf("params not an object: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/config", Master: true, Body: obj{"params": obj{"a.b": 1}}}); r.Code() != 105 {
		t.Errorf("dotted name: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Path: "/classes/_GlobalConfig"}); r.Code() != 119 {
		t.Errorf("class access: %d %s", r.Status, r.Raw)
	}
}

func toMap(v any) map[string]any {
	switch t := v.(type) {
	case bson.M:
		return t
	case bson.D:
		m := map[string]any{}
		for _, e := range t {
			m[e.Key] = e.Value
		}
		return m
	}
	return nil
}

func TestInstallations(t *testing.T) {
	env := apptest.New(t, nil)
	r := env.Do(apptest.Req{Method: "POST", Path: "/installations", Body: obj{"installationId": "ABC-Dev-1", "deviceType": "ios", "channels": []any{"news", ""}}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := r.Map()["objectId"].(string)
	if r.Header.Get("Location") != "http://localhost:1337/parse/classes/_Installation/"+id {
		t.Errorf("Location %q", r.Header.Get("Location"))
	}
	// The same installationId (any case) updates that installation.
	r = env.Do(apptest.Req{Method: "POST", Path: "/installations", Body: obj{"installationId": "abc-dev-1", "deviceType": "ios", "badge": 3}})
	if r.Status != 200 || r.Map()["updatedAt"] == nil || r.Map()["objectId"] != nil {
		t.Fatalf("re-create: %d %s", r.Status, r.Raw)
	}
	if n := count(t, env, "_Installation"); n != 1 {
		t.Fatalf("%d installations", n)
	}
	g := env.Do(apptest.Req{Path: "/installations/" + id})
	if g.Map()["installationId"] != "abc-dev-1" || g.Map()["badge"] != 3.0 {
		t.Errorf("get: %s", g.Raw)
	}
	for _, c := range []struct {
		name   string
		req    apptest.Req
		status int
		code   int
		msg    string
	}{
		{"find needs master", apptest.Req{Path: "/installations"}, 400, 119, "Clients aren't allowed to perform the find operation on the installation collection."},
		{"find via classes needs master", apptest.Req{Path: "/classes/_Installation"}, 400, 119, "Clients aren't allowed to perform the find operation on the installation collection."},
		{"delete needs master", apptest.Req{Method: "DELETE", Path: "/installations/" + id}, 400, 119, "Clients aren't allowed to perform the delete operation on the installation collection."},
		{"deviceType required", apptest.Req{Method: "POST", Path: "/installations", Body: obj{"installationId": "other-1"}}, 400, 135, "deviceType must be specified in this operation"},
		{"an id required", apptest.Req{Method: "POST", Path: "/installations", Body: obj{"deviceType": "ios"}}, 400, 135, "at least one ID field (deviceToken, installationId) must be specified in this operation"},
		{"deviceType immutable", apptest.Req{Method: "PUT", Path: "/installations/" + id, Body: obj{"deviceType": "android"}}, 400, 136, "deviceType may not be changed in this operation"},
		{"installationId immutable", apptest.Req{Method: "PUT", Path: "/installations/" + id, Body: obj{"installationId": "zzz"}}, 400, 136, "installationId may not be changed in this operation"},
		{"update of a missing one", apptest.Req{Method: "PUT", Path: "/installations/nope123456", Body: obj{"installationId": "zzz"}}, 404, 101, "Object not found for update."},
		{"channel names", apptest.Req{Method: "PUT", Path: "/installations/" + id, Body: obj{"channels": []any{"1bad"}}}, 400, 112, ""},
		{"channel ops", apptest.Req{Method: "PUT", Path: "/installations/" + id, Body: obj{"channels": obj{"__op": "AddUnique", "objects": []any{"ok", "no way"}}}}, 400, 112, ""},
		{"channel not a string", apptest.Req{Method: "POST", Path: "/installations", Body: obj{"installationId": "x-2", "deviceType": "ios", "channels": []any{5}}}, 400, 112, ""},
		{"same deviceType", apptest.Req{Method: "PUT", Path: "/installations/" + id, Body: obj{"deviceType": "ios", "channels": obj{"__op": "AddUnique", "objects": []any{"sports"}}}}, 200, 0, ""},
	} {
		r := env.Do(c.req)
		if r.Status != c.status || r.Code() != c.code || (c.msg != "" && r.Map()["error"] != c.msg) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	if r := env.Do(apptest.Req{Path: "/installations", Master: true}); len(r.Results()) != 1 || len(r.Results()[0]["channels"].([]any)) != 3 {
		t.Errorf("master find: %s", r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "DELETE", Path: "/installations/" + id, Master: true}); r.Status != 200 {
		t.Errorf("master delete: %d %s", r.Status, r.Raw)
	}
}

func TestInstallationDeviceTokens(t *testing.T) {
	env := apptest.New(t, nil)
	post := func(body obj, hdr map[string]string) *apptest.Resp {
		t.Helper()
		r := env.Do(apptest.Req{Method: "POST", Path: "/installations", Body: body, Headers: hdr})
		if r.Status != 201 && r.Status != 200 {
			t.Fatalf("POST %v: %d %s", body, r.Status, r.Raw)
		}
		return r
	}
	token := strings.Repeat("AB", 32) // an APNs token: lower-cased
	first := post(obj{"deviceToken": token, "deviceType": "ios"}, nil).Map()["objectId"].(string)
	if got := get(t, env, "_Installation", first)["deviceToken"]; got != strings.ToLower(token) {
		t.Errorf("token %v", got)
	}
	// The token's only installation has no installationId: the new installationId joins it.
	if r := post(obj{"deviceToken": token, "installationId": "inst-a", "deviceType": "ios"}, nil); r.Status != 200 {
		t.Errorf("merge: %d %s", r.Status, r.Raw)
	}
	if n := count(t, env, "_Installation"); n != 1 {
		t.Fatalf("%d installations after merge", n)
	}
	// The token moves to another installation: the old holder goes.
	second := post(obj{"deviceToken": token, "installationId": "inst-b", "deviceType": "ios"}, nil).Map()["objectId"].(string)
	all := rawAll(t, env, "_Installation")
	if len(all) != 1 || all[0]["_id"] != second || all[0]["installationId"] != "inst-b" {
		t.Fatalf("after move: %v", all)
	}
	// An installation known by id takes a token held by another one: that one goes.
	third := post(obj{"installationId": "inst-c", "deviceType": "android"}, nil).Map()["objectId"].(string)
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/installations/" + third, Body: obj{"installationId": "inst-c", "deviceToken": token}}); r.Status != 200 {
		t.Fatalf("take token: %d %s", r.Status, r.Raw)
	}
	all = rawAll(t, env, "_Installation")
	if len(all) != 1 || all[0]["_id"] != third {
		t.Fatalf("after take: %v", all)
	}
	// The X-Parse-Installation-Id header finds the installation when the body names none.
	post(obj{"installationId": "hdr-1", "deviceType": "android"}, nil)
	if r := post(obj{"badge": 7}, map[string]string{"X-Parse-Installation-Id": "HDR-1"}); r.Status != 200 {
		t.Errorf("header lookup: %d %s", r.Status, r.Raw)
	}
	if n := count(t, env, "_Installation"); n != 2 {
		t.Errorf("%d installations", n)
	}
}

// Sessions created with X-Parse-Installation-Id record it, and replace the user's session on that installation.
func TestSessionInstallationID(t *testing.T) {
	env := apptest.New(t, nil)
	h := map[string]string{"X-Parse-Installation-Id": "device-1"}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"username": "ann", "password": "pw"}, Headers: h}); r.Status != 201 {
		t.Fatalf("sign-up: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/login", Body: obj{"username": "ann", "password": "pw"}, Headers: h}); r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Raw)
	}
	all := rawAll(t, env, "_Session")
	if len(all) != 1 || all[0]["installationId"] != "device-1" {
		t.Fatalf("sessions %v", all)
	}
}

func TestEvents(t *testing.T) {
	env := apptest.New(t, nil)
	if r := env.Do(apptest.Req{Method: "POST", Path: "/events/AppOpened", Body: obj{"at": obj{"__type": "Date", "iso": "2024-05-01T10:00:00.000Z"}}}); r.Status != 200 || string(r.Raw) != "{}" {
		t.Fatalf("AppOpened: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/events/Search", Body: obj{"dimensions": obj{"priceRange": "1000-1500", "source": "craigslist"}}}); r.Status != 200 {
		t.Fatalf("Search: %d %s", r.Status, r.Raw)
	}
	lines := strings.Split(strings.TrimSpace(env.Events.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	var first, second map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &first)
	_ = json.Unmarshal([]byte(lines[1]), &second)
	eq(t, "AppOpened line", first, map[string]any{"AppOpened": 1.0, "_aws": map[string]any{"Timestamp": 1714557600000.0,
		"CloudWatchMetrics": []any{map[string]any{"Namespace": "Parse/Events", "Dimensions": []any{[]any{}}, "Metrics": []any{map[string]any{"Name": "AppOpened", "Unit": "Count"}}}}}})
	if second["Search"] != 1.0 || second["priceRange"] != "1000-1500" || second["source"] != "craigslist" ||
		mustJSON(field(second, "_aws.CloudWatchMetrics")) != `[{"Dimensions":[["priceRange","source"]],"Metrics":[{"Name":"Search","Unit":"Count"}],"Namespace":"Parse/Events"}]` {
		t.Errorf("Search line %s", lines[1])
	}
	if ts, _ := field(second, "_aws.Timestamp").(float64); time.Since(time.UnixMilli(int64(ts))) > time.Minute {
		t.Errorf("timestamp %v", ts)
	}
	for _, c := range []struct {
		path string
		body obj
		code int
	}{
		{"/events/bad$name", obj{}, 160},
		{"/events/_aws", obj{}, 160},
		{"/events/Search", obj{"dimensions": obj{"n": 5}}, 107},
		{"/events/Search", obj{"dimensions": []any{"a"}}, 107},
		{"/events/Search", obj{"at": "yesterday"}, 107},
	} {
		if r := env.Do(apptest.Req{Method: "POST", Path: c.path, Body: c.body}); r.Code() != c.code {
			t.Errorf("%s %v: %d %s", c.path, c.body, r.Status, r.Raw)
		}
	}
}

func TestIdempotency(t *testing.T) {
	hdr := func(id string) map[string]string { return map[string]string{"X-Parse-Request-Id": id} }
	t.Run("off by default", func(t *testing.T) {
		env := apptest.New(t, nil)
		for i := 0; i < 2; i++ {
			if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Post", Master: true, Body: obj{"a": 1}, Headers: hdr("req-1")}); r.Status != 201 {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		}
	})
	t.Run("configured paths", func(t *testing.T) {
		env := apptest.New(t, func(c *config.Config) {
			c.IdempotencyPaths = []string{"classes/.*", "users", "installations"}
			c.IdempotencyTTL = time.Second
			c.IdempotencyRepeat = "error" // Parse Server's 159; the replays are in idempotency_replay_test.go
		})
		post := func(id string) *apptest.Resp {
			return env.Do(apptest.Req{Method: "POST", Path: "/classes/Post", Master: true, Body: obj{"a": 1}, Headers: hdr(id)})
		}
		if r := post("req-1"); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		if r := post("req-1"); r.Code() != 159 || r.Map()["error"] != "Duplicate request" {
			t.Fatalf("repeat: %d %s", r.Status, r.Raw)
		}
		if r := post("req-2"); r.Status != 201 {
			t.Fatalf("other id: %d %s", r.Status, r.Raw)
		}
		if r := post(""); r.Status != 201 {
			t.Fatalf("no id: %d %s", r.Status, r.Raw)
		}
		// Reads and paths outside the list pass.
		for i := 0; i < 2; i++ {
			if r := env.Do(apptest.Req{Path: "/classes/Post", Headers: hdr("read-1")}); r.Status != 200 {
				t.Fatalf("read: %d %s", r.Status, r.Raw)
			}
			if r := env.Do(apptest.Req{Method: "POST", Path: "/events/X", Body: obj{}, Headers: hdr("ev-1")}); r.Status != 200 {
				t.Fatalf("events: %d %s", r.Status, r.Raw)
			}
		}
		id := env.MustCreate("Post", obj{"a": 1})
		for i, want := range []int{200, 400} {
			if r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Post/" + id, Master: true, Body: obj{"a": 2}, Headers: hdr("put-1")}); r.Status != want {
				t.Fatalf("PUT %d: %d %s", i, r.Status, r.Raw)
			}
		}
		for i, want := range []int{201, 400} {
			if r := env.Do(apptest.Req{Method: "POST", Path: "/installations", Body: obj{"installationId": "i1", "deviceType": "ios"}, Headers: hdr("inst-1")}); r.Status != want {
				t.Fatalf("installation %d: %d %s", i, r.Status, r.Raw)
			}
		}
		// Batch sub-requests count one by one.
		batch := obj{"requests": []any{
			obj{"method": "POST", "path": "/parse/classes/Post", "body": obj{"n": 1}},
			obj{"method": "POST", "path": "/parse/classes/Post", "body": obj{"n": 1}},
		}}
		r := env.Do(apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: batch, Headers: hdr("batch-1")})
		if !strings.Contains(string(r.Raw), `"success"`) || strings.Contains(string(r.Raw), `"error"`) {
			t.Fatalf("batch: %s", r.Raw)
		}
		r = env.Do(apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: batch, Headers: hdr("batch-1")})
		if strings.Count(string(r.Raw), `"code":159`) != 2 {
			t.Fatalf("batch repeat: %s", r.Raw)
		}
		rows := rawAll(t, env, "_Idempotency")
		if len(rows) != 6 {
			t.Fatalf("rows %v", rows)
		}
		for _, row := range rows {
			if _, ok := row["expire"].(bson.DateTime); !ok || row["reqId"] == nil {
				t.Errorf("row %v", row)
			}
		}
		// After the TTL the id may be used again.
		time.Sleep(1100 * time.Millisecond)
		if r := post("req-1"); r.Status != 201 {
			t.Fatalf("after TTL: %d %s", r.Status, r.Raw)
		}
	})
}
