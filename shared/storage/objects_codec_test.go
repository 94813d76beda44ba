package storage_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

func class(fields map[string]schema.Field) *schema.Class {
	f := map[string]schema.Field{}
	for k, v := range schema.DefaultFields {
		f[k] = v
	}
	for k, v := range fields {
		f[k] = v
	}
	return &schema.Class{Name: "Game", Fields: f}
}

func gameClass() *schema.Class {
	return class(map[string]schema.Field{
		"score": {Type: schema.Number}, "name": {Type: schema.String}, "owner": {Type: schema.Pointer, TargetClass: "_User"},
		"when": {Type: schema.Date}, "where": {Type: schema.GeoPoint}, "blob": {Type: schema.Bytes}, "pic": {Type: schema.File},
		"nested": {Type: schema.Object}, "arr": {Type: schema.Array}, "players": {Type: schema.Relation, TargetClass: "_User"},
		"tags": {Type: schema.Array},
	})
}

func body(tb testing.TB, s string) map[string]any {
	tb.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func code(err error) int {
	var pe *parse.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return 0
}

func asMap(d bson.D) map[string]any {
	m := map[string]any{}
	for _, e := range d {
		m[e.Key] = e.Value
	}
	return m
}

func TestEncodeCreate(t *testing.T) {
	w, err := storage.Encode(gameClass(), body(t, `{
		"score": 5, "ratio": 0.25, "big": 3000000000, "name": "n", "on": true, "none": null,
		"owner": {"__type":"Pointer","className":"_User","objectId":"u1"},
		"when": {"__type":"Date","iso":"2015-01-01T00:00:00.000Z"},
		"where": {"__type":"GeoPoint","latitude":40,"longitude":-30},
		"blob": {"__type":"Bytes","base64":"ZnJveW8="},
		"pic": {"__type":"File","name":"abc_pic.png","url":"http://x/y"},
		"nested": {"b": 1, "a": {"__type":"Date","iso":"2016-01-01T00:00:00Z"}, "p": {"__type":"Pointer","className":"_User","objectId":"u1"}},
		"arr": [1, "a", {"__type":"Date","iso":"2017-01-01T00:00:00Z"}],
		"hits": {"__op":"Increment","amount":3},
		"tags": {"__op":"AddUnique","objects":["a","a","b"]},
		"gone": {"__op":"Delete"},
		"players": {"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_User","objectId":"u1"}]},
		"ACL": {"*":{"read":true},"u1":{"write":true}}
	}`), true)
	if err != nil {
		t.Fatal(err)
	}
	set := asMap(w.Set)
	check := func(key string, want any) {
		t.Helper()
		if got := set[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", key, got, want)
		}
	}
	check("score", int32(5))
	check("ratio", 0.25)
	check("big", float64(3000000000))
	check("name", "n")
	check("on", true)
	check("none", nil)
	check("_p_owner", "_User$u1")
	check("when", bson.NewDateTimeFromTime(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)))
	check("where", bson.A{-30.0, 40.0})
	check("blob", bson.Binary{Subtype: 0, Data: []byte("froyo")})
	check("pic", "abc_pic.png")
	check("nested", bson.D{
		{Key: "a", Value: bson.NewDateTimeFromTime(time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC))},
		{Key: "b", Value: int32(1)},
		{Key: "p", Value: bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: "_User"}, {Key: "objectId", Value: "u1"}}},
	})
	check("arr", bson.A{int32(1), "a", bson.NewDateTimeFromTime(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC))})
	check("hits", int32(3))
	check("tags", bson.A{"a", "b"})
	check("_rperm", bson.A{"*"})
	check("_wperm", bson.A{"u1"})
	check("_acl", bson.D{{Key: "*", Value: bson.D{{Key: "r", Value: true}}}, {Key: "u1", Value: bson.D{{Key: "w", Value: true}}}})
	for _, k := range []string{"owner", "gone", "players", "ACL"} {
		if _, ok := set[k]; ok {
			t.Errorf("%s stored as a column", k)
		}
	}
	if len(w.Relations) != 1 || w.Relations[0].Key != "players" || !reflect.DeepEqual(w.Relations[0].Add, []string{"u1"}) {
		t.Errorf("relations %+v", w.Relations)
	}
	if len(w.Unset)+len(w.Inc)+len(w.Push)+len(w.AddToSet)+len(w.PullAll) != 0 {
		t.Errorf("a create has update operators: %v", w.Update())
	}
	types := map[string]string{}
	for k, f := range w.Fields {
		types[k] = f.MongoType()
	}
	want := map[string]string{"score": "number", "ratio": "number", "big": "number", "name": "string", "on": "boolean", "owner": "*_User",
		"when": "date", "where": "geopoint", "blob": "bytes", "pic": "file", "nested": "object", "arr": "array", "hits": "number", "tags": "array", "players": "relation<_User>"}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("inferred types %v, want %v", types, want)
	}
}

func TestEncodeUpdate(t *testing.T) {
	w, err := storage.Encode(gameClass(), body(t, `{
		"score": {"__op":"Increment","amount":-2},
		"tags": {"__op":"Add","objects":["x"]},
		"arr": {"__op":"AddUnique","objects":[1]},
		"list": {"__op":"Remove","objects":["y"]},
		"owner": {"__op":"Delete"},
		"name": {"__op":"Delete"},
		"stats.wins": {"__op":"Increment","amount":1},
		"stats.name": "x",
		"ACL": null,
		"players": {"__op":"Batch","ops":[{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_User","objectId":"a"}]},{"__op":"RemoveRelation","objects":[{"__type":"Pointer","className":"_User","objectId":"b"}]}]}
	}`), false)
	if err != nil {
		t.Fatal(err)
	}
	u := asMap(w.Update())
	eq := func(op string, want bson.D) {
		t.Helper()
		got, _ := u[op].(bson.D)
		sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", op, got, want)
		}
	}
	eq("$inc", bson.D{{Key: "score", Value: int32(-2)}, {Key: "stats.wins", Value: int32(1)}})
	eq("$push", bson.D{{Key: "tags", Value: bson.D{{Key: "$each", Value: bson.A{"x"}}}}})
	eq("$addToSet", bson.D{{Key: "arr", Value: bson.D{{Key: "$each", Value: bson.A{int32(1)}}}}})
	eq("$pullAll", bson.D{{Key: "list", Value: bson.A{"y"}}})
	eq("$unset", bson.D{{Key: "_acl", Value: ""}, {Key: "_p_owner", Value: ""}, {Key: "_rperm", Value: ""}, {Key: "_wperm", Value: ""}, {Key: "name", Value: ""}})
	eq("$set", bson.D{{Key: "stats.name", Value: "x"}})
	if len(w.Relations) != 1 || !reflect.DeepEqual(w.Relations[0].Add, []string{"a"}) || !reflect.DeepEqual(w.Relations[0].Remove, []string{"b"}) {
		t.Errorf("relations %+v", w.Relations)
	}
	keys := append([]string{}, w.OpKeys...)
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, []string{"arr", "list", "score", "stats.wins", "tags"}) {
		t.Errorf("op keys %v", keys)
	}
}

func TestEncodeErrors(t *testing.T) {
	cls := gameClass()
	for _, c := range []struct {
		body   string
		create bool
		code   int
	}{
		{`{"objectId":"x"}`, false, parse.InvalidKeyName},
		{`{"createdAt":"x"}`, true, parse.InvalidKeyName},
		{`{"1a":1}`, true, parse.InvalidKeyName},
		{`{"a-b":1}`, true, parse.InvalidKeyName},
		{`{"className":1}`, true, parse.InvalidKeyName},
		{`{"stats..x":1}`, false, parse.InvalidKeyName},
		{`{"stats.$x":1}`, false, parse.InvalidKeyName},
		{`{"score.x":1}`, false, parse.IncorrectType},
		{`{"score":"x"}`, true, parse.IncorrectType},
		{`{"owner":{"__type":"Pointer","className":"Game","objectId":"x"}}`, true, parse.IncorrectType},
		{`{"m":{"a.b":1}}`, true, parse.InvalidNestedKey},
		{`{"m":{"$a":1}}`, true, parse.InvalidNestedKey},
		{`{"m":[{"x":{"$a":1}}]}`, true, parse.InvalidNestedKey},
		{`{"m":{"x":{"__op":"Increment","amount":1}}}`, true, parse.InvalidJSON},
		{`{"d":{"__type":"Date","iso":"nope"}}`, true, parse.InvalidJSON},
		{`{"g":{"__type":"GeoPoint","latitude":100,"longitude":0}}`, true, parse.InvalidJSON},
		{`{"b":{"__type":"Bytes","base64":"!!"}}`, true, parse.InvalidJSON},
		{`{"p":{"__type":"Pointer","className":"_User"}}`, true, parse.InvalidPointer},
		{`{"x":{"__type":"Unknown"}}`, true, parse.IncorrectType},
		{`{"r":{"__type":"Relation","className":"_User"}}`, true, parse.IncorrectType},
		{`{"o":{"__type":"Object","className":"X","objectId":"y"}}`, true, parse.IncorrectType},
		{`{"n":{"__op":"Increment","amount":"1"}}`, false, parse.InvalidJSON},
		{`{"n":{"__op":"Add","objects":1}}`, false, parse.InvalidJSON},
		{`{"n":{"__op":"Nope"}}`, false, parse.InvalidJSON},
		{`{"r":{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"A","objectId":"1"},{"__type":"Pointer","className":"B","objectId":"2"}]}}`, false, parse.IncorrectType},
		{`{"r":{"__op":"Batch","ops":[{"__op":"Increment","amount":1}]}}`, false, parse.InvalidJSON},
		{`{"ACL":{"*":{"read":"yes"}}}`, true, parse.InvalidACL},
		{`{"ACL":[]}`, true, parse.InvalidACL},
		{`{"ACL":{"*":{"admin":true}}}`, true, parse.InvalidACL},
	} {
		if _, err := storage.Encode(cls, body(t, c.body), c.create); code(err) != c.code {
			t.Errorf("Encode(%s, create=%v) = %v, want code %d", c.body, c.create, err, c.code)
		}
	}
}

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want any
	}{
		{"0", int32(0)}, {"-5", int32(-5)}, {"2147483647", int32(2147483647)}, {"2147483648", float64(2147483648)},
		{"1.5", 1.5}, {"1e3", 1000.0}, {"-0.0", -0.0},
	} {
		got, err := storage.Number(json.Number(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Number(%s) = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	if _, err := storage.Number(json.Number("1e999")); code(err) != parse.InvalidJSON {
		t.Errorf("Number(1e999) = %v", err)
	}
}

func TestTimes(t *testing.T) {
	tm := time.Date(2015, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("x", 3600))
	if s := storage.FormatTime(tm); s != "2015-01-02T02:04:05.678Z" {
		t.Errorf("FormatTime = %s", s)
	}
	for _, s := range []string{"2015-01-02T02:04:05.678Z", "2015-01-02T03:04:05.678+01:00", "2015-01-02T02:04:05Z", "2015-01-02T02:04:05", "2015-01-02"} {
		if _, ok := storage.ParseTime(s); !ok {
			t.Errorf("ParseTime(%q) failed", s)
		}
	}
	for _, s := range []string{"", "yesterday", "2015-13-01", "01/02/2015"} {
		if _, ok := storage.ParseTime(s); ok {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

func TestDecode(t *testing.T) {
	created := time.Date(2016, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	doc := bson.M{
		"_id": "gDdfVLibp1", "score": int32(5), "_p_owner": "_User$XGUl8D5iet", "when": bson.NewDateTimeFromTime(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)),
		"where": bson.A{-30.0, int32(40)}, "blob": bson.Binary{Data: []byte("froyo")}, "pic": "abc_pic.png",
		"nested": bson.D{{Key: "d", Value: bson.NewDateTimeFromTime(created)}, {Key: "p", Value: bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: "_User"}, {Key: "objectId", Value: "x"}}}},
		"arr":    bson.A{int32(1), "a", bson.D{{Key: "k", Value: int64(2)}}},
		"_rperm": bson.A{"*", "role:Admin"}, "_wperm": bson.A{"XGUl8D5iet", "role:Admin"}, "_acl": bson.D{},
		"_created_at": bson.NewDateTimeFromTime(created), "_updated_at": bson.NewDateTimeFromTime(created),
		"_hashed_password": "$2a$", "_tombstone": true, "_email_verify_token": "t",
	}
	got := storage.Decode(gameClass(), doc, func(n string) string { return "http://files/" + n })
	want := map[string]any{
		"objectId": "gDdfVLibp1", "score": int32(5), "owner": map[string]any{"__type": "Pointer", "className": "_User", "objectId": "XGUl8D5iet"},
		"when":  map[string]any{"__type": "Date", "iso": "2015-01-01T00:00:00.000Z"},
		"where": map[string]any{"__type": "GeoPoint", "latitude": 40.0, "longitude": -30.0},
		"blob":  map[string]any{"__type": "Bytes", "base64": "ZnJveW8="},
		"pic":   map[string]any{"__type": "File", "name": "abc_pic.png", "url": "http://files/abc_pic.png"},
		"nested": map[string]any{"d": map[string]any{"__type": "Date", "iso": "2016-03-04T05:06:07.890Z"},
			"p": map[string]any{"__type": "Pointer", "className": "_User", "objectId": "x"}},
		"arr":       []any{int32(1), "a", map[string]any{"k": int64(2)}},
		"ACL":       map[string]any{"*": map[string]any{"read": true}, "role:Admin": map[string]any{"read": true, "write": true}, "XGUl8D5iet": map[string]any{"write": true}},
		"createdAt": "2016-03-04T05:06:07.890Z", "updatedAt": "2016-03-04T05:06:07.890Z",
		"players": map[string]any{"__type": "Relation", "className": "_User"},
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Errorf("Decode\n got %s\nwant %s", gj, wj)
	}

	// A pointer column of another type is dropped; a user's authData is rebuilt.
	odd := storage.Decode(gameClass(), bson.M{"_id": "x", "_p_name": "_User$y"}, nil)
	if _, ok := odd["name"]; ok {
		t.Errorf("pointer in a string column kept: %v", odd)
	}
	user := storage.Decode(&schema.Class{Name: "_User", Fields: map[string]schema.Field{}}, bson.M{"_id": "u", "_auth_data_facebook": bson.D{{Key: "id", Value: "1"}}}, nil)
	if !reflect.DeepEqual(user["authData"], map[string]any{"facebook": map[string]any{"id": "1"}}) {
		t.Errorf("authData %v", user["authData"])
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	cls := gameClass()
	in := body(t, `{"score":5,"when":{"__type":"Date","iso":"2015-01-01T00:00:00.000Z"},"where":{"__type":"GeoPoint","latitude":1.5,"longitude":-2.5},
		"blob":{"__type":"Bytes","base64":"AAEC"},"nested":{"a":[1,{"b":{"__type":"Date","iso":"2016-01-01T00:00:00.000Z"}}]},
		"owner":{"__type":"Pointer","className":"_User","objectId":"u1"},"ACL":{"u1":{"read":true,"write":true}}}`)
	w, err := storage.Encode(cls, in, true)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bson.Marshal(append(bson.D{{Key: "_id", Value: "id1"}}, w.Set...))
	if err != nil {
		t.Fatal(err)
	}
	var doc bson.M
	if err := bson.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := storage.Decode(cls, doc, nil)
	delete(out, "players")
	delete(out, "objectId")
	gj, _ := json.Marshal(out)
	var g, wnt any
	_ = json.Unmarshal(gj, &g)
	ij, _ := json.Marshal(in)
	_ = json.Unmarshal(ij, &wnt)
	if !reflect.DeepEqual(g, wnt) {
		t.Errorf("round trip\n got %s\nwant %s", gj, ij)
	}
}

func TestTypeOf(t *testing.T) {
	for _, c := range []struct {
		v    string
		want string // MongoType, "" for none
		code int
	}{
		{`"s"`, "string", 0}, {`1`, "number", 0}, {`true`, "boolean", 0}, {`null`, "", 0}, {`[]`, "array", 0}, {`{}`, "object", 0},
		{`{"__type":"Date","iso":"x"}`, "date", 0}, {`{"__type":"Pointer","className":"A","objectId":"b"}`, "*A", 0},
		{`{"__type":"Relation","className":"A"}`, "relation<A>", 0}, {`{"__type":"Pointer"}`, "", parse.RequiredField},
		{`{"__op":"Increment","amount":1}`, "number", 0}, {`{"__op":"AddUnique","objects":[]}`, "array", 0}, {`{"__op":"Delete"}`, "", 0},
		{`{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"B","objectId":"1"}]}`, "relation<B>", 0},
		{`{"__op":"Wat"}`, "", parse.InvalidJSON}, {`{"__type":"Wat"}`, "", parse.IncorrectType},
	} {
		var v any
		d := json.NewDecoder(bytes.NewReader([]byte(c.v)))
		d.UseNumber()
		_ = d.Decode(&v)
		f, err := storage.TypeOf(v)
		got := ""
		if f != nil {
			got = f.MongoType()
		}
		if got != c.want || code(err) != c.code {
			t.Errorf("TypeOf(%s) = %q, %v; want %q code %d", c.v, got, err, c.want, c.code)
		}
	}
}

func TestPerms(t *testing.T) {
	if p, ok := storage.Perms(bson.M{"_rperm": bson.A{"*", "u"}}, "_rperm"); !ok || !reflect.DeepEqual(p, []string{"*", "u"}) {
		t.Errorf("Perms = %v %v", p, ok)
	}
	if _, ok := storage.Perms(bson.M{}, "_wperm"); ok {
		t.Errorf("a missing list is present")
	}
	if _, ok := storage.Perms(bson.M{"_wperm": nil}, "_wperm"); ok {
		t.Errorf("a null list is present")
	}
	if p, ok := storage.Perms(bson.M{"_wperm": bson.A{}}, "_wperm"); !ok || len(p) != 0 {
		t.Errorf("an empty list: %v %v", p, ok)
	}
}
