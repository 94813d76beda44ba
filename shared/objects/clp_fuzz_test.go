package objects

// Fuzzing of class-level permissions as stored (any JSON object in _metadata.class_permissions, as a
// migrated database or a schema request may hold): checkCLP, pointerFilter and protectedFields. Nothing
// may panic; a refusal is a *parse.Error (119, or 101 for requiresAuthentication); access is granted
// without conditions only by an entry that names the caller ("*", requiresAuthentication, the user
// id, one of its roles); the master key always passes.
//
//	go test -run '^$' -fuzz FuzzCheckCLP -fuzztime 30s ./shared/objects/

import (
	"encoding/json"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
)

var clpSeeds = []string{
	`{}`,
	`{"find":{"*":true},"get":{"*":true},"count":{"*":true},"create":{"*":true},"update":{"*":true},"delete":{"*":true},"addField":{"*":true}}`,
	`{"find":{"requiresAuthentication":true},"get":{"u1":true},"update":{"role:Admin":true}}`,
	`{"get":{},"find":{},"update":{},"delete":{},"readUserFields":["owner"],"writeUserFields":["owner","owners"]}`,
	`{"update":{"pointerFields":["owner"]},"delete":{"pointerFields":"owner"},"create":{"pointerFields":["owner"]}}`,
	`{"find":{"*":"true"},"get":{"*":1},"count":[]}`,
	`{"readUserFields":"owner","writeUserFields":{"a":1}}`,
	`{"protectedFields":{"*":["email","secret"],"authenticated":["secret"],"u1":[],"role:Admin":["x"]}}`,
	`{"protectedFields":{"*":"email"}}`,
	`{"protectedFields":[]}`,
	`{"find":null,"get":{"*":null}}`,
	`{"find":{"pointerFields":[1,null,"owner"]}}`,
	`{"readUserFields":[null,1,"nope","owners"]}`,
}

func FuzzCheckCLP(f *testing.F) {
	for _, s := range clpSeeds {
		f.Add(s)
	}
	ops := []string{OpFind, OpCount, OpGet, OpCreate, OpUpdate, OpDelete, OpAddField}
	callers := []*auth.Auth{
		auth.Nobody(),
		{UserID: "u1", Roles: []string{"role:Admin"}, SessionToken: "r:x"},
		{UserID: "u2"},
		auth.Master(),
	}
	f.Fuzz(func(t *testing.T, in string) {
		d := json.NewDecoder(strings.NewReader(in))
		d.UseNumber()
		var clp map[string]any
		if err := d.Decode(&clp); err != nil || clp == nil {
			return
		}
		cls := schema.SystemClass("Game")
		if cls.Fields == nil {
			cls.Fields = map[string]schema.Field{}
		}
		cls.Fields["owner"] = schema.Field{Type: schema.Pointer, TargetClass: "_User"}
		cls.Fields["owners"] = schema.Field{Type: schema.Array}
		cls.CLP = clp
		for _, a := range callers {
			for _, op := range ops {
				fields, err := checkCLP(cls, op, a)
				if a.Master && (err != nil || fields != nil) {
					t.Fatalf("%s %s as master: fields %v err %v", in, op, fields, err)
				}
				if err != nil {
					pe, ok := parse.As(err)
					if !ok {
						t.Fatalf("%s %s: %T %v is not a *parse.Error", in, op, err, err)
					}
					if pe.Code != parse.OperationForbidden && pe.Code != parse.ObjectNotFound {
						t.Fatalf("%s %s: code %d", in, op, pe.Code)
					}
					if fields != nil {
						t.Fatalf("%s %s: refused but fields %v", in, op, fields)
					}
					continue
				}
				perms, _ := clp[op].(map[string]any)
				if fields == nil && !a.Master {
					named := perms["*"] == true
					if a.UserID != "" {
						named = named || perms["requiresAuthentication"] == true || perms[a.UserID] == true
						for _, r := range a.Roles {
							named = named || perms[r] == true
						}
					}
					if !named {
						t.Fatalf("%s: %s granted to %+v without an entry naming it (perms %v)", in, op, a, perms)
					}
				}
				if len(fields) > 0 {
					if op == OpCreate || op == OpAddField {
						t.Fatalf("%s: %s granted through pointer fields %v", in, op, fields)
					}
					pf := pointerFilter(cls, fields, a)
					if _, err := bson.Marshal(bson.D{pf}); err != nil {
						t.Fatalf("%s %s: pointer filter %v: %v", in, op, pf, err)
					}
				}
			}
			hidden := protectedFields(cls, a)
			if a.Master && len(hidden) > 0 {
				t.Fatalf("%s: master has protected fields %v", in, hidden)
			}
		}
	})
}
