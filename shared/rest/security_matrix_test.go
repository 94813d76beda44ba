package rest_test

// The permission matrix: callers (anonymous, user A, user B, a role member, a member of an inherited
// role, the master key) × operations (get, find, count, include through a pointer on a public object,
// update, delete) × objects (public, private to A, role-readable, and a class with pointer permissions
// on an `owner` field). Every cell has its expected outcome; every answer is also checked for keys that
// must never leave the server. The expected outcomes were checked against Parse Server 7.3 (see the
// comments for the cells where the engine deliberately or knowingly differs).

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
)

// secForbiddenKeys may never appear as a key anywhere in an answer.
var secForbiddenKeys = []string{"_hashed_password", "_session_token", "password", "_rperm", "_wperm", "_acl"}

// secCheckNoSecrets fails when the answer carries a forbidden key at any depth.
func secCheckNoSecrets(t *testing.T, what string, r *apptest.Resp) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				for _, bad := range secForbiddenKeys {
					if k == bad {
						t.Errorf("%s: answer contains the key %q: %s", what, k, r.Raw)
					}
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(r.JSON)
}

type secCaller struct {
	name   string
	token  string
	master bool
}

// secWorld is the data set of the matrix.
type secWorld struct {
	env     *apptest.Env
	t       *testing.T
	users   map[string]string // name -> objectId
	callers []secCaller
}

func (w *secWorld) do(c secCaller, method, path string, body any) *apptest.Resp {
	w.t.Helper()
	r := w.env.Do(apptest.Req{Method: method, Path: path, Body: body, Session: c.token, Master: c.master})
	secCheckNoSecrets(w.t, fmt.Sprintf("%s %s as %s", method, path, c.name), r)
	return r
}

func (w *secWorld) master(method, path string, body any) *apptest.Resp {
	w.t.Helper()
	r := w.do(secCaller{name: "master", master: true}, method, path, body)
	if r.Status >= 300 {
		w.t.Fatalf("%s %s (master): %d %s", method, path, r.Status, r.Raw)
	}
	return r
}

func secPtr(class, id string) map[string]any {
	return map[string]any{"__type": "Pointer", "className": class, "objectId": id}
}

func secQuery(params map[string]any) string {
	v := url.Values{}
	for k, x := range params {
		if s, ok := x.(string); ok {
			v.Set(k, s)
			continue
		}
		b, _ := json.Marshal(x)
		v.Set(k, string(b))
	}
	return v.Encode()
}

const (
	secObj    = "SecObj"    // plain class: objects public, private to A, role-readable
	secOwned  = "SecOwned"  // pointer permissions on owner
	secHolder = "SecHolder" // public objects pointing at the others
)

func newSecWorld(t *testing.T) *secWorld {
	env := apptest.New(t, nil)
	w := &secWorld{env: env, t: t, users: map[string]string{}}
	w.callers = append(w.callers, secCaller{name: "anonymous"})
	for _, n := range []string{"A", "B", "roleMember", "inheritedMember"} {
		r := w.do(secCaller{name: "anonymous"}, "POST", "/users", map[string]any{"username": "sec_" + n, "password": "pw-" + n, "email": n + "@example.com"})
		if r.Status != 201 {
			t.Fatalf("sign-up %s: %d %s", n, r.Status, r.Raw)
		}
		w.users[n] = r.Map()["objectId"].(string)
		w.callers = append(w.callers, secCaller{name: n, token: r.Map()["sessionToken"].(string)})
	}
	w.callers = append(w.callers, secCaller{name: "master", master: true})

	// Roles: Readers has roleMember; Parent's roles relation holds Child, whose user is inheritedMember.
	role := func(name string, rel map[string]any) string {
		body := map[string]any{"name": name, "ACL": map[string]any{"*": map[string]any{"read": true}}}
		for k, v := range rel {
			body[k] = v
		}
		return w.master("POST", "/roles", body).Map()["objectId"].(string)
	}
	role("Readers", map[string]any{"users": map[string]any{"__op": "AddRelation", "objects": []any{secPtr("_User", w.users["roleMember"])}}})
	child := role("Child", map[string]any{"users": map[string]any{"__op": "AddRelation", "objects": []any{secPtr("_User", w.users["inheritedMember"])}}})
	role("Parent", map[string]any{"roles": map[string]any{"__op": "AddRelation", "objects": []any{secPtr("_Role", child)}}})

	w.master("POST", "/schemas", map[string]any{"className": secObj, "fields": map[string]any{"n": map[string]any{"type": "Number"}}})
	w.master("POST", "/schemas", map[string]any{
		"className": secOwned,
		"fields": map[string]any{
			"n":     map[string]any{"type": "Number"},
			"owner": map[string]any{"type": "Pointer", "targetClass": "_User"},
		},
		"classLevelPermissions": map[string]any{
			"get": map[string]any{}, "find": map[string]any{}, "count": map[string]any{},
			"create": map[string]any{"*": true}, "update": map[string]any{}, "delete": map[string]any{}, "addField": map[string]any{},
			"readUserFields": []any{"owner"}, "writeUserFields": []any{"owner"},
		},
	})
	w.master("POST", "/schemas", map[string]any{"className": secHolder, "fields": map[string]any{
		"obj":  map[string]any{"type": "Pointer", "targetClass": secObj},
		"own":  map[string]any{"type": "Pointer", "targetClass": secOwned},
		"user": map[string]any{"type": "Pointer", "targetClass": "_User"},
	}})
	return w
}

// Kinds of objects.
const (
	kindPublic   = "public"
	kindPrivateA = "privateA"
	kindRole     = "role"
	kindOwned    = "ownerCLP"
)

// secTarget is one object and the public holder that points at it.
type secTarget struct {
	class, id, holder, holderKey string
}

func (w *secWorld) make(kind string) secTarget {
	w.t.Helper()
	a := w.users["A"]
	rw := map[string]any{"read": true, "write": true}
	var acl map[string]any
	switch kind {
	case kindPublic, kindOwned:
		acl = map[string]any{"*": rw}
	case kindPrivateA:
		acl = map[string]any{a: rw}
	case kindRole:
		// Readers read and write; Parent (so Child's members) only read.
		acl = map[string]any{a: rw, "role:Readers": rw, "role:Parent": map[string]any{"read": true}}
	}
	body := map[string]any{"n": 0, "ACL": acl}
	tg := secTarget{class: secObj, holderKey: "obj"}
	if kind == kindOwned {
		tg = secTarget{class: secOwned, holderKey: "own"}
		body["owner"] = secPtr("_User", a)
	}
	tg.id = w.master("POST", "/classes/"+tg.class, body).Map()["objectId"].(string)
	tg.holder = w.master("POST", "/classes/"+secHolder, map[string]any{tg.holderKey: secPtr(tg.class, tg.id)}).Map()["objectId"].(string)
	return tg
}

// secOutcome is what a caller gets for each operation on one object.
//
//	get, update, delete: "ok" or the Parse error code
//	find: "ok" (the object is in the results), "none", or an error code
//	count: the count, or an error code
//	include: "ok" (the pointer became the object), "ptr" (left a pointer), or an error code
type secOutcome struct{ get, find, count, include, update, delete string }

var (
	secAll      = secOutcome{"ok", "ok", "1", "ok", "ok", "ok"}
	secNothing  = secOutcome{"101", "none", "0", "ptr", "101", "101"}
	secReadOnly = secOutcome{"ok", "ok", "1", "ok", "101", "101"}
)

// secExpected[kind][caller].
var secExpected = map[string]map[string]secOutcome{
	kindPublic: {
		"anonymous": secAll, "A": secAll, "B": secAll, "roleMember": secAll, "inheritedMember": secAll, "master": secAll,
	},
	kindPrivateA: {
		"anonymous": secNothing, "A": secAll, "B": secNothing, "roleMember": secNothing, "inheritedMember": secNothing, "master": secAll,
	},
	kindRole: {
		"anonymous": secNothing, "A": secAll, "B": secNothing, "roleMember": secAll, "inheritedMember": secReadOnly, "master": secAll,
	},
	// Only the owner (and the master key) passes the readUserFields/writeUserFields check. Parse Server 7.3
	// answers the anonymous include with 101 for the whole query (its include subquery on one id is run as a
	// "get"); leaving the pointer unresolved is the same protection.
	kindOwned: {
		"anonymous": secNothing, "A": secAll, "B": secNothing, "roleMember": secNothing, "inheritedMember": secNothing, "master": secAll,
	},
}

func secCode(r *apptest.Resp) string {
	if r.Status < 300 {
		return "ok"
	}
	return fmt.Sprint(r.Code())
}

func TestSecurityMatrix(t *testing.T) {
	w := newSecWorld(t)
	kinds := []string{kindPublic, kindPrivateA, kindRole, kindOwned}
	targets := map[string]secTarget{}
	for _, k := range kinds {
		targets[k] = w.make(k)
	}
	ops := []string{"get", "find", "count", "include", "update", "delete"}
	updates := map[string]int{}
	deleted := map[string]bool{} // deletion targets (fresh objects) -> expected gone
	for _, kind := range kinds {
		tg := targets[kind]
		for _, c := range w.callers {
			exp, ok := secExpected[kind][c.name]
			if !ok {
				t.Fatalf("no expectation for %s/%s", kind, c.name)
			}
			want := map[string]string{"get": exp.get, "find": exp.find, "count": exp.count, "include": exp.include, "update": exp.update, "delete": exp.delete}
			for _, op := range ops {
				cell := kind + "/" + c.name + "/" + op
				t.Run(cell, func(t *testing.T) {
					w.t = t
					var got string
					switch op {
					case "get":
						got = secCode(w.do(c, "GET", "/classes/"+tg.class+"/"+tg.id, nil))
					case "find":
						r := w.do(c, "GET", "/classes/"+tg.class+"?"+secQuery(map[string]any{"where": map[string]any{"objectId": map[string]any{"$in": []any{tg.id}}}}), nil)
						got = secCode(r)
						if got == "ok" {
							got = "none"
							for _, o := range r.Results() {
								if o["objectId"] == tg.id {
									got = "ok"
								}
							}
						}
					case "count":
						r := w.do(c, "GET", "/classes/"+tg.class+"?"+secQuery(map[string]any{"where": map[string]any{"objectId": tg.id}, "count": 1, "limit": 0}), nil)
						got = secCode(r)
						if got == "ok" {
							got = fmt.Sprint(r.Map()["count"])
						}
					case "include":
						r := w.do(c, "GET", "/classes/"+secHolder+"/"+tg.holder+"?include="+tg.holderKey, nil)
						got = secCode(r)
						if got == "ok" {
							got = "ptr"
							if m, _ := r.Map()[tg.holderKey].(map[string]any); m["__type"] == "Object" && m["objectId"] == tg.id {
								got = "ok"
							}
						}
					case "update":
						got = secCode(w.do(c, "PUT", "/classes/"+tg.class+"/"+tg.id, map[string]any{"n": map[string]any{"__op": "Increment", "amount": 1}}))
						if want[op] == "ok" {
							updates[kind]++
						}
					case "delete":
						fresh := w.make(kind)
						got = secCode(w.do(c, "DELETE", "/classes/"+fresh.class+"/"+fresh.id, nil))
						deleted[fresh.class+"/"+fresh.id] = want[op] == "ok"
					}
					if got != want[op] {
						t.Errorf("%s: got %s, want %s", cell, got, want[op])
					}
				})
			}
		}
	}
	w.t = t
	// Exactly the allowed updates and deletes took effect.
	for _, kind := range kinds {
		tg := targets[kind]
		r := w.master("GET", "/classes/"+tg.class+"/"+tg.id, nil)
		if n, _ := r.Map()["n"].(float64); int(n) != updates[kind] {
			t.Errorf("%s: n = %v after the matrix, want %d increments", kind, r.Map()["n"], updates[kind])
		}
	}
	for path, gone := range deleted {
		r := w.do(secCaller{name: "master", master: true}, "GET", "/classes/"+path, nil)
		if gone != (r.Status == 404) {
			t.Errorf("%s: status %d after the delete cell, want gone=%v", path, r.Status, gone)
		}
	}
}

// TestSecurityUserFields: a user's email is visible to that user and the master key only (GET
// /users/:id, find, include); other private users are not found; no answer leaks a secret column.
func TestSecurityUserFields(t *testing.T) {
	w := newSecWorld(t)
	a := w.users["A"]
	var callerA secCaller
	for _, c := range w.callers {
		if c.name == "A" {
			callerA = c
		}
	}
	// Users are private by default (enforcePrivateUsers): B does not find A.
	for _, c := range w.callers {
		if c.name == "A" || c.master {
			continue
		}
		if r := w.do(c, "GET", "/users/"+a, nil); r.Status != 404 || r.Code() != 101 {
			t.Errorf("GET /users/A as %s before A is public: %d %s", c.name, r.Status, r.Raw)
		}
		if r := w.do(c, "GET", "/users?"+secQuery(map[string]any{"where": map[string]any{"objectId": a}}), nil); len(r.Results()) != 0 {
			t.Errorf("find of A as %s before A is public: %s", c.name, r.Raw)
		}
	}
	// A makes itself publicly readable.
	if r := w.do(callerA, "PUT", "/users/"+a, map[string]any{"ACL": map[string]any{"*": map[string]any{"read": true}, a: map[string]any{"read": true, "write": true}}}); r.Status != 200 {
		t.Fatalf("A sets its ACL: %d %s", r.Status, r.Raw)
	}
	holder := w.master("POST", "/classes/"+secHolder, map[string]any{"user": secPtr("_User", a)}).Map()["objectId"].(string)

	for _, c := range w.callers {
		seesEmail := c.name == "A" || c.master
		t.Run(c.name, func(t *testing.T) {
			w.t = t
			check := func(what string, u map[string]any) {
				t.Helper()
				if u == nil || u["objectId"] != a {
					t.Errorf("%s: A not returned: %v", what, u)
					return
				}
				if u["username"] != "sec_A" {
					t.Errorf("%s: username %v", what, u["username"])
				}
				_, has := u["email"]
				if has != seesEmail {
					t.Errorf("%s: email shown=%v, want %v: %v", what, has, seesEmail, u)
				}
				if _, ok := u["authData"]; ok && !seesEmail {
					t.Errorf("%s: authData shown: %v", what, u)
				}
				if tok, ok := u["sessionToken"]; ok && c.name != "A" {
					t.Errorf("%s: another user's session token shown: %v", what, tok)
				}
			}
			r := w.do(c, "GET", "/users/"+a, nil)
			check("GET /users/:id", r.Map())
			r = w.do(c, "GET", "/users?"+secQuery(map[string]any{"where": map[string]any{"objectId": a}}), nil)
			if res := r.Results(); len(res) == 1 {
				check("find /users", res[0])
			} else {
				t.Errorf("find /users: %s", r.Raw)
			}
			r = w.do(c, "GET", "/classes/"+secHolder+"?"+secQuery(map[string]any{"where": map[string]any{"objectId": holder}, "include": "user"}), nil)
			if res := r.Results(); len(res) == 1 {
				u, _ := res[0]["user"].(map[string]any)
				check("include of a user pointer", u)
			} else {
				t.Errorf("include: %s", r.Raw)
			}
		})
	}
	w.t = t
	// Every route that answers a user: none leaks a secret column (checked inside w.do).
	anon := secCaller{name: "anonymous"}
	login := w.do(anon, "POST", "/login", map[string]any{"username": "sec_A", "password": "pw-A"})
	if login.Status != 200 {
		t.Fatalf("login: %d %s", login.Status, login.Raw)
	}
	tokenA := login.Map()["sessionToken"].(string)
	asA := secCaller{name: "A (login)", token: tokenA}
	for _, p := range []string{"/users/me", "/sessions", "/sessions/me", "/users", "/roles"} {
		if r := w.do(asA, "GET", p, nil); r.Status != 200 {
			t.Errorf("GET %s: %d %s", p, r.Status, r.Raw)
		}
	}
	w.do(anon, "GET", "/verifyPassword?"+secQuery(map[string]any{"username": "sec_A", "password": "pw-A"}), nil)
	w.do(asA, "PUT", "/users/"+a, map[string]any{"password": "pw-A2"})
	for _, p := range []string{"/users", "/sessions", "/classes/_User", "/classes/_Session"} {
		if r := w.master("GET", p, nil); len(r.Results()) == 0 {
			t.Errorf("master GET %s: no results: %s", p, r.Raw)
		}
	}
	// A where clause on a secret column must not match anything, nor be an oracle for its value.
	for _, where := range []map[string]any{
		{"_hashed_password": map[string]any{"$exists": true}},
		{"password": map[string]any{"$exists": true}},
		{"_session_token": map[string]any{"$exists": true}},
		{"sessionToken": tokenA},
	} {
		for _, c := range []secCaller{anon, asA} {
			cls := "/users"
			if _, ok := where["sessionToken"]; ok {
				cls = "/classes/_Session"
			}
			r := w.do(c, "GET", cls+"?"+secQuery(map[string]any{"where": where}), nil)
			if r.Status == 200 && len(r.Results()) > 0 && !(c.token == tokenA && cls == "/classes/_Session") {
				t.Errorf("where %v as %s on %s matched: %s", where, c.name, cls, r.Raw)
			}
		}
	}
}

// TestSecurityNoSecretsInWrites: the write answers (sign-up, update, login via authData) never echo a
// secret column, even when the client sends one.
func TestSecurityNoSecretsInWrites(t *testing.T) {
	w := newSecWorld(t)
	anon := secCaller{name: "anonymous"}
	for _, body := range []map[string]any{
		{"username": "x1", "password": "p", "_hashed_password": "$2a$10$abc"},
		{"username": "x2", "password": "p", "_rperm": []any{"*"}},
		{"username": "x3", "password": "p", "_session_token": "r:abc"},
		{"username": "x4", "password": "p", "_acl": map[string]any{}},
	} {
		r := w.do(anon, "POST", "/users", body)
		if r.Status == 201 {
			t.Errorf("sign-up with %v accepted: %s", body, r.Raw)
		}
	}
	r := w.do(anon, "POST", "/users", map[string]any{"authData": map[string]any{"anonymous": map[string]any{"id": "sec-anon-1"}}})
	if r.Status != 201 {
		t.Fatalf("anonymous sign-up: %d %s", r.Status, r.Raw)
	}
	r = w.do(anon, "POST", "/users", map[string]any{"authData": map[string]any{"anonymous": map[string]any{"id": "sec-anon-1"}}})
	if r.Status != 200 {
		t.Fatalf("anonymous login: %d %s", r.Status, r.Raw)
	}
	// A client cannot write the secret columns of an object either.
	for _, k := range []string{"_hashed_password", "_rperm", "_wperm", "_acl", "_session_token"} {
		r := w.do(anon, "POST", "/classes/"+secObj, map[string]any{k: "x"})
		if r.Status < 300 {
			t.Errorf("create with %s accepted: %s", k, r.Raw)
		}
		if !strings.Contains(string(r.Raw), "code") {
			t.Errorf("create with %s: no error code: %s", k, r.Raw)
		}
	}
}
