package rest_test

// Fuzzing of class-level permissions through the API: POST /schemas and PUT /schemas/:class with any
// JSON as classLevelPermissions (master key), then reads and writes of the class as an anonymous
// caller and as a user. Every answer must be a Parse answer (never a 500): bad permissions are refused
// with a Parse error code, accepted ones are applied without crashing.
//
//	go test -run '^$' -fuzz FuzzSchemaCLP -fuzztime 30s ./shared/rest/

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
)

var clpAPISeeds = []string{
	`{}`,
	`null`,
	`[]`,
	`"x"`,
	`{"find":{"*":true},"get":{"*":true},"count":{"*":true},"create":{"*":true},"update":{"*":true},"delete":{"*":true},"addField":{"*":true},"protectedFields":{"*":[]}}`,
	`{"find":{"requiresAuthentication":true},"get":{"requiresAuthentication":true},"create":{"requiresAuthentication":true}}`,
	`{"get":{},"find":{},"count":{},"create":{"*":true},"update":{},"delete":{},"readUserFields":["owner"],"writeUserFields":["owner"]}`,
	`{"update":{"pointerFields":["owner"]},"delete":{"pointerFields":["owner","nope"]}}`,
	`{"update":{"pointerFields":"owner"}}`,
	`{"find":{"*":false}}`,
	`{"find":{"*":"true"}}`,
	`{"find":{"role:Admin":true,"someUser":true}}`,
	`{"protectedFields":{"*":["secret"],"authenticated":["other"]}}`,
	`{"protectedFields":{"*":"secret"}}`,
	`{"readUserFields":"owner"}`,
	`{"readUserFields":[1,null]}`,
	`{"delete":[]}`,
	`{"explode":{"*":true}}`,
	`{"ACL":{"*":{"read":true}}}`,
}

func FuzzSchemaCLP(f *testing.F) {
	for _, s := range clpAPISeeds {
		f.Add(s)
	}
	env := apptest.New(f, nil)
	signup := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "fuzz", "password": "pw"}})
	token, _ := signup.Map()["sessionToken"].(string)
	userID, _ := signup.Map()["objectId"].(string)
	if token == "" {
		f.Fatalf("sign-up: %d %s", signup.Status, signup.Raw)
	}
	var seq atomic.Int64
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		env.T = t
		defer func() { env.T = f }()
		class := fmt.Sprintf("Fz%d", seq.Add(1))
		noServerError := func(what string, r *apptest.Resp) {
			t.Helper()
			if r.Status >= 500 {
				t.Fatalf("%s: %d %s (classLevelPermissions %s)", what, r.Status, r.Raw, in)
			}
			if r.Status >= 400 && r.Code() == 0 {
				if _, ok := r.Map()["error"]; !ok {
					t.Fatalf("%s: %d without a Parse error: %s (classLevelPermissions %s)", what, r.Status, r.Raw, in)
				}
			}
			secCheckNoSecrets(t, what, r)
		}
		body := fmt.Sprintf(`{"className":%q,"fields":{"owner":{"type":"Pointer","targetClass":"_User"},"secret":{"type":"String"}},"classLevelPermissions":%s}`, class, in)
		r := env.Do(apptest.Req{Method: "POST", Path: "/schemas", Body: []byte(body), Master: true})
		noServerError("POST /schemas", r)
		if r.Status != 200 && r.Status != 201 {
			// Refused: the same permissions on an existing class must be refused as well.
			env.Do(apptest.Req{Method: "POST", Path: "/schemas", Body: map[string]any{"className": class}, Master: true})
			u := env.Do(apptest.Req{Method: "PUT", Path: "/schemas/" + class, Body: []byte(fmt.Sprintf(`{"classLevelPermissions":%s}`, in)), Master: true})
			noServerError("PUT /schemas", u)
			if u.Status < 300 {
				t.Fatalf("POST /schemas refused classLevelPermissions %s (%s) but PUT accepted them", in, r.Raw)
			}
			return
		}
		owner := map[string]any{"__type": "Pointer", "className": "_User", "objectId": userID}
		id, _ := env.Do(apptest.Req{Method: "POST", Path: "/classes/" + class, Body: map[string]any{"owner": owner, "secret": "s"}, Master: true}).Map()["objectId"].(string)
		for _, session := range []string{"", token} {
			who := "anonymous"
			if session != "" {
				who = "user"
			}
			for _, q := range []apptest.Req{
				{Method: "GET", Path: "/classes/" + class},
				{Method: "GET", Path: "/classes/" + class + "?count=1&limit=0"},
				{Method: "GET", Path: "/classes/" + class + "/" + id},
				{Method: "POST", Path: "/classes/" + class, Body: map[string]any{"owner": owner}},
				{Method: "POST", Path: "/classes/" + class, Body: map[string]any{"newField": 1}},
				{Method: "PUT", Path: "/classes/" + class + "/" + id, Body: map[string]any{"secret": "t"}},
				{Method: "DELETE", Path: "/classes/" + class + "/" + id},
			} {
				q.Session = session
				noServerError(fmt.Sprintf("%s %s as %s", q.Method, q.Path, who), env.Do(q))
			}
		}
		g := env.Do(apptest.Req{Method: "GET", Path: "/schemas/" + class, Master: true})
		noServerError("GET /schemas/:class", g)
		if _, ok := g.Map()["classLevelPermissions"].(map[string]any); !ok {
			t.Fatalf("GET /schemas/%s: no classLevelPermissions: %s", class, g.Raw)
		}
	})
}
