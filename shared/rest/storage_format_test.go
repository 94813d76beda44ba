package rest_test

// Parse Server's MongoDB storage format, both ways: documents written with the driver exactly as
// Parse Server writes them (parse-rest.md's dump of parse-server 7.3.0) read through the API, and
// objects written through the API stored in that same layout.

import (
	"encoding/base64"
	"math"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
)

var (
	created = time.Date(2016, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	updated = time.Date(2017, 8, 9, 10, 11, 12, 130_000_000, time.UTC)
)

func dt(t time.Time) bson.DateTime { return bson.NewDateTimeFromTime(t) }

// seedParseServerData writes a hosted-Parse / Parse Server database with the driver.
func seedParseServerData(t *testing.T, env *apptest.Env) {
	t.Helper()
	public := bson.D{{Key: "*", Value: true}}
	insert(t, env, "_SCHEMA",
		bson.D{{Key: "_id", Value: "Game"}, {Key: "objectId", Value: "string"}, {Key: "updatedAt", Value: "date"}, {Key: "createdAt", Value: "date"},
			{Key: "score", Value: "number"}, {Key: "owner", Value: "*_User"}, {Key: "players", Value: "relation<_User>"},
			{Key: "when", Value: "date"}, {Key: "where", Value: "geopoint"}, {Key: "blob", Value: "bytes"}, {Key: "pic", Value: "file"},
			{Key: "nested", Value: "object"}, {Key: "arr", Value: "array"}, {Key: "legacy", Value: "map"}, {Key: "big", Value: "number"},
			{Key: "_metadata", Value: bson.D{
				{Key: "class_permissions", Value: bson.D{{Key: "find", Value: public}, {Key: "count", Value: public}, {Key: "get", Value: public}, {Key: "create", Value: public}, {Key: "update", Value: public}, {Key: "delete", Value: public}, {Key: "addField", Value: public}, {Key: "protectedFields", Value: bson.D{{Key: "*", Value: bson.A{}}}}}},
				{Key: "indexes", Value: bson.D{{Key: "_id_", Value: bson.D{{Key: "_id", Value: int32(1)}}}}},
			}},
		},
		bson.D{{Key: "_id", Value: "Legacy"}, {Key: "objectId", Value: "string"}, {Key: "createdAt", Value: "string"}, {Key: "updatedAt", Value: "string"},
			{Key: "n", Value: "number"}, {Key: "data", Value: "bytes"}, {Key: "meta", Value: "object"}, {Key: "_client_permissions", Value: bson.D{{Key: "x", Value: 1}}}},
	)
	insert(t, env, "Game", bson.D{
		{Key: "_id", Value: "gDdfVLibp1"}, {Key: "score", Value: int32(5)}, {Key: "_p_owner", Value: "_User$XGUl8D5iet"},
		{Key: "when", Value: dt(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))}, {Key: "where", Value: bson.A{-30.0, 40.0}},
		{Key: "blob", Value: bson.Binary{Subtype: 0, Data: []byte("froyo")}}, {Key: "pic", Value: "abc_pic.png"},
		{Key: "nested", Value: bson.D{{Key: "d", Value: dt(time.Date(2016, 2, 3, 4, 5, 6, 789_000_000, time.UTC))}, {Key: "p", Value: bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: "_User"}, {Key: "objectId", Value: "XGUl8D5iet"}}}}},
		{Key: "arr", Value: bson.A{int32(1), "a"}}, {Key: "legacy", Value: bson.D{{Key: "k", Value: "v"}}}, {Key: "big", Value: int64(1) << 40},
		{Key: "_wperm", Value: bson.A{"XGUl8D5iet", "role:Admin"}}, {Key: "_rperm", Value: bson.A{"*", "role:Admin"}},
		{Key: "_acl", Value: bson.D{{Key: "XGUl8D5iet", Value: bson.D{{Key: "w", Value: true}}}, {Key: "role:Admin", Value: bson.D{{Key: "w", Value: true}, {Key: "r", Value: true}}}, {Key: "*", Value: bson.D{{Key: "r", Value: true}}}}},
		{Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(updated)},
	})
	insert(t, env, "_User",
		bson.D{{Key: "_id", Value: "XGUl8D5iet"}, {Key: "username", Value: "bob"}, {Key: "email", Value: "bob@example.com"}, {Key: "_hashed_password", Value: "$2y$10$abcdefghijklmnopqrstuv"},
			{Key: "_wperm", Value: bson.A{"XGUl8D5iet"}}, {Key: "_rperm", Value: bson.A{"XGUl8D5iet"}}, {Key: "_auth_data_anonymous", Value: bson.D{{Key: "id", Value: "1111"}}},
			{Key: "_acl", Value: bson.D{{Key: "XGUl8D5iet", Value: bson.D{{Key: "w", Value: true}, {Key: "r", Value: true}}}}}, {Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(created)}},
		bson.D{{Key: "_id", Value: "OtherUser1"}, {Key: "username", Value: "eve"}, {Key: "_rperm", Value: bson.A{"*"}}, {Key: "_wperm", Value: bson.A{"OtherUser1"}}, {Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(created)}},
	)
	insert(t, env, "_Session",
		bson.D{{Key: "_id", Value: "gYYuYEMlsX"}, {Key: "_session_token", Value: "r:9e221fa65e1dad66bb653d28f42962e4"}, {Key: "_p_user", Value: "_User$XGUl8D5iet"},
			{Key: "createdWith", Value: bson.D{{Key: "action", Value: "login"}, {Key: "authProvider", Value: "anonymous"}}}, {Key: "expiresAt", Value: dt(time.Now().Add(365 * 24 * time.Hour))}, {Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(created)}},
		bson.D{{Key: "_id", Value: "evesession"}, {Key: "_session_token", Value: "r:00000000000000000000000000000eve"}, {Key: "_p_user", Value: "_User$OtherUser1"}, {Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(created)}},
		bson.D{{Key: "_id", Value: "oldsession"}, {Key: "_session_token", Value: "r:expired000000000000000000000000"}, {Key: "_p_user", Value: "_User$OtherUser1"}, {Key: "expiresAt", Value: dt(time.Now().Add(-time.Hour))}},
	)
	insert(t, env, "_Join:players:Game", bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "relatedId", Value: "XGUl8D5iet"}, {Key: "owningId", Value: "gDdfVLibp1"}})
	insert(t, env, "_Role", bson.D{{Key: "_id", Value: "2uc9oF57Pz"}, {Key: "name", Value: "Admin"}, {Key: "_wperm", Value: bson.A{}}, {Key: "_rperm", Value: bson.A{"*"}}, {Key: "_acl", Value: bson.D{{Key: "*", Value: bson.D{{Key: "r", Value: true}}}}}, {Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(created)}})
	insert(t, env, "_Join:users:_Role", bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "relatedId", Value: "XGUl8D5iet"}, {Key: "owningId", Value: "2uc9oF57Pz"}})
	insert(t, env, "Legacy",
		// Hosted-Parse era: legacy createdAt/updatedAt keys, Bytes as a base64 string, a nested date with a
		// BSON date inside, a double and a long, no ACL columns at all.
		bson.D{{Key: "_id", Value: "legacy0001"}, {Key: "createdAt", Value: dt(created)}, {Key: "updatedAt", Value: dt(updated)}, {Key: "n", Value: 2.5},
			{Key: "data", Value: base64.StdEncoding.EncodeToString([]byte("hi"))}, {Key: "meta", Value: bson.D{{Key: "at", Value: bson.D{{Key: "__type", Value: "Date"}, {Key: "iso", Value: dt(created)}}}}},
			{Key: "_tombstone", Value: true}},
		bson.D{{Key: "_id", Value: "legacy0002"}, {Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(updated)}, {Key: "n", Value: int64(7)},
			{Key: "_rperm", Value: bson.A{"*"}}},
		// A migrated id of another length.
		bson.D{{Key: "_id", Value: "x"}, {Key: "_created_at", Value: dt(created)}, {Key: "_updated_at", Value: dt(updated)}, {Key: "n", Value: int32(1)}, {Key: "_rperm", Value: bson.A{}}, {Key: "_wperm", Value: bson.A{}}},
	)
}

const bobToken = "r:9e221fa65e1dad66bb653d28f42962e4"

func TestStorageReadsParseServerDocuments(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	seedParseServerData(t, env)
	want := obj{
		"objectId": "gDdfVLibp1", "score": 5, "owner": ptr("_User", "XGUl8D5iet"),
		"when":   date("2015-01-01T00:00:00.000Z"),
		"where":  obj{"__type": "GeoPoint", "latitude": 40, "longitude": -30},
		"blob":   obj{"__type": "Bytes", "base64": "ZnJveW8="},
		"pic":    obj{"__type": "File", "name": "abc_pic.png", "url": "http://localhost:1337/parse/files/testapp/abc_pic.png"},
		"nested": obj{"d": date("2016-02-03T04:05:06.789Z"), "p": ptr("_User", "XGUl8D5iet")},
		"arr":    arr{1, "a"}, "legacy": obj{"k": "v"}, "big": float64(int64(1) << 40),
		"players":   obj{"__type": "Relation", "className": "_User"},
		"ACL":       obj{"*": obj{"read": true}, "role:Admin": obj{"read": true, "write": true}, "XGUl8D5iet": obj{"write": true}},
		"createdAt": "2016-03-04T05:06:07.890Z", "updatedAt": "2017-08-09T10:11:12.130Z",
	}
	t.Run("get", func(t *testing.T) {
		eq(t, "master get", get(t, env, "Game", "gDdfVLibp1"), want)
		r := env.Do(apptest.Req{Path: "/classes/Game/gDdfVLibp1"})
		eq(t, "anonymous get", r.JSON, want)
	})
	t.Run("find", func(t *testing.T) {
		rs := find(t, env, "Game", obj{"where": obj{"owner": ptr("_User", "XGUl8D5iet"), "when": obj{"$lt": date("2016-01-01T00:00:00Z")}, "score": obj{"$gte": 5}}})
		if len(rs) != 1 {
			t.Fatalf("%d results", len(rs))
		}
		eq(t, "found", rs[0], want)
		eq(t, "createdAt query", len(find(t, env, "Game", obj{"where": obj{"createdAt": date("2016-03-04T05:06:07.890Z")}})), 1)
		eq(t, "nested pointer query", len(find(t, env, "Game", obj{"where": obj{"nested.p.objectId": "XGUl8D5iet"}})), 1)
		eq(t, "order by updatedAt", len(find(t, env, "Game", obj{"order": "-updatedAt"})), 1)
	})
	t.Run("relation rows", func(t *testing.T) {
		rs := find(t, env, "_User", obj{"where": obj{"$relatedTo": obj{"object": ptr("Game", "gDdfVLibp1"), "key": "players"}}})
		eq(t, "players", ids(rs), []string{"XGUl8D5iet"})
		eq(t, "owners", ids(find(t, env, "Game", obj{"where": obj{"players": ptr("_User", "XGUl8D5iet")}})), []string{"gDdfVLibp1"})
	})
	t.Run("users hide their secrets", func(t *testing.T) {
		u := get(t, env, "_User", "XGUl8D5iet")
		for _, k := range []string{"_hashed_password", "password", "_acl", "_rperm", "_wperm"} {
			if _, ok := u[k]; ok {
				t.Errorf("user answer carries %s: %v", k, u)
			}
		}
		eq(t, "authData", u["authData"], obj{"anonymous": obj{"id": "1111"}})
		eq(t, "username", u["username"], "bob")
	})
	t.Run("include of the owner", func(t *testing.T) {
		r := env.Do(apptest.Req{Path: "/classes/Game/gDdfVLibp1?include=owner", Session: bobToken})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		eq(t, "owner username", field(r.Map(), "owner.username"), "bob")
		if _, ok := r.Map()["owner"].(map[string]any)["_hashed_password"]; ok {
			t.Errorf("included user carries its hash")
		}
	})
	t.Run("ACL from _rperm and _wperm", func(t *testing.T) {
		put := func(session string) *apptest.Resp {
			return env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/gDdfVLibp1", Session: session, Body: obj{"pic": obj{"__type": "File", "name": "abc_pic.png"}}})
		}
		if r := put(""); r.Status != 404 {
			t.Errorf("anonymous write: %d %s", r.Status, r.Raw)
		}
		if r := put("r:00000000000000000000000000000eve"); r.Status != 404 {
			t.Errorf("eve's write: %d %s", r.Status, r.Raw)
		}
		if r := put(bobToken); r.Status != 200 {
			t.Errorf("bob's write (listed in _wperm): %d %s", r.Status, r.Raw)
		}
		if r := env.Do(apptest.Req{Path: "/classes/_User/XGUl8D5iet", Session: "r:00000000000000000000000000000eve"}); r.Status != 404 {
			t.Errorf("eve reads bob's private user: %d %s", r.Status, r.Raw)
		}
		if r := env.Do(apptest.Req{Path: "/classes/_User/XGUl8D5iet", Session: bobToken}); r.Status != 200 {
			t.Errorf("bob reads himself: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("role from _Join:users:_Role", func(t *testing.T) {
		insert(t, env, "Game", bson.D{{Key: "_id", Value: "adminsonly"}, {Key: "score", Value: int32(1)}, {Key: "_rperm", Value: bson.A{"role:Admin"}}, {Key: "_wperm", Value: bson.A{"role:Admin"}}})
		if r := env.Do(apptest.Req{Path: "/classes/Game/adminsonly", Session: bobToken}); r.Status != 200 {
			t.Errorf("bob (Admin) reads: %d %s", r.Status, r.Raw)
		}
		if r := env.Do(apptest.Req{Path: "/classes/Game/adminsonly", Session: "r:00000000000000000000000000000eve"}); r.Status != 404 {
			t.Errorf("eve reads: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("sessions", func(t *testing.T) {
		if r := env.Do(apptest.Req{Path: "/classes/Game", Session: "r:expired000000000000000000000000"}); r.Status != 400 || r.Code() != 209 {
			t.Errorf("expired session: %d %s", r.Status, r.Raw)
		}
		if r := env.Do(apptest.Req{Path: "/classes/Game", Session: "r:unknown"}); r.Code() != 209 {
			t.Errorf("unknown session: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("legacy documents", func(t *testing.T) {
		eq(t, "legacy0001", get(t, env, "Legacy", "legacy0001"), obj{
			"objectId": "legacy0001", "createdAt": "2016-03-04T05:06:07.890Z", "updatedAt": "2017-08-09T10:11:12.130Z",
			"n": 2.5, "data": obj{"__type": "Bytes", "base64": "aGk="}, "meta": obj{"at": date("2016-03-04T05:06:07.890Z")},
		})
		// _rperm without _wperm: the ACL shows read only, yet anyone may write.
		l2 := get(t, env, "Legacy", "legacy0002")
		eq(t, "legacy0002 ACL", l2["ACL"], obj{"*": obj{"read": true}})
		eq(t, "long", l2["n"], 7)
		if r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Legacy/legacy0002", Body: obj{"n": 8}}); r.Status != 200 {
			t.Errorf("write to a document without _wperm: %d %s", r.Status, r.Raw)
		}
		// No ACL columns at all: public read and write.
		if r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Legacy/legacy0001", Body: obj{"n": 3}}); r.Status != 200 {
			t.Errorf("write to a document without ACL columns: %d %s", r.Status, r.Raw)
		}
		// Empty _rperm/_wperm: master only.
		if r := env.Do(apptest.Req{Path: "/classes/Legacy/x"}); r.Status != 404 {
			t.Errorf("read of a master-only document: %d %s", r.Status, r.Raw)
		}
		eq(t, "short id", get(t, env, "Legacy", "x")["ACL"], obj{})
		rs := find(t, env, "Legacy", obj{"order": "createdAt"})
		eq(t, "legacy count", len(rs), 3)
		// The schema's hosted-Parse keys are not fields.
		s := env.Do(apptest.Req{Path: "/schemas/Legacy", Master: true})
		if field(s.Map(), "fields._client_permissions") != nil {
			t.Errorf("_client_permissions listed as a field")
		}
		eq(t, "map type", field(s.Map(), "fields.meta.type"), "Object")
	})
	t.Run("schema from _SCHEMA", func(t *testing.T) {
		s := env.Do(apptest.Req{Path: "/schemas/Game", Master: true})
		for k, v := range map[string]any{"owner": obj{"type": "Pointer", "targetClass": "_User"}, "players": obj{"type": "Relation", "targetClass": "_User"}, "where": obj{"type": "GeoPoint"}, "pic": obj{"type": "File"}, "blob": obj{"type": "Bytes"}, "legacy": obj{"type": "Object"}, "createdAt": obj{"type": "Date"}} {
			eq(t, k, field(s.Map(), "fields."+k), v)
		}
		eq(t, "find CLP", field(s.Map(), "classLevelPermissions.find"), obj{"*": true})
		// A write of the wrong type is refused against the stored schema.
		if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"owner": ptr("Game", "x")}}); r.Code() != 111 {
			t.Errorf("pointer to another class: %d %s", r.Status, r.Raw)
		}
		if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Body: obj{"where2": obj{"__type": "GeoPoint", "latitude": 1, "longitude": 1}}}); r.Code() != 111 {
			t.Errorf("second geopoint: %d %s", r.Status, r.Raw)
		}
	})
}

func strSet(v any) []string {
	var out []string
	if a, ok := v.(bson.A); ok {
		for _, x := range a {
			out = append(out, x.(string))
		}
	}
	sort.Strings(out)
	return out
}

func num(v any) float64 {
	switch t := v.(type) {
	case int32:
		return float64(t)
	case int64:
		return float64(t)
	case float64:
		return t
	}
	return math.NaN()
}

func TestStorageWritesParseServerLayout(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Game", Master: true, Body: obj{
		"score": 5, "ratio": 0.5, "big": 5000000000, "name": "g", "on": true, "nothing": nil,
		"owner":   ptr("_User", "XGUl8D5iet"),
		"when":    date("2015-01-01T00:00:00.000Z"),
		"where":   obj{"__type": "GeoPoint", "latitude": 40, "longitude": -30},
		"blob":    obj{"__type": "Bytes", "base64": "ZnJveW8="},
		"pic":     obj{"__type": "File", "name": "abc_pic.png", "url": "http://x/abc_pic.png"},
		"nested":  obj{"d": date("2016-02-03T04:05:06.789Z"), "p": ptr("_User", "XGUl8D5iet"), "deep": obj{"list": arr{date("2017-01-01T00:00:00.000Z")}}},
		"arr":     arr{1, "a", date("2018-01-01T00:00:00.000Z"), ptr("Game", "other12345")},
		"players": obj{"__op": "AddRelation", "objects": arr{ptr("_User", "XGUl8D5iet")}},
		"ACL":     obj{"*": obj{"read": true}, "role:Admin": obj{"read": true, "write": true}, "XGUl8D5iet": obj{"write": true}},
	}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := r.Map()["objectId"].(string)
	d := raw(t, env, "Game", id)

	keys := []string{}
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	eq(t, "stored keys", keys, []string{"_acl", "_created_at", "_id", "_p_owner", "_rperm", "_updated_at", "_wperm", "arr", "big", "blob", "name", "nested", "nothing", "on", "pic", "ratio", "score", "when", "where"})

	if d["_id"] != id {
		t.Errorf("_id %v", d["_id"])
	}
	ca, ok1 := d["_created_at"].(bson.DateTime)
	ua, ok2 := d["_updated_at"].(bson.DateTime)
	if !ok1 || !ok2 || ca != ua {
		t.Errorf("_created_at %T %v, _updated_at %T %v", d["_created_at"], d["_created_at"], d["_updated_at"], d["_updated_at"])
	}
	if got := r.Map()["createdAt"]; got != ca.Time().UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("answer createdAt %v, stored %v", got, ca.Time())
	}
	if s, ok := d["score"].(int32); !ok || s != 5 {
		t.Errorf("score %T %v, want int32 5", d["score"], d["score"])
	}
	if f, ok := d["ratio"].(float64); !ok || f != 0.5 {
		t.Errorf("ratio %T %v", d["ratio"], d["ratio"])
	}
	if num(d["big"]) != 5000000000 {
		t.Errorf("big %T %v", d["big"], d["big"])
	}
	if d["_p_owner"] != "_User$XGUl8D5iet" {
		t.Errorf("_p_owner %v", d["_p_owner"])
	}
	if w, ok := d["when"].(bson.DateTime); !ok || !w.Time().Equal(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("when %T %v", d["when"], d["when"])
	}
	if g, ok := d["where"].(bson.A); !ok || len(g) != 2 || num(g[0]) != -30 || num(g[1]) != 40 {
		t.Errorf("where %T %v, want [lng, lat] = [-30, 40]", d["where"], d["where"])
	}
	if b, ok := d["blob"].(bson.Binary); !ok || string(b.Data) != "froyo" || b.Subtype != 0 {
		t.Errorf("blob %T %v", d["blob"], d["blob"])
	}
	if d["pic"] != "abc_pic.png" {
		t.Errorf("pic %v, want the file name", d["pic"])
	}
	if v, ok := d["nothing"]; !ok || v != nil {
		t.Errorf("nothing %v %v", v, ok)
	}
	nested, _ := d["nested"].(bson.D)
	nm := map[string]any{}
	for _, e := range nested {
		nm[e.Key] = e.Value
	}
	if _, ok := nm["d"].(bson.DateTime); !ok {
		t.Errorf("nested.d %T, want a BSON date", nm["d"])
	}
	eq(t, "nested.p stays a pointer object", toPlain(nm["p"]), obj{"__type": "Pointer", "className": "_User", "objectId": "XGUl8D5iet"})
	if deep, ok := toPlain(nm["deep"]).(map[string]any); !ok {
		t.Errorf("nested.deep %v", nm["deep"])
	} else if l, _ := deep["list"].([]any); len(l) != 1 {
		t.Errorf("nested.deep.list %v", deep["list"])
	} else if _, ok := nm["deep"].(bson.D)[0].Value.(bson.A)[0].(bson.DateTime); !ok {
		t.Errorf("date inside a nested array not stored as a BSON date")
	}
	a, _ := d["arr"].(bson.A)
	if len(a) != 4 || num(a[0]) != 1 || a[1] != "a" {
		t.Errorf("arr %v", a)
	} else {
		if _, ok := a[2].(bson.DateTime); !ok {
			t.Errorf("date in an array %T, want a BSON date", a[2])
		}
		eq(t, "pointer in an array", toPlain(a[3]), obj{"__type": "Pointer", "className": "Game", "objectId": "other12345"})
	}
	eq(t, "_rperm", strSet(d["_rperm"]), []string{"*", "role:Admin"})
	eq(t, "_wperm", strSet(d["_wperm"]), []string{"XGUl8D5iet", "role:Admin"})
	eq(t, "_acl", toPlain(d["_acl"]), obj{"*": obj{"r": true}, "role:Admin": obj{"r": true, "w": true}, "XGUl8D5iet": obj{"w": true}})

	rows := rawAll(t, env, "_Join:players:Game")
	if len(rows) != 1 || rows[0]["relatedId"] != "XGUl8D5iet" || rows[0]["owningId"] != id {
		t.Errorf("join rows %v", rows)
	} else if _, ok := rows[0]["_id"].(bson.ObjectID); !ok {
		t.Errorf("join row _id %T, want an ObjectId", rows[0]["_id"])
	}

	s := raw(t, env, "_SCHEMA", "Game")
	sk := map[string]any{}
	for k, v := range s {
		sk[k] = v
	}
	eq(t, "_SCHEMA document", sk, obj{
		"_id": "Game", "objectId": "string", "createdAt": "string", "updatedAt": "string",
		"score": "number", "ratio": "number", "big": "number", "name": "string", "on": "boolean",
		"owner": "*_User", "when": "date", "where": "geopoint", "blob": "bytes", "pic": "file",
		"nested": "object", "arr": "array", "players": "relation<_User>",
	})

	// Updates keep the layout.
	time.Sleep(2 * time.Millisecond)
	u := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Game/" + id, Master: true, Body: obj{
		"score": obj{"__op": "Increment", "amount": 2}, "owner": obj{"__op": "Delete"}, "nested.x": 1,
		"ACL": obj{"XGUl8D5iet": obj{"read": true, "write": true}}, "arr": obj{"__op": "AddUnique", "objects": arr{"a", "b"}},
	}})
	if u.Status != 200 {
		t.Fatalf("update: %d %s", u.Status, u.Raw)
	}
	d = raw(t, env, "Game", id)
	if num(d["score"]) != 7 {
		t.Errorf("score %v", d["score"])
	}
	if _, ok := d["_p_owner"]; ok {
		t.Errorf("_p_owner kept after Delete")
	}
	if _, ok := d["owner"]; ok {
		t.Errorf("owner column written")
	}
	if d["_created_at"] != ca {
		t.Errorf("_created_at changed")
	}
	if u2, _ := d["_updated_at"].(bson.DateTime); u2 <= ua {
		t.Errorf("_updated_at not advanced: %v <= %v", u2.Time(), ua.Time())
	}
	if x := field(toPlain(d["nested"]).(map[string]any), "x"); num(x) != 1 {
		t.Errorf("nested.x %v", x)
	}
	eq(t, "_rperm", strSet(d["_rperm"]), []string{"XGUl8D5iet"})
	eq(t, "_wperm", strSet(d["_wperm"]), []string{"XGUl8D5iet"})
	eq(t, "_acl", toPlain(d["_acl"]), obj{"XGUl8D5iet": obj{"r": true, "w": true}})
	if a, _ := d["arr"].(bson.A); len(a) != 5 || a[4] != "b" {
		t.Errorf("arr after AddUnique %v", d["arr"])
	}
}
