package rest_test

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
)

// dbIndexes lists the real indexes of a collection: name → key spec.
func dbIndexes(t *testing.T, env *apptest.Env, coll string) map[string]bson.D {
	t.Helper()
	cur, err := env.DB.Collection(coll).Indexes().List(context.Background())
	if err != nil {
		t.Fatalf("list indexes of %s: %v", coll, err)
	}
	var docs []bson.M
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	out := map[string]bson.D{}
	for _, d := range docs {
		name, _ := d["name"].(string)
		var keys bson.D
		switch k := d["key"].(type) {
		case bson.D:
			keys = k
		case bson.M:
			for kk, vv := range k {
				keys = append(keys, bson.E{Key: kk, Value: vv})
			}
		}
		out[name] = keys
	}
	return out
}

func numEq(a, b any) bool {
	f := func(v any) float64 {
		switch t := v.(type) {
		case int:
			return float64(t)
		case int32:
			return float64(t)
		case int64:
			return float64(t)
		case float64:
			return t
		}
		return -999
	}
	return f(a) == f(b)
}

func indexIs(t *testing.T, got bson.D, want bson.D) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("index keys %v, want %v", got, want)
		return
	}
	for i := range want {
		if got[i].Key != want[i].Key || !numEq(got[i].Value, want[i].Value) {
			t.Errorf("index keys %v, want %v", got, want)
			return
		}
	}
}

var gameSchema = obj{
	"className": "Game",
	"fields": obj{
		"score":   obj{"type": "Number", "required": true, "defaultValue": 0},
		"name":    obj{"type": "String"},
		"owner":   obj{"type": "Pointer", "targetClass": "_User"},
		"players": obj{"type": "Relation", "targetClass": "_User"},
		"where":   obj{"type": "GeoPoint"},
		"pic":     obj{"type": "File"},
		"when":    obj{"type": "Date"},
		"blob":    obj{"type": "Bytes"},
		"tags":    obj{"type": "Array"},
		"meta":    obj{"type": "Object"},
		"on":      obj{"type": "Boolean"},
	},
	"classLevelPermissions": obj{
		"find": obj{"*": true}, "get": obj{"*": true}, "count": obj{"requiresAuthentication": true},
		"create": obj{"role:Admin": true}, "update": obj{"pointerFields": arr{"owner"}}, "delete": obj{}, "addField": obj{},
		"protectedFields": obj{"*": arr{"name"}},
	},
	"indexes": obj{"score_idx": obj{"score": -1}, "owner_name": obj{"owner": 1, "name": 1}},
}

func TestSchemasCreate(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	// The body is sent as text so that the key order of the compound index is owner, name (a Go map
	// would marshal its keys sorted).
	body := mustJSON(gameSchema)
	body = strings.Replace(body, `"indexes":{"owner_name":{"name":1,"owner":1}`, `"indexes":{"owner_name":{"owner":1,"name":1}`, 1)
	if !strings.Contains(body, `{"owner":1,"name":1}`) {
		t.Fatalf("body %s", body)
	}
	r := env.Do(apptest.Req{Method: "POST", Path: "/schemas/Game", Master: true, Body: body})
	if r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	want := obj{
		"className": "Game",
		"fields": obj{
			"objectId": obj{"type": "String"}, "createdAt": obj{"type": "Date"}, "updatedAt": obj{"type": "Date"}, "ACL": obj{"type": "ACL"},
			"score": obj{"type": "Number", "required": true, "defaultValue": 0}, "name": obj{"type": "String"},
			"owner": obj{"type": "Pointer", "targetClass": "_User"}, "players": obj{"type": "Relation", "targetClass": "_User"},
			"where": obj{"type": "GeoPoint"}, "pic": obj{"type": "File"}, "when": obj{"type": "Date"}, "blob": obj{"type": "Bytes"},
			"tags": obj{"type": "Array"}, "meta": obj{"type": "Object"}, "on": obj{"type": "Boolean"},
		},
		"classLevelPermissions": gameSchema["classLevelPermissions"],
		"indexes":               obj{"score_idx": obj{"score": -1}, "owner_name": obj{"owner": 1, "name": 1}},
	}
	eq(t, "create answer", r.JSON, want)
	g := env.Do(apptest.Req{Path: "/schemas/Game", Master: true})
	eq(t, "get", g.JSON, want)

	// The stored _SCHEMA document has Parse Server's layout.
	d := raw(t, env, "_SCHEMA", "Game")
	for k, v := range map[string]string{"score": "number", "name": "string", "owner": "*_User", "players": "relation<_User>", "where": "geopoint", "pic": "file", "when": "date", "blob": "bytes", "tags": "array", "meta": "object", "on": "boolean"} {
		if d[k] != v {
			t.Errorf("_SCHEMA.%s = %v, want %q", k, d[k], v)
		}
	}
	md, _ := toPlain(d["_metadata"]).(map[string]any)
	eq(t, "_metadata.class_permissions", md["class_permissions"], gameSchema["classLevelPermissions"])
	eq(t, "_metadata.fields_options", md["fields_options"], obj{"score": obj{"required": true, "defaultValue": 0}})
	eq(t, "_metadata.indexes", md["indexes"], obj{"score_idx": obj{"score": -1}, "owner_name": obj{"owner": 1, "name": 1}})

	// The indexes exist in the database, pointer fields under their stored column.
	have := dbIndexes(t, env, "Game")
	if _, ok := have["score_idx"]; !ok {
		t.Fatalf("indexes in the database: %v", have)
	}
	indexIs(t, have["score_idx"], bson.D{{Key: "score", Value: -1}})
	indexIs(t, have["owner_name"], bson.D{{Key: "_p_owner", Value: 1}, {Key: "name", Value: 1}})

	// The list has it, and the system classes.
	l := env.Do(apptest.Req{Path: "/schemas", Master: true})
	seen := map[string]bool{}
	for _, c := range l.Results() {
		seen[c["className"].(string)] = true
		if c["className"] == "Game" {
			eq(t, "listed", c, want)
		}
	}
	for _, c := range []string{"Game", "_User", "_Role", "_Session", "_Installation"} {
		if !seen[c] {
			t.Errorf("/schemas lacks %s: %s", c, l.Raw)
		}
	}

	// Objects are checked against the declared types, and get the default value.
	if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Master: true, Body: obj{"name": 3}}); r.Code() != 111 {
		t.Errorf("wrong type: %d %s", r.Status, r.Raw)
	}
	id := env.MustCreate("Game", obj{"name": "x"})
	eq(t, "default score", get(t, env, "Game", id)["score"], 0)
}

// toPlain converts BSON containers to plain maps for comparisons.
func toPlain(v any) any {
	switch t := v.(type) {
	case bson.M:
		m := map[string]any{}
		for k, x := range t {
			m[k] = toPlain(x)
		}
		return m
	case bson.D:
		m := map[string]any{}
		for _, e := range t {
			m[e.Key] = toPlain(e.Value)
		}
		return m
	case bson.A:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = toPlain(x)
		}
		return a
	case int32:
		return float64(t)
	case int64:
		return float64(t)
	}
	return v
}

func schemaSeed(t *testing.T, env *apptest.Env) map[string]string {
	r := env.Do(apptest.Req{Method: "POST", Path: "/schemas/Game", Master: true, Body: obj{"fields": obj{"score": obj{"type": "Number"}, "name": obj{"type": "String"}, "owner": obj{"type": "Pointer", "targetClass": "_User"}, "players": obj{"type": "Relation", "targetClass": "_User"}}}})
	if r.Status != 200 {
		t.Fatalf("seed schema: %d %s", r.Status, r.Raw)
	}
	return nil
}

func schemaWithObject(t *testing.T, env *apptest.Env) map[string]string {
	schemaSeed(t, env)
	id := env.MustCreate("Game", obj{"score": 1, "name": "n", "owner": ptr("_User", "u1"), "players": obj{"__op": "AddRelation", "objects": arr{ptr("_User", "u1")}}})
	return map[string]string{"id": id}
}

func TestSchemasErrors(t *testing.T) {
	post := func(path string, body obj) apptest.Req {
		return apptest.Req{Method: "POST", Path: path, Master: true, Body: body}
	}
	noSchema := func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
		if n := count(t, env, "_SCHEMA"); n != 0 {
			t.Errorf("a refused create stored a schema")
		}
	}
	oneField := func(typ obj) obj { return obj{"fields": obj{"f": typ}} }
	runScenarios(t, []scenario{
		{name: "get of a missing class", req: apptest.Req{Path: "/schemas/Nope", Master: true}, status: 400, code: 103, errIs: "Class Nope does not exist."},
		{name: "create with the name in the body", req: post("/schemas", obj{"className": "Game"}), status: 200, contains: []string{`"className":"Game"`}},
		{name: "create without a name", req: post("/schemas", obj{}), status: 400, code: 135, check: noSchema},
		{name: "create with mismatched names", req: post("/schemas/Game", obj{"className": "Other"}), status: 400, code: 103, check: noSchema},
		{name: "create of an existing class", setup: schemaSeed, req: post("/schemas/Game", obj{}), status: 400, code: 103, errIs: "Class Game already exists."},
		{name: "create with a bad class name", req: post("/schemas/9Lives", obj{}), status: 400, code: 103, check: noSchema},
		{name: "create with an unknown type", req: post("/schemas/Game", oneField(obj{"type": "Money"})), status: 400, code: 111, check: noSchema},
		{name: "create with a field that is not an object", req: post("/schemas/Game", obj{"fields": obj{"f": "String"}}), status: 400, code: 107, check: noSchema},
		{name: "create with a pointer without target", req: post("/schemas/Game", oneField(obj{"type": "Pointer"})), status: 400, code: 135, check: noSchema},
		{name: "create with a relation to a bad class", req: post("/schemas/Game", oneField(obj{"type": "Relation", "targetClass": "1x"})), status: 400, code: 103, check: noSchema},
		{name: "create with a bad field name", req: post("/schemas/Game", obj{"fields": obj{"1f": obj{"type": "String"}}}), status: 400, code: 105, check: noSchema},
		{name: "create with a default field", req: post("/schemas/Game", obj{"fields": obj{"createdAt": obj{"type": "Date"}}}), status: 400, code: 136, check: noSchema},
		{name: "create with two geopoints", req: post("/schemas/Game", obj{"fields": obj{"a": obj{"type": "GeoPoint"}, "b": obj{"type": "GeoPoint"}}}), status: 400, code: 111, check: noSchema},
		{name: "create with a bad CLP operation", req: post("/schemas/Game", obj{"classLevelPermissions": obj{"fly": obj{"*": true}}}), status: 400, code: 107, check: noSchema},
		{name: "create with a bad CLP value", req: post("/schemas/Game", obj{"classLevelPermissions": obj{"find": obj{"*": false}}}), status: 400, code: 107, check: noSchema},
		{name: "create with CLP not an object", req: post("/schemas/Game", obj{"classLevelPermissions": "public"}), status: 400, code: 107, check: noSchema},
		{name: "create with an index on a missing field", req: post("/schemas/Game", obj{"indexes": obj{"i": obj{"nope": 1}}}), status: 400, code: 102, check: noSchema},
		{name: "create with a bad index direction", req: post("/schemas/Game", obj{"fields": obj{"a": obj{"type": "String"}}, "indexes": obj{"i": obj{"a": 2}}}), status: 400, code: 102, check: noSchema},
		{name: "update of a missing class", req: apptest.Req{Method: "PUT", Path: "/schemas/Nope", Master: true, Body: obj{"fields": obj{"a": obj{"type": "String"}}}}, status: 400, code: 103, check: noSchema},
		{name: "add an existing field", setup: schemaSeed, req: apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: obj{"fields": obj{"score": obj{"type": "Number"}}}}, status: 400, code: 255, errIs: "Field score exists, cannot update."},
		{name: "delete a missing field", setup: schemaSeed, req: apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: obj{"fields": obj{"nope": obj{"__op": "Delete"}}}}, status: 400, code: 255, errIs: "Field nope does not exist, cannot delete."},
		{name: "update with mismatched names", setup: schemaSeed, req: apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: obj{"className": "Other"}}, status: 400, code: 103},
		{name: "delete a missing index", setup: schemaSeed, req: apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: obj{"indexes": obj{"nope": obj{"__op": "Delete"}}}}, status: 400, code: 102},
		{name: "delete of a non-empty class", setup: schemaWithObject, req: apptest.Req{Method: "DELETE", Path: "/schemas/Game", Master: true}, status: 400, code: 255, errIs: "Class Game is not empty, contains 1 objects, cannot drop schema.",
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				if n := count(t, env, "_SCHEMA"); n != 1 {
					t.Errorf("schema dropped")
				}
				get(t, env, "Game", v["id"])
			}},
		{name: "delete of a bad class name", req: apptest.Req{Method: "DELETE", Path: "/schemas/1x", Master: true}, status: 400, code: 103},
		{name: "purge of a bad class name", req: apptest.Req{Method: "DELETE", Path: "/purge/1x", Master: true}, status: 400, code: 103},
	})
}

func TestSchemasUpdateFieldsAndIndexes(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	schemaWithObject(t, env)
	id := find(t, env, "Game", nil)[0]["objectId"].(string)
	put := func(body obj) *apptest.Resp {
		t.Helper()
		r := env.Do(apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: body})
		if r.Status != 200 {
			t.Fatalf("PUT %s: %d %s", mustJSON(body), r.Status, r.Raw)
		}
		return r
	}
	r := put(obj{"fields": obj{"extra": obj{"type": "Array"}, "score": obj{"__op": "Delete"}, "owner": obj{"__op": "Delete"}, "players": obj{"__op": "Delete"}}})
	fields := r.Map()["fields"].(map[string]any)
	if fields["extra"] == nil || fields["score"] != nil || fields["owner"] != nil || fields["players"] != nil {
		t.Errorf("fields after update: %v", fields)
	}
	d := raw(t, env, "_SCHEMA", "Game")
	if d["extra"] != "array" || d["score"] != nil || d["owner"] != nil || d["players"] != nil {
		t.Errorf("_SCHEMA after update: %v", d)
	}
	o := raw(t, env, "Game", id)
	if _, ok := o["score"]; ok {
		t.Errorf("score still stored: %v", o)
	}
	if _, ok := o["_p_owner"]; ok {
		t.Errorf("_p_owner still stored: %v", o)
	}
	if o["name"] != "n" {
		t.Errorf("other fields lost: %v", o)
	}
	if n := count(t, env, "_Join:players:Game"); n != 0 {
		t.Errorf("_Join:players:Game still has %d rows", n)
	}
	// A deleted field can be added back with another type.
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Master: true, Body: obj{"score": "text now"}}); r.Status != 200 {
		t.Errorf("re-adding score as a string: %d %s", r.Status, r.Raw)
	}

	// CLP replaced.
	r = put(obj{"classLevelPermissions": obj{"find": obj{"requiresAuthentication": true}}})
	eq(t, "clp", field(r.Map(), "classLevelPermissions.find"), obj{"requiresAuthentication": true})

	// Indexes added and dropped.
	r = put(obj{"indexes": obj{"name_1": obj{"name": 1}}})
	eq(t, "indexes", r.Map()["indexes"], obj{"name_1": obj{"name": 1}})
	indexIs(t, dbIndexes(t, env, "Game")["name_1"], bson.D{{Key: "name", Value: 1}})
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: obj{"indexes": obj{"name_1": obj{"name": 1}}}}); r.Code() != 102 {
		t.Errorf("adding an existing index: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: obj{"indexes": obj{"ghost": obj{"nope": 1}}}}); r.Code() != 102 {
		t.Errorf("index on a missing field: %d %s", r.Status, r.Raw)
	}
	put(obj{"indexes": obj{"name_1": obj{"__op": "Delete"}}})
	if _, ok := dbIndexes(t, env, "Game")["name_1"]; ok {
		t.Errorf("index still in the database")
	}
	if g := env.Do(apptest.Req{Path: "/schemas/Game", Master: true}); g.Map()["indexes"] != nil {
		t.Errorf("index still listed: %s", g.Raw)
	}
}

func TestSchemasDeleteAndPurge(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	schemaWithObject(t, env)
	id := find(t, env, "Game", nil)[0]["objectId"].(string)

	r := env.Do(apptest.Req{Method: "DELETE", Path: "/purge/Game", Master: true})
	if r.Status != 200 || string(r.Raw) != "{}" {
		t.Fatalf("purge: %d %s", r.Status, r.Raw)
	}
	if n := count(t, env, "Game"); n != 0 {
		t.Errorf("%d objects after purge", n)
	}
	if g := env.Do(apptest.Req{Path: "/classes/Game/" + id, Master: true}); g.Status != 404 {
		t.Errorf("object readable after purge")
	}
	if g := env.Do(apptest.Req{Path: "/schemas/Game", Master: true}); g.Status != 200 {
		t.Errorf("schema gone after purge: %s", g.Raw)
	}
	if r := env.Do(apptest.Req{Method: "DELETE", Path: "/purge/Nope", Master: true}); r.Status != 200 {
		t.Errorf("purge of a missing class: %d %s", r.Status, r.Raw)
	}

	r = env.Do(apptest.Req{Method: "DELETE", Path: "/schemas/Game", Master: true})
	if r.Status != 200 || string(r.Raw) != "{}" {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	if n := count(t, env, "_SCHEMA"); n != 0 {
		t.Errorf("_SCHEMA still has Game")
	}
	if n := count(t, env, "_Join:players:Game"); n != 0 {
		t.Errorf("_Join:players:Game still has %d rows", n)
	}
	if g := env.Do(apptest.Req{Path: "/schemas/Game", Master: true}); g.Code() != 103 {
		t.Errorf("get after delete: %d %s", g.Status, g.Raw)
	}
	// The class can be made again with other types.
	if r := env.Do(apptest.Req{Method: "POST", Path: "/schemas/Game", Master: true, Body: obj{"fields": obj{"score": obj{"type": "String"}}}}); r.Status != 200 {
		t.Errorf("re-create: %d %s", r.Status, r.Raw)
	}
}

func TestSchemasSystemClasses(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "get _User", req: apptest.Req{Path: "/schemas/_User", Master: true}, status: 200, contains: []string{`"username":{"type":"String"}`, `"authData":{"type":"Object"}`}},
		{name: "get _Role", req: apptest.Req{Path: "/schemas/_Role", Master: true}, status: 200, contains: []string{`"users":{"targetClass":"_User","type":"Relation"}`}},
		{name: "volatile class hidden", req: apptest.Req{Path: "/schemas/_JobStatus", Master: true}, status: 400, code: 103},
		{name: "add a field to _User", req: apptest.Req{Method: "PUT", Path: "/schemas/_User", Master: true, Body: obj{"fields": obj{"nick": obj{"type": "String"}}}}, status: 200, contains: []string{`"nick"`},
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if raw(t, env, "_SCHEMA", "_User")["nick"] != "string" {
					t.Errorf("_SCHEMA._User.nick not stored")
				}
			}},
		{name: "CLP of _User is stored", req: apptest.Req{Method: "PUT", Path: "/schemas/_User", Master: true, Body: obj{"classLevelPermissions": obj{"find": obj{"requiresAuthentication": true}}}}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				g := env.Do(apptest.Req{Path: "/schemas/_User", Master: true})
				eq(t, "find CLP", field(g.Map(), "classLevelPermissions.find"), obj{"requiresAuthentication": true})
			}},
		{name: "a field added to a system class by an object write is typed", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			env.MustCreate("_Product", obj{"extra": 1})
			return nil
		}, req: apptest.Req{Method: "POST", Path: "/classes/_Product", Master: true, Body: obj{"extra": "x"}}, status: 400, code: 111,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				if raw(t, env, "_SCHEMA", "_Product")["extra"] != "number" {
					t.Errorf("_SCHEMA._Product.extra not stored")
				}
			}},
		{name: "create _User's schema with a field", req: apptest.Req{Method: "POST", Path: "/schemas/_User", Master: true, Body: obj{"fields": obj{"nick": obj{"type": "String"}}}}, status: 200, contains: []string{`"nick"`}},
	})
}
