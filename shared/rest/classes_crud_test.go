package rest_test

import (
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

var (
	objectIDRE = regexp.MustCompile(`^[A-Za-z0-9]{10}$`)
	isoRE      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func allowClasses(c *config.Config) { c.AllowClientClassCreation = true }

func TestObjectsLifecycle(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, allowClasses)
	r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"score": 5, "name": "a"}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	m := r.Map()
	if len(m) != 2 {
		t.Errorf("create answer has keys other than objectId and createdAt: %s", r.Raw)
	}
	id, _ := m["objectId"].(string)
	if !objectIDRE.MatchString(id) {
		t.Errorf("objectId %q is not 10 chars of [A-Za-z0-9]", id)
	}
	created, _ := m["createdAt"].(string)
	if !isoRE.MatchString(created) {
		t.Errorf("createdAt %q", created)
	}

	g := env.Do(apptest.Req{Path: "/classes/Game/" + id})
	if g.Status != 200 {
		t.Fatalf("get: %d %s", g.Status, g.Raw)
	}
	eq(t, "get", g.JSON, obj{"objectId": id, "score": 5, "name": "a", "createdAt": created, "updatedAt": created})

	u := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Body: obj{"name": "b"}})
	if u.Status != 200 {
		t.Fatalf("update: %d %s", u.Status, u.Raw)
	}
	updated, _ := u.Map()["updatedAt"].(string)
	if len(u.Map()) != 1 || !isoRE.MatchString(updated) || updated < created {
		t.Errorf("update answer %s (created %s)", u.Raw, created)
	}
	g = env.Do(apptest.Req{Path: "/classes/Game/" + id})
	eq(t, "after update", g.JSON, obj{"objectId": id, "score": 5, "name": "b", "createdAt": created, "updatedAt": updated})

	e := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Body: obj{}})
	if e.Status != 200 || e.Map()["updatedAt"] == nil {
		t.Errorf("empty update: %d %s", e.Status, e.Raw)
	}

	d := env.Do(apptest.Req{Method: "DELETE", Path: "/classes/Game/" + id})
	if d.Status != 200 || string(d.Raw) != "{}" {
		t.Errorf("delete: %d %s", d.Status, d.Raw)
	}
	for _, q := range []apptest.Req{
		{Path: "/classes/Game/" + id},
		{Method: "DELETE", Path: "/classes/Game/" + id},
		{Method: "PUT", Path: "/classes/Game/" + id, Body: obj{"name": "c"}},
	} {
		r := env.Do(q)
		if r.Status != 404 || r.Code() != 101 || r.Map()["error"] != "Object not found." {
			t.Errorf("%s after delete: %d %s", q.Method, r.Status, r.Raw)
		}
	}
	if n := count(t, env, "Game"); n != 0 {
		t.Errorf("%d documents left", n)
	}
}

func TestObjectsIDsAreUnique(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		id := env.MustCreate("Game", obj{"i": i})
		if seen[id] || !objectIDRE.MatchString(id) {
			t.Fatalf("objectId %q repeated or malformed", id)
		}
		seen[id] = true
	}
	if n := len(find(t, env, "Game", nil)); n != 8 {
		t.Errorf("find returned %d objects", n)
	}
}

func TestObjectsNotFound(t *testing.T) {
	notFound := obj{"code": 101, "error": "Object not found."}
	runScenarios(t, []scenario{
		{name: "get of a missing id", setup: seedGame, req: apptest.Req{Path: "/classes/Game/missing123"}, status: 404, body: notFound},
		{name: "update of a missing id", setup: seedGame, req: apptest.Req{Method: "PUT", Path: "/classes/Game/missing123", Body: obj{"a": 1}}, status: 404, body: notFound,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if n := count(t, env, "Game"); n != 1 {
					t.Errorf("update of a missing id created an object (%d)", n)
				}
			}},
		{name: "delete of a missing id", setup: seedGame, req: apptest.Req{Method: "DELETE", Path: "/classes/Game/missing123"}, status: 404, body: notFound},
		{name: "get in a class that does not exist (master)", req: apptest.Req{Path: "/classes/Nope/abc", Master: true}, status: 404, body: notFound},
		{name: "update in a class that does not exist (master)", req: apptest.Req{Method: "PUT", Path: "/classes/Nope/abc", Master: true, Body: obj{"a": 1}}, status: 404, body: notFound,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if n := count(t, env, "_SCHEMA"); n != 0 {
					t.Errorf("a refused update created a schema")
				}
			}},
		{name: "delete in a class that does not exist (master)", req: apptest.Req{Method: "DELETE", Path: "/classes/Nope/abc", Master: true}, status: 404, body: notFound},
		{name: "find in a class that does not exist (master)", req: apptest.Req{Path: "/classes/Nope", Master: true}, status: 200, body: obj{"results": arr{}}},
	})
}

// allTypes is one value of every storable type, as the REST API takes it.
func allTypes() obj {
	return obj{
		"str":   "hello",
		"int":   42,
		"neg":   -7,
		"big":   5000000000,
		"float": 3.25,
		"yes":   true,
		"no":    false,
		"when":  obj{"__type": "Date", "iso": "2015-01-01T00:00:00.000Z"},
		"nested": obj{
			"d": obj{"__type": "Date", "iso": "2016-02-03T04:05:06.789Z"},
			"p": ptr("_User", "XGUl8D5iet"),
			"o": obj{"deep": arr{1, "two"}},
		},
		"list":  arr{1, "a", true, obj{"__type": "Date", "iso": "2017-01-01T00:00:00.000Z"}, ptr("Game", "gDdfVLibp1"), obj{"in": arr{"x"}}},
		"owner": ptr("_User", "XGUl8D5iet"),
		"pic":   obj{"__type": "File", "name": "abc_pic.png", "url": "http://elsewhere/abc_pic.png"},
		"where": obj{"__type": "GeoPoint", "latitude": 40, "longitude": -30},
		"blob":  obj{"__type": "Bytes", "base64": "ZnJveW8="},
		"empty": obj{},
		"none":  arr{},
	}
}

func TestObjectsEveryTypeRoundTrips(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	body := allTypes()
	body["nothing"] = nil
	body["players"] = obj{"__op": "AddRelation", "objects": arr{ptr("_User", "XGUl8D5iet")}}
	id := env.MustCreate("Thing", body)
	got := get(t, env, "Thing", id)
	want := allTypes()
	want["pic"] = obj{"__type": "File", "name": "abc_pic.png", "url": "http://localhost:1337/parse/files/testapp/abc_pic.png"}
	want["players"] = obj{"__type": "Relation", "className": "_User"}
	want["nothing"] = nil
	want["objectId"] = id
	want["createdAt"] = got["createdAt"]
	want["updatedAt"] = got["updatedAt"]
	eq(t, "object", got, want)

	// The same through a find, and with the anonymous caller.
	r := env.Do(apptest.Req{Path: "/classes/Thing"})
	if len(r.Results()) != 1 {
		t.Fatalf("find: %s", r.Raw)
	}
	eq(t, "found", r.Results()[0], want)

	s := env.Do(apptest.Req{Path: "/schemas/Thing", Master: true})
	fields, _ := s.Map()["fields"].(map[string]any)
	types := map[string]any{}
	for k, v := range fields {
		types[k] = v
	}
	eq(t, "schema fields", types, obj{
		"objectId": obj{"type": "String"}, "createdAt": obj{"type": "Date"}, "updatedAt": obj{"type": "Date"}, "ACL": obj{"type": "ACL"},
		"str": obj{"type": "String"}, "int": obj{"type": "Number"}, "neg": obj{"type": "Number"}, "big": obj{"type": "Number"}, "float": obj{"type": "Number"},
		"yes": obj{"type": "Boolean"}, "no": obj{"type": "Boolean"}, "when": obj{"type": "Date"}, "nested": obj{"type": "Object"},
		"list": obj{"type": "Array"}, "owner": obj{"type": "Pointer", "targetClass": "_User"}, "pic": obj{"type": "File"},
		"where": obj{"type": "GeoPoint"}, "blob": obj{"type": "Bytes"}, "empty": obj{"type": "Object"}, "none": obj{"type": "Array"},
		"players": obj{"type": "Relation", "targetClass": "_User"},
	})
}

func TestObjectsTypeErrors(t *testing.T) {
	stored := func(n int64) func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
		return func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
			if got := count(t, env, "Game"); got != n {
				t.Errorf("Game holds %d objects, want %d", got, n)
			}
		}
	}
	create := func(body obj) apptest.Req {
		return apptest.Req{Method: "POST", Path: "/classes/Game", Body: body, Master: true}
	}
	runScenarios(t, []scenario{
		{name: "bad date", req: create(obj{"d": obj{"__type": "Date", "iso": "yesterday"}}), status: 400, code: 107, check: stored(0)},
		{name: "date without iso", req: create(obj{"d": obj{"__type": "Date"}}), status: 400, code: 107, check: stored(0)},
		{name: "latitude out of range", req: create(obj{"g": obj{"__type": "GeoPoint", "latitude": 91, "longitude": 0}}), status: 400, code: 107, check: stored(0)},
		{name: "longitude out of range", req: create(obj{"g": obj{"__type": "GeoPoint", "latitude": 0, "longitude": -181}}), status: 400, code: 107, check: stored(0)},
		{name: "geopoint with a string", req: create(obj{"g": obj{"__type": "GeoPoint", "latitude": "1", "longitude": 0}}), status: 400, code: 107, check: stored(0)},
		{name: "bad base64", req: create(obj{"b": obj{"__type": "Bytes", "base64": "%%%"}}), status: 400, code: 107, check: stored(0)},
		{name: "pointer without objectId", req: create(obj{"p": obj{"__type": "Pointer", "className": "_User"}}), status: 400, code: 106, check: stored(0)},
		{name: "pointer without className", req: create(obj{"p": obj{"__type": "Pointer", "objectId": "x"}}), status: 400, code: 135, check: stored(0)},
		{name: "unknown __type", req: create(obj{"x": obj{"__type": "Moon"}}), status: 400, code: 111, check: stored(0)},
		{name: "relation set directly", req: create(obj{"r": obj{"__type": "Relation", "className": "_User"}}), status: 400, code: 111, check: stored(0)},
		{name: "file without a name", req: create(obj{"f": obj{"__type": "File", "url": "http://x/y"}}), status: 400, code: 107, check: stored(0)},
		{name: "two geopoints in a class", req: create(obj{"a": obj{"__type": "GeoPoint", "latitude": 1, "longitude": 1}, "b": obj{"__type": "GeoPoint", "latitude": 1, "longitude": 1}}), status: 400, code: 111, errIs: "MongoDB only supports one GeoPoint field in a class.", check: stored(0)},
		{name: "a second geopoint field later", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			env.MustCreate("Game", obj{"a": obj{"__type": "GeoPoint", "latitude": 1, "longitude": 1}})
			return nil
		}, req: create(obj{"b": obj{"__type": "GeoPoint", "latitude": 1, "longitude": 1}}), status: 400, code: 111, check: stored(1)},
		{name: "operator nested in an object", req: create(obj{"o": obj{"n": obj{"__op": "Increment", "amount": 1}}}), status: 400, code: 107, check: stored(0)},
		{name: "relation objects of two classes", req: create(obj{"r": obj{"__op": "AddRelation", "objects": arr{ptr("A", "1"), ptr("B", "2")}}}), status: 400, code: 111, check: stored(0)},
		{name: "relation object that is not a pointer", req: create(obj{"r": obj{"__op": "AddRelation", "objects": arr{"abc"}}}), status: 400, code: 106, check: stored(0)},
	})
}

// TestObjectsPolygon: FerretDB cannot store GeoJSON's nested arrays. The engine either stores the
// Polygon some other way and reads it back right, or answers a clear 111 — never a 500.
func TestObjectsPolygon(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	_, caps := apptest.Client(t)
	poly := obj{"__type": "Polygon", "coordinates": arr{arr{0, 0}, arr{0, 1}, arr{1, 1}, arr{1, 0}}}
	r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Area", Body: obj{"shape": poly}, Master: true})
	switch {
	case r.Status == 201:
		o := get(t, env, "Area", r.Map()["objectId"].(string))
		eq(t, "polygon read back (closed ring, [lat, lng])", o["shape"], obj{"__type": "Polygon", "coordinates": arr{arr{0, 0}, arr{0, 1}, arr{1, 1}, arr{1, 0}, arr{0, 0}}})
		eq(t, "schema type", field(env.Do(apptest.Req{Path: "/schemas/Area", Master: true}).Map(), "fields.shape.type"), "Polygon")
	case r.Status == 400 && r.Code() == 111 && caps.Name != "":
		if msg, _ := r.Map()["error"].(string); !regexp.MustCompile(`(?i)polygon`).MatchString(msg) {
			t.Errorf("message does not name the problem: %q", msg)
		}
		if n := count(t, env, "Area"); n != 0 {
			t.Errorf("%d objects stored", n)
		}
	default:
		t.Fatalf("polygon on %q: %d %s (want 201, or a clear 111 where the database cannot store it)", caps.Name, r.Status, r.Raw)
	}
	// Nested arrays in general: stored, or a clear 111 on this database.
	r = env.Do(apptest.Req{Method: "POST", Path: "/classes/Area", Body: obj{"matrix": arr{arr{1, 2}, arr{3, 4}}}, Master: true})
	if r.Status == 201 {
		eq(t, "matrix", get(t, env, "Area", r.Map()["objectId"].(string))["matrix"], arr{arr{1, 2}, arr{3, 4}})
	} else if r.Status != 400 || r.Code() != 111 {
		t.Errorf("nested array on %q: %d %s", caps.Name, r.Status, r.Raw)
	}
	for _, bad := range []any{arr{arr{0, 0}, arr{0, 1}, arr{91, 1}}, arr{arr{0, 0}, arr{0, 1}, arr{1, 181}}, "x", arr{arr{0}, arr{0, 1}, arr{1, 1}}} {
		r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Area2", Body: obj{"shape": obj{"__type": "Polygon", "coordinates": bad}}, Master: true})
		if r.Status != 400 || r.Code() != 107 {
			t.Errorf("bad polygon %v: %d %s", bad, r.Status, r.Raw)
		}
	}
	if n := count(t, env, "Area2"); n != 0 {
		t.Errorf("bad polygons stored")
	}
}

func TestObjectsNullAndDelete(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	id := env.MustCreate("Game", obj{"a": 1, "b": "x", "owner": ptr("_User", "u1")})
	r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Master: true, Body: obj{"a": nil, "b": obj{"__op": "Delete"}, "owner": nil}})
	if r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Raw)
	}
	o := get(t, env, "Game", id)
	if v, ok := o["a"]; !ok || v != nil {
		t.Errorf("a = %v (present %v), want null", v, ok)
	}
	if _, ok := o["b"]; ok {
		t.Errorf("b still present: %v", o)
	}
	if v := o["owner"]; v != nil {
		t.Errorf("owner = %v", v)
	}
	d := raw(t, env, "Game", id)
	if _, ok := d["b"]; ok {
		t.Errorf("b still stored")
	}
	if _, ok := d["_p_owner"]; ok {
		t.Errorf("_p_owner still stored: %v", d)
	}
	// The fields stay in the schema with their types.
	s := env.Do(apptest.Req{Path: "/schemas/Game", Master: true})
	eq(t, "b type", field(s.Map(), "fields.b.type"), "String")
	eq(t, "owner type", field(s.Map(), "fields.owner.targetClass"), "_User")
	// A type is still enforced after a Delete.
	r = env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Master: true, Body: obj{"b": 3}})
	if r.Code() != 111 {
		t.Errorf("b: 3 after Delete: %d %s", r.Status, r.Raw)
	}
}

func aclSetup(acl obj) func(t *testing.T, env *apptest.Env) map[string]string {
	return func(t *testing.T, env *apptest.Env) map[string]string {
		alice, atok := session(t, env, "alice")
		_, btok := session(t, env, "bob")
		carol, ctok := session(t, env, "carol")
		insert(t, env, "_Role", bson.D{{Key: "_id", Value: "roleAdmin1"}, {Key: "name", Value: "Admin"}, {Key: "_rperm", Value: bson.A{"*"}}, {Key: "_wperm", Value: bson.A{}}})
		insert(t, env, "_Join:users:_Role", bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "relatedId", Value: carol}, {Key: "owningId", Value: "roleAdmin1"}})
		body := obj{"text": "orig"}
		if acl != nil {
			a := expandBody(acl, map[string]string{"alice": alice}).(map[string]any)
			body["ACL"] = a
		}
		id := env.MustCreate("Note", body)
		return map[string]string{"id": id, "alice": atok, "bob": btok, "carol": ctok, "aliceId": alice}
	}
}

func textIs(want string) func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
	return func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
		t.Helper()
		d := raw(t, env, "Note", v["id"])
		if d["text"] != want {
			t.Errorf("stored text %v, want %q", d["text"], want)
		}
	}
}

func gone(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
	if n := count(t, env, "Note"); n != 0 {
		t.Errorf("object not deleted")
	}
}

func TestObjectsACL(t *testing.T) {
	private := obj{"{{alice}}": obj{"read": true, "write": true}}
	publicRead := obj{"*": obj{"read": true}, "{{alice}}": obj{"write": true}}
	publicWrite := obj{"*": obj{"write": true}}
	admins := obj{"role:Admin": obj{"read": true, "write": true}}
	nf := obj{"code": 101, "error": "Object not found."}
	getReq := func(tok string) apptest.Req { return apptest.Req{Path: "/classes/Note/{{id}}", Session: tok} }
	putReq := func(tok string) apptest.Req {
		return apptest.Req{Method: "PUT", Path: "/classes/Note/{{id}}", Session: tok, Body: obj{"text": "changed"}}
	}
	delReq := func(tok string) apptest.Req {
		return apptest.Req{Method: "DELETE", Path: "/classes/Note/{{id}}", Session: tok}
	}
	findReq := func(tok string) apptest.Req { return apptest.Req{Path: "/classes/Note", Session: tok} }
	runScenarios(t, []scenario{
		{name: "private: anonymous get", setup: aclSetup(private), req: getReq(""), status: 404, body: nf},
		{name: "private: other user get", setup: aclSetup(private), req: getReq("{{bob}}"), status: 404, body: nf},
		{name: "private: owner get", setup: aclSetup(private), req: getReq("{{alice}}"), status: 200, contains: []string{`"orig"`}},
		{name: "private: master get", setup: aclSetup(private), req: apptest.Req{Path: "/classes/Note/{{id}}", Master: true}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "ACL", r.Map()["ACL"], obj{v["aliceId"]: obj{"read": true, "write": true}})
			}},
		{name: "private: anonymous find", setup: aclSetup(private), req: findReq(""), status: 200, body: obj{"results": arr{}}},
		{name: "private: anonymous count", setup: aclSetup(private), req: apptest.Req{Path: "/classes/Note?count=1&limit=0"}, status: 200, body: obj{"results": arr{}, "count": 0}},
		{name: "private: owner find", setup: aclSetup(private), req: findReq("{{alice}}"), status: 200, contains: []string{`"orig"`}},
		{name: "private: other user update", setup: aclSetup(private), req: putReq("{{bob}}"), status: 404, body: nf, check: textIs("orig")},
		{name: "private: anonymous update", setup: aclSetup(private), req: putReq(""), status: 404, body: nf, check: textIs("orig")},
		{name: "private: owner update", setup: aclSetup(private), req: putReq("{{alice}}"), status: 200, check: textIs("changed")},
		{name: "private: master update", setup: aclSetup(private), req: apptest.Req{Method: "PUT", Path: "/classes/Note/{{id}}", Master: true, Body: obj{"text": "changed"}}, status: 200, check: textIs("changed")},
		{name: "private: other user delete", setup: aclSetup(private), req: delReq("{{bob}}"), status: 404, body: nf, check: textIs("orig")},
		{name: "private: owner delete", setup: aclSetup(private), req: delReq("{{alice}}"), status: 200, check: gone},
		{name: "public read: anonymous get", setup: aclSetup(publicRead), req: getReq(""), status: 200},
		{name: "public read: anonymous update", setup: aclSetup(publicRead), req: putReq(""), status: 404, body: nf, check: textIs("orig")},
		{name: "public read: anonymous delete", setup: aclSetup(publicRead), req: delReq(""), status: 404, body: nf, check: textIs("orig")},
		{name: "public read: writer update", setup: aclSetup(publicRead), req: putReq("{{alice}}"), status: 200, check: textIs("changed")},
		{name: "public write without read: anonymous get", setup: aclSetup(publicWrite), req: getReq(""), status: 404, body: nf},
		{name: "public write without read: anonymous update", setup: aclSetup(publicWrite), req: putReq(""), status: 200, check: textIs("changed")},
		{name: "role: member get", setup: aclSetup(admins), req: getReq("{{carol}}"), status: 200},
		{name: "role: member update", setup: aclSetup(admins), req: putReq("{{carol}}"), status: 200, check: textIs("changed")},
		{name: "role: non-member get", setup: aclSetup(admins), req: getReq("{{bob}}"), status: 404},
		{name: "role: non-member find", setup: aclSetup(admins), req: findReq("{{bob}}"), status: 200, body: obj{"results": arr{}}},
		{name: "no ACL: anyone writes", setup: aclSetup(nil), req: putReq(""), status: 200, check: textIs("changed")},
		{name: "no ACL: answer has no ACL key", setup: aclSetup(nil), req: getReq(""), status: 200, absent: []string{`"ACL"`}},
		{name: "owner changes the ACL to public", setup: aclSetup(private),
			req: apptest.Req{Method: "PUT", Path: "/classes/Note/{{id}}", Session: "{{alice}}", Body: obj{"ACL": obj{"*": obj{"read": true}}}}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				if g := env.Do(apptest.Req{Path: "/classes/Note/" + v["id"]}); g.Status != 200 {
					t.Errorf("anonymous get after making it public: %d", g.Status)
				}
			}},
		{name: "invalid ACL: not an object", setup: aclSetup(nil), req: apptest.Req{Method: "PUT", Path: "/classes/Note/{{id}}", Master: true, Body: obj{"ACL": "public", "text": "changed"}}, status: 400, code: 123, check: textIs("orig")},
		{name: "invalid ACL: non-boolean", setup: aclSetup(nil), req: apptest.Req{Method: "PUT", Path: "/classes/Note/{{id}}", Master: true, Body: obj{"ACL": obj{"*": obj{"read": "yes"}}}}, status: 400, code: 123},
		{name: "invalid ACL: unknown permission", setup: aclSetup(nil), req: apptest.Req{Method: "PUT", Path: "/classes/Note/{{id}}", Master: true, Body: obj{"ACL": obj{"*": obj{"delete": true}}}}, status: 400, code: 123},
		{name: "invalid ACL: entry not an object", setup: aclSetup(nil), req: apptest.Req{Method: "PUT", Path: "/classes/Note/{{id}}", Master: true, Body: obj{"ACL": obj{"*": true}}}, status: 400, code: 123},
	})
}

func TestObjectsUpdateOperators(t *testing.T) {
	seed := func(t *testing.T, env *apptest.Env) map[string]string {
		id := env.MustCreate("Game", obj{"score": 5, "name": "n", "tags": arr{"a", "b"}, "stats": obj{"wins": 1, "losses": 0, "name": "keep"}})
		return map[string]string{"id": id}
	}
	put := func(body obj) apptest.Req {
		return apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: body}
	}
	// after checks the answer (without updatedAt) and the object read back.
	after := func(answer obj, object obj) func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
		return func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
			t.Helper()
			a := r.Map()
			if _, ok := a["updatedAt"].(string); !ok {
				t.Errorf("answer without updatedAt: %s", r.Raw)
			}
			delete(a, "updatedAt")
			if answer != nil {
				eq(t, "answer", a, answer)
			}
			o := get(t, env, "Game", v["id"])
			for k, want := range object {
				if want == nil {
					if _, ok := o[k]; ok {
						t.Errorf("%s still present: %v", k, o[k])
					}
					continue
				}
				eq(t, k, o[k], want)
			}
		}
	}
	unchanged := after(nil, obj{"score": 5, "tags": arr{"a", "b"}, "stats": obj{"wins": 1, "losses": 0, "name": "keep"}})
	unchangedErr := func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
		o := get(t, env, "Game", v["id"])
		eq(t, "score", o["score"], 5)
		eq(t, "tags", o["tags"], arr{"a", "b"})
		eq(t, "stats", o["stats"], obj{"wins": 1, "losses": 0, "name": "keep"})
	}
	_ = unchanged
	inc := func(n any) obj { return obj{"__op": "Increment", "amount": n} }
	runScenarios(t, []scenario{
		{name: "set", setup: seed, req: put(obj{"name": "m"}), status: 200, check: after(obj{}, obj{"name": "m", "score": 5})},
		{name: "increment", setup: seed, req: put(obj{"score": inc(2)}), status: 200, check: after(obj{"score": 7}, obj{"score": 7})},
		{name: "increment by a negative float", setup: seed, req: put(obj{"score": inc(-1.5)}), status: 200, check: after(obj{"score": 3.5}, obj{"score": 3.5})},
		{name: "increment a missing field", setup: seed, req: put(obj{"hits": inc(3)}), status: 200, check: after(obj{"hits": 3}, obj{"hits": 3})},
		{name: "increment a string field", setup: seed, req: put(obj{"name": inc(1)}), status: 400, code: 111, check: unchangedErr},
		{name: "increment by a string", setup: seed, req: put(obj{"score": inc("1")}), status: 400, code: 107, check: unchangedErr},
		{name: "increment without amount", setup: seed, req: put(obj{"score": obj{"__op": "Increment"}}), status: 400, code: 107, check: unchangedErr},
		{name: "add", setup: seed, req: put(obj{"tags": obj{"__op": "Add", "objects": arr{"c", "a"}}}), status: 200, check: after(obj{"tags": arr{"a", "b", "c", "a"}}, obj{"tags": arr{"a", "b", "c", "a"}})},
		{name: "add to a missing field", setup: seed, req: put(obj{"more": obj{"__op": "Add", "objects": arr{1}}}), status: 200, check: after(obj{"more": arr{1}}, obj{"more": arr{1}})},
		{name: "add unique", setup: seed, req: put(obj{"tags": obj{"__op": "AddUnique", "objects": arr{"b", "c", "c"}}}), status: 200, check: after(obj{"tags": arr{"a", "b", "c"}}, obj{"tags": arr{"a", "b", "c"}})},
		{name: "add unique of pointers", setup: seed, req: put(obj{"refs": obj{"__op": "AddUnique", "objects": arr{ptr("Game", "x1"), ptr("Game", "x1")}}}), status: 200, check: after(obj{"refs": arr{ptr("Game", "x1")}}, obj{"refs": arr{ptr("Game", "x1")}})},
		{name: "remove", setup: seed, req: put(obj{"tags": obj{"__op": "Remove", "objects": arr{"a", "zz"}}}), status: 200, check: after(obj{"tags": arr{"b"}}, obj{"tags": arr{"b"}})},
		{name: "add to a number field", setup: seed, req: put(obj{"score": obj{"__op": "Add", "objects": arr{1}}}), status: 400, code: 111, check: unchangedErr},
		{name: "add without objects", setup: seed, req: put(obj{"tags": obj{"__op": "Add", "objects": "c"}}), status: 400, code: 107, check: unchangedErr},
		{name: "delete", setup: seed, req: put(obj{"score": obj{"__op": "Delete"}}), status: 200, check: after(nil, obj{"score": nil, "name": "n"})},
		{name: "unknown operator", setup: seed, req: put(obj{"score": obj{"__op": "Multiply", "amount": 2}}), status: 400, code: 107, check: unchangedErr},
		{name: "several operators at once", setup: seed, req: put(obj{"score": inc(1), "tags": obj{"__op": "Add", "objects": arr{"z"}}, "name": "both"}), status: 200,
			check: after(obj{"score": 6, "tags": arr{"a", "b", "z"}}, obj{"score": 6, "tags": arr{"a", "b", "z"}, "name": "both"})},
		{name: "one bad operator rejects the whole update", setup: seed, req: put(obj{"score": inc(1), "tags": obj{"__op": "Add", "objects": 1}}), status: 400, code: 107, check: unchangedErr},
		{name: "dotted set keeps the other keys", setup: seed, req: put(obj{"stats.name": "new"}), status: 200, check: after(obj{}, obj{"stats": obj{"wins": 1, "losses": 0, "name": "new"}})},
		{name: "dotted increment of a new sub-key", setup: seed, req: put(obj{"stats.draws": inc(2)}), status: 200, check: after(nil, obj{"stats": obj{"wins": 1, "losses": 0, "name": "keep", "draws": 2}})},
		{name: "dotted delete", setup: seed, req: put(obj{"stats.losses": obj{"__op": "Delete"}}), status: 200, check: after(nil, obj{"stats": obj{"wins": 1, "name": "keep"}})},
		{name: "dotted key into a non-object field", setup: seed, req: put(obj{"score.x": 1}), status: 400, code: 111, check: unchangedErr},
		{name: "dotted key with an empty segment", setup: seed, req: put(obj{"stats..x": 1}), status: 400, code: 105, check: unchangedErr},
		{name: "dotted key with a $", setup: seed, req: put(obj{"stats.$x": 1}), status: 400, code: 105, check: unchangedErr},
	})
}

// TestObjectsDottedIncrementAnswer: Parse Server answers an operator on a key path with the value
// nested under the top-level key (expandResultOnKeyPath in DatabaseController.js), so the JS SDK
// merges {"stats":{"wins":2}} into its copy of stats.
func TestObjectsDottedIncrementAnswer(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	id := env.MustCreate("Game", obj{"stats": obj{"wins": 1, "losses": 0}})
	r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Body: obj{"stats.wins": obj{"__op": "Increment", "amount": 1}}})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	eq(t, "stored", get(t, env, "Game", id)["stats"], obj{"wins": 2, "losses": 0})
	a := r.Map()
	delete(a, "updatedAt")
	eq(t, "answer", a, obj{"stats": obj{"wins": 2}})
	// Two key paths under one object, and a top-level operator beside them.
	r = env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Body: obj{"stats.wins": obj{"__op": "Increment", "amount": 1}, "stats.losses": obj{"__op": "Increment", "amount": 2}, "n": obj{"__op": "Increment", "amount": 1}}})
	a = r.Map()
	delete(a, "updatedAt")
	eq(t, "answer", a, obj{"stats": obj{"wins": 3, "losses": 2}, "n": 1})
}

// A key path in a create makes the sub-object (Parse Server adds the Object field to the schema and
// then fails with an internal error); a path through a value, or a path set twice, is a 105.
func TestObjectsDottedCreate(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Master: true, Body: obj{"stats.wins": 3, "stats.detail.at": "home", "stats.losses": obj{"__op": "Increment", "amount": 2}, "name": "g"}})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	id, _ := r.Map()["objectId"].(string)
	got := get(t, env, "Game", id)
	eq(t, "stats", got["stats"], obj{"wins": 3, "losses": 2, "detail": obj{"at": "home"}})
	eq(t, "name", got["name"], "g")
	// The sub-object is an Object field: a query on a key path finds it.
	q := env.Do(apptest.Req{Method: "GET", Path: `/classes/Game?where={"stats.wins":3}`})
	if n := len(q.Map()["results"].([]any)); n != 1 {
		t.Fatalf("query by key path found %d objects: %s", n, q.Raw)
	}
	for name, body := range map[string]obj{
		"path through a number": {"a": 1, "a.b": 2},
		"path set twice":        {"o": obj{"b": 1}, "o.b": 2},
	} {
		r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Other", Master: true, Body: body})
		if r.Status != 400 || r.Map()["code"] != float64(105) {
			t.Errorf("%s: %d %s, want 400 code 105", name, r.Status, r.Raw)
		}
	}
	if n := count(t, env, "Other"); n != 0 {
		t.Errorf("refused creates stored %d objects", n)
	}
}

func TestObjectsRelations(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	u1 := env.MustCreate("Player", obj{"name": "p1"})
	u2 := env.MustCreate("Player", obj{"name": "p2"})
	u3 := env.MustCreate("Player", obj{"name": "p3"})
	g := env.MustCreate("Team", obj{"name": "t", "players": obj{"__op": "AddRelation", "objects": arr{ptr("Player", u1), ptr("Player", u2)}}})
	join := "_Join:players:Team"
	rows := func() []string {
		var out []string
		for _, d := range rawAll(t, env, join) {
			if d["owningId"] != g {
				t.Errorf("row %v has the wrong owningId", d)
			}
			if _, ok := d["_id"].(bson.ObjectID); !ok {
				t.Errorf("row _id %T, want an ObjectID", d["_id"])
			}
			out = append(out, d["relatedId"].(string))
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s ...string) []string { sort.Strings(s); return s }
	eq(t, "rows after create", rows(), sorted(u1, u2))
	if _, ok := raw(t, env, "Team", g)["players"]; ok {
		t.Errorf("a relation is stored on the object")
	}
	related := func() []string {
		rs := find(t, env, "Player", obj{"where": obj{"$relatedTo": obj{"object": ptr("Team", g), "key": "players"}}})
		out := ids(rs)
		sort.Strings(out)
		return out
	}
	eq(t, "relatedTo", related(), sorted(u1, u2))

	put := func(body obj) *apptest.Resp {
		return env.Do(apptest.Req{Method: "PUT", Path: "/classes/Team/" + g, Body: body, Master: true})
	}
	if r := put(obj{"players": obj{"__op": "AddRelation", "objects": arr{ptr("Player", u1), ptr("Player", u3)}}}); r.Status != 200 {
		t.Fatalf("AddRelation: %d %s", r.Status, r.Raw)
	}
	eq(t, "rows after a second add (no duplicates)", rows(), sorted(u1, u2, u3))
	if r := put(obj{"players": obj{"__op": "RemoveRelation", "objects": arr{ptr("Player", u2)}}}); r.Status != 200 {
		t.Fatalf("RemoveRelation: %d %s", r.Status, r.Raw)
	}
	eq(t, "rows after remove", rows(), sorted(u1, u3))
	if r := put(obj{"players": obj{"__op": "Batch", "ops": arr{
		obj{"__op": "AddRelation", "objects": arr{ptr("Player", u2)}},
		obj{"__op": "RemoveRelation", "objects": arr{ptr("Player", u1)}},
	}}}); r.Status != 200 {
		t.Fatalf("Batch: %d %s", r.Status, r.Raw)
	}
	eq(t, "rows after batch", rows(), sorted(u2, u3))
	eq(t, "relatedTo after batch", related(), sorted(u2, u3))

	// Equality on a relation field finds the owners.
	owners := find(t, env, "Team", obj{"where": obj{"players": ptr("Player", u3)}})
	eq(t, "owners of u3", ids(owners), []string{g})
	owners = find(t, env, "Team", obj{"where": obj{"players": ptr("Player", u1)}})
	eq(t, "owners of u1", len(owners), 0)

	eq(t, "relation field", get(t, env, "Team", g)["players"], obj{"__type": "Relation", "className": "Player"})

	for name, body := range map[string]obj{
		"relation to another class":       {"players": obj{"__op": "AddRelation", "objects": arr{ptr("Team", g)}}},
		"setting a relation to a pointer": {"players": ptr("Player", u1)},
		"batch with an increment":         {"players": obj{"__op": "Batch", "ops": arr{obj{"__op": "Increment", "amount": 1}}}},
	} {
		r := put(body)
		if r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	eq(t, "rows unchanged after refused updates", rows(), sorted(u2, u3))
}

func TestObjectsSchemaInference(t *testing.T) {
	seed := func(t *testing.T, env *apptest.Env) map[string]string {
		id := env.MustCreate("Game", obj{"score": 1, "name": "a", "owner": ptr("_User", "u1"), "when": obj{"__type": "Date", "iso": "2020-01-01T00:00:00Z"}, "tags": arr{}})
		return map[string]string{"id": id}
	}
	create := func(body obj) apptest.Req {
		return apptest.Req{Method: "POST", Path: "/classes/Game", Body: body}
	}
	one := func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
		if n := count(t, env, "Game"); n != 1 {
			t.Errorf("Game holds %d objects", n)
		}
	}
	runScenarios(t, []scenario{
		{name: "string into a number", setup: seed, req: create(obj{"score": "x"}), status: 400, code: 111, errIs: "schema mismatch for Game.score; expected Number but got String", check: one},
		{name: "number into a string", setup: seed, req: create(obj{"name": 3}), status: 400, code: 111, check: one},
		{name: "object into an array", setup: seed, req: create(obj{"tags": obj{"a": 1}}), status: 400, code: 111, check: one},
		{name: "pointer to another class", setup: seed, req: create(obj{"owner": ptr("Game", "x")}), status: 400, code: 111, errIs: "schema mismatch for Game.owner; expected Pointer<_User> but got Pointer<Game>", check: one},
		{name: "string into a pointer", setup: seed, req: create(obj{"owner": "u1"}), status: 400, code: 111, check: one},
		{name: "string into a date", setup: seed, req: create(obj{"when": "2020-01-01"}), status: 400, code: 111, check: one},
		{name: "update with a wrong type", setup: seed, req: apptest.Req{Method: "PUT", Path: "/classes/Game/{{id}}", Body: obj{"score": true}}, status: 400, code: 111,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "score", get(t, env, "Game", v["id"])["score"], 1)
			}},
		{name: "new field on an existing class", setup: seed, req: create(obj{"extra": 1.5}), status: 201,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if raw(t, env, "_SCHEMA", "Game")["extra"] != "number" {
					t.Errorf("extra not in the schema")
				}
			}},
		{name: "null carries no type", setup: seed, req: create(obj{"score": nil, "fresh": nil}), status: 201,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if _, ok := raw(t, env, "_SCHEMA", "Game")["fresh"]; ok {
					t.Errorf("null added a field to the schema")
				}
			}},
	})
}

func TestObjectsClientClassCreation(t *testing.T) {
	msg := "This user is not allowed to access non-existent class: Fresh"
	noSchema := func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
		if n := count(t, env, "_SCHEMA"); n != 0 {
			t.Errorf("a schema was created")
		}
		if n := count(t, env, "Fresh"); n != 0 {
			t.Errorf("an object was stored")
		}
	}
	runScenarios(t, []scenario{
		{name: "default: create refused", req: apptest.Req{Method: "POST", Path: "/classes/Fresh", Body: obj{"a": 1}}, status: 400, code: 119, errIs: msg, check: noSchema},
		{name: "default: find refused", req: apptest.Req{Path: "/classes/Fresh"}, status: 400, code: 119, errIs: msg},
		{name: "default: get refused", req: apptest.Req{Path: "/classes/Fresh/abc"}, status: 400, code: 119, errIs: msg},
		{name: "default: master creates", req: apptest.Req{Method: "POST", Path: "/classes/Fresh", Body: obj{"a": 1}, Master: true}, status: 201},
		{name: "default: client may write to an existing class", setup: seedGame, req: apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"score": 1, "newField": "x"}}, status: 201},
		{name: "allowed: client creates", mod: allowClasses, req: apptest.Req{Method: "POST", Path: "/classes/Fresh", Body: obj{"a": 1}}, status: 201,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if raw(t, env, "_SCHEMA", "Fresh")["a"] != "number" {
					t.Errorf("schema not created")
				}
			}},
		{name: "allowed: find on a missing class is empty", mod: allowClasses, req: apptest.Req{Path: "/classes/Fresh"}, status: 200, body: obj{"results": arr{}}},
		{name: "master-only class refused to clients", req: apptest.Req{Path: "/classes/_JobStatus"}, status: 400, code: 119},
	})
}

func TestObjectsConcurrentIncrements(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	id := env.MustCreate("Counter", obj{"n": 0})
	const workers, each = 4, 5
	done := make(chan string, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < each; i++ {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("PUT", "/parse/classes/Counter/"+id, strings.NewReader(`{"n":{"__op":"Increment","amount":1}}`))
				req.Header.Set("X-Parse-Application-Id", "testapp")
				env.Handler.ServeHTTP(rec, req)
				if rec.Code != 200 {
					done <- rec.Body.String()
					return
				}
			}
			done <- ""
		}()
	}
	for w := 0; w < workers; w++ {
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
	}
	eq(t, "n", get(t, env, "Counter", id)["n"], workers*each)
}
