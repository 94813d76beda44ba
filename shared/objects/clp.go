package objects

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
)

// CLP operations.
const (
	OpFind     = "find"
	OpCount    = "count"
	OpGet      = "get"
	OpCreate   = "create"
	OpUpdate   = "update"
	OpDelete   = "delete"
	OpAddField = "addField"
)

func isRead(op string) bool { return op == OpFind || op == OpCount || op == OpGet }

// checkCLP applies the class-level permission of op. It answers the pointer fields that must point at
// the caller when access is granted through them (empty when access is unconditional).
func checkCLP(cls *schema.Class, op string, a *auth.Auth) ([]string, error) {
	if a.Master || cls.CLP == nil {
		return nil, nil
	}
	perms, _ := cls.CLP[op].(map[string]any)
	if perms["*"] == true {
		return nil, nil
	}
	if a.UserID != "" {
		if perms["requiresAuthentication"] == true || perms[a.UserID] == true {
			return nil, nil
		}
		for _, r := range a.Roles {
			if perms[r] == true {
				return nil, nil
			}
		}
	} else if perms["requiresAuthentication"] == true {
		return nil, parse.NewError(parse.ObjectNotFound, "Permission denied, user needs to be authenticated.")
	}
	var fields []string
	for _, f := range strList(perms["pointerFields"]) {
		fields = append(fields, f)
	}
	key := "writeUserFields"
	if isRead(op) {
		key = "readUserFields"
	}
	if op != OpCreate && op != OpAddField {
		fields = append(fields, strList(cls.CLP[key])...)
	}
	// Pointer permissions: an anonymous caller passes the class check too (as in Parse Server) and
	// then matches no object, so it gets 101 / empty results rather than 119 (see pointerFilter).
	if len(fields) > 0 && op != OpCreate && op != OpAddField {
		return fields, nil
	}
	return nil, parse.Errorf(parse.OperationForbidden, "Permission denied for action %s on class %s.", op, cls.Name)
}

func strList(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// pointerFilter is the clause that limits access to objects whose pointer fields point at the caller.
func pointerFilter(cls *schema.Class, fields []string, a *auth.Auth) bson.E {
	if a.UserID == "" { // no user: nothing can point at the caller
		return bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{}}}}}}}
	}
	or := bson.A{}
	ptr := bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: "_User"}, {Key: "objectId", Value: a.UserID}}
	for _, f := range fields {
		if fd, ok := cls.Field(f); ok && fd.Type == schema.Array {
			or = append(or, bson.D{{Key: f, Value: bson.D{{Key: "$all", Value: bson.A{ptr}}}}})
			continue
		}
		or = append(or, bson.D{{Key: "_p_" + f, Value: "_User$" + a.UserID}})
	}
	return bson.E{Key: "$or", Value: or}
}

// protectedFields returns the fields the caller may not see in objects of cls: the intersection of
// the protectedFields lists of every entry that applies to the caller ("*", "authenticated", the user
// and their roles).
func protectedFields(cls *schema.Class, a *auth.Auth) []string {
	if a.Master {
		return nil
	}
	var pf map[string]any
	if cls.CLP != nil {
		pf, _ = cls.CLP["protectedFields"].(map[string]any)
	} else if cls.Name == "_User" {
		pf = map[string]any{"*": []any{"email"}}
	}
	if len(pf) == 0 {
		return nil
	}
	keys := []string{"*"}
	if a.UserID != "" {
		keys = append(keys, "authenticated", a.UserID)
		keys = append(keys, a.Roles...)
	}
	var result map[string]bool
	for _, k := range keys {
		v, ok := pf[k]
		if !ok {
			continue
		}
		set := map[string]bool{}
		for _, f := range strList(v) {
			set[f] = true
		}
		if result == nil {
			result = set
			continue
		}
		for f := range result {
			if !set[f] {
				delete(result, f)
			}
		}
	}
	out := make([]string, 0, len(result))
	for f := range result {
		out = append(out, f)
	}
	return out
}
