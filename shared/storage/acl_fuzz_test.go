package storage_test

// Fuzzing of what a client writes: an ACL (EncodeACL) and a whole object body (Encode, which also
// reads the ACL). Nothing may panic; a refusal must be a *parse.Error; what is accepted must be a
// document the database accepts (the driver can encode it and no stored key is one MongoDB refuses).
//
//	go test -run '^$' -fuzz FuzzEncodeACL -fuzztime 30s ./shared/storage/
//	go test -run '^$' -fuzz FuzzEncodeBody -fuzztime 30s ./shared/storage/

import (
	"encoding/json"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

func decodeJSON(in string) (any, bool) {
	d := json.NewDecoder(strings.NewReader(in))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// badStoredKey tells why MongoDB would refuse a document key ("" when it is fine).
func badStoredKey(k string) string {
	switch {
	case strings.ContainsRune(k, 0):
		return "a NUL byte"
	case strings.HasPrefix(k, "$"):
		return "a leading $"
	case strings.Contains(k, "."):
		return "a dot"
	}
	return ""
}

// knownKeyBug fails an input whose key MongoDB would refuse but the encoder accepted (the write would
// then fail in the database with a 500; Parse Server answers 121 INVALID_NESTED_KEY).
func knownKeyBug(t *testing.T, where, key, why string) {
	t.Helper()
	t.Fatalf("%s key %q with %s is accepted; the database would refuse it", where, key, why)
}

var aclSeeds = []string{
	`{}`,
	`{"*":{"read":true}}`,
	`{"*":{"read":true,"write":false},"abc":{"read":true,"write":true},"role:Admin":{"write":true}}`,
	`{"*":{"read":"yes"}}`,
	`{"*":{"delete":true}}`,
	`{"*":true}`,
	`{"":{"read":true}}`,
	`{"a.b":{"read":true}}`,
	`{"$x":{"read":true}}`,
	`{"a\u0000":{"read":true}}`,
	`[]`,
	`null`,
	`"*"`,
	`{"*":{}}`,
	`{"*":null}`,
}

func FuzzEncodeACL(f *testing.F) {
	for _, s := range aclSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, ok := decodeJSON(in)
		if !ok {
			return
		}
		rperm, wperm, acl, err := storage.EncodeACL(v)
		if err != nil {
			pe, ok := parse.As(err)
			if !ok {
				t.Fatalf("EncodeACL(%s): %T %v is not a *parse.Error", in, err, err)
			}
			if pe.Code != parse.InvalidACL && pe.Code != parse.InvalidNestedKey {
				t.Fatalf("EncodeACL(%s): code %d, want 123 (or 121)", in, pe.Code)
			}
			return
		}
		m, _ := v.(map[string]any)
		if m == nil {
			t.Fatalf("EncodeACL accepted a non-object: %s", in)
		}
		// _rperm/_wperm hold exactly the entries granting read/write, and _acl mirrors them.
		granted := func(who, perm string) bool {
			p, _ := m[who].(map[string]any)
			return p[perm] == true
		}
		inList := func(list bson.A, who string) bool {
			for _, x := range list {
				if x == who {
					return true
				}
			}
			return false
		}
		for who := range m {
			if granted(who, "read") != inList(rperm, who) {
				t.Fatalf("%s: read of %q: _rperm %v", in, who, rperm)
			}
			if granted(who, "write") != inList(wperm, who) {
				t.Fatalf("%s: write of %q: _wperm %v", in, who, wperm)
			}
		}
		if len(rperm)+len(wperm) > 0 && len(acl) == 0 {
			t.Fatalf("%s: _acl empty but permissions %v %v", in, rperm, wperm)
		}
		for _, e := range acl {
			if why := badStoredKey(e.Key); why != "" {
				knownKeyBug(t, "ACL", e.Key, why)
			}
		}
		doc := bson.D{{Key: "_rperm", Value: rperm}, {Key: "_wperm", Value: wperm}, {Key: "_acl", Value: acl}}
		if _, err := bson.Marshal(doc); err != nil {
			t.Fatalf("%s: the driver cannot encode %v: %v", in, doc, err)
		}
	})
}

var bodySeeds = []string{
	`{"name":"x","score":1,"ACL":{"*":{"read":true}}}`,
	`{"ACL":null}`,
	`{"ACL":{"*":{"read":1}}}`,
	`{"score":{"__op":"Increment","amount":2}}`,
	`{"score":{"__op":"Increment","amount":"2"}}`,
	`{"tags":{"__op":"AddUnique","objects":["a","b"]}}`,
	`{"tags":{"__op":"Remove","objects":[{"__type":"Pointer","className":"A","objectId":"b"}]}}`,
	`{"tags":{"__op":"Add","objects":"x"}}`,
	`{"players":{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_User","objectId":"u"}]}}`,
	`{"players":{"__op":"RemoveRelation","objects":[{"__type":"Pointer"}]}}`,
	`{"x":{"__op":"Batch","ops":[{"__op":"Increment","amount":1},{"__op":"Delete"}]}}`,
	`{"x":{"__op":"Nope"}}`,
	`{"when":{"__type":"Date","iso":"2020-01-01T00:00:00.000Z"},"loc":{"__type":"GeoPoint","latitude":100,"longitude":0}}`,
	`{"blob":{"__type":"Bytes","base64":"aGk="},"pic":{"__type":"File","name":"a.png","url":"http://x"}}`,
	`{"area":{"__type":"Polygon","coordinates":[[0,0],[0,1],[1,1]]}}`,
	`{"area":{"__type":"Polygon","coordinates":[[0,0],[0,1]]}}`,
	`{"owner":{"__type":"Pointer","className":"_User","objectId":"u1"}}`,
	`{"owner":{"__type":"Pointer","className":"_User"}}`,
	`{"obj":{"a":{"b":[1,{"c":null}]}}}`,
	`{"obj.a.b":5,"obj.c":{"__op":"Increment"}}`,
	`{"obj.$a":1}`,
	`{"obj":{"$a":1}}`,
	`{"obj":{"a.b":1}}`,
	`{"obj":{"a\u0000b":1}}`,
	`{"objectId":"abc","createdAt":"x"}`,
	`{"_hashed_password":"x","_rperm":["*"]}`,
	`{"1bad":1}`,
	`{"n":1e999}`,
	`{"n":123456789012345678901234567890}`,
	`{"x":{"__type":"Relation","className":"A"}}`,
	`{"x":{"__type":"Object","className":"A","objectId":"b"}}`,
}

func FuzzEncodeBody(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add(s, true)
		f.Add(s, false)
	}
	cls := schema.SystemClass("Game")
	if cls.Fields == nil {
		cls.Fields = map[string]schema.Field{}
	}
	for name, fd := range map[string]schema.Field{
		"score": {Type: schema.Number}, "name": {Type: schema.String}, "tags": {Type: schema.Array},
		"obj": {Type: schema.Object}, "when": {Type: schema.Date}, "owner": {Type: schema.Pointer, TargetClass: "_User"},
		"players": {Type: schema.Relation, TargetClass: "_User"},
	} {
		cls.Fields[name] = fd
	}
	f.Fuzz(func(t *testing.T, in string, create bool) {
		v, ok := decodeJSON(in)
		if !ok {
			return
		}
		body, ok := v.(map[string]any)
		if !ok {
			return
		}
		w, err := storage.Encode(cls, body, create)
		if err != nil {
			if _, ok := parse.As(err); !ok {
				t.Fatalf("Encode(%s): %T %v is not a *parse.Error", in, err, err)
			}
			return
		}
		upd := w.Update()
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case bson.D:
				for _, e := range x {
					if strings.ContainsRune(e.Key, 0) {
						knownKeyBug(t, "object", e.Key, "a NUL byte")
					}
					walk(e.Value)
				}
			case bson.A:
				for _, y := range x {
					walk(y)
				}
			}
		}
		walk(upd)
		for _, op := range upd {
			for _, e := range op.Value.(bson.D) {
				if strings.HasPrefix(e.Key, "_") {
					switch e.Key {
					case "_rperm", "_wperm", "_acl":
						if _, ok := body["ACL"]; !ok {
							t.Fatalf("%s: %s written without an ACL in the body", in, e.Key)
						}
					default:
						if !strings.HasPrefix(e.Key, "_p_") {
							t.Fatalf("%s: a client body writes the internal column %s", in, e.Key)
						}
					}
				}
			}
		}
		if len(upd) > 0 {
			if _, err := bson.Marshal(upd); err != nil {
				t.Fatalf("%s: the driver cannot encode the update %v: %v", in, upd, err)
			}
		}
	})
}
