package storage

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/bsonx"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
)

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// RelationOp adds or removes rows of a _Join:key:Class table.
type RelationOp struct {
	Key    string
	Target string
	Add    []string
	Remove []string
}

// Write is a create or update translated for MongoDB.
type Write struct {
	Set       bson.D
	Unset     bson.D
	Inc       bson.D
	Push      bson.D
	AddToSet  bson.D
	PullAll   bson.D
	Relations []RelationOp
	// Fields are the types the write implies, for the schema.
	Fields map[string]schema.Field
	// OpKeys are the keys changed by an operator, whose resulting values the update answer carries.
	OpKeys []string
}

// Update is the MongoDB update document of w.
func (w *Write) Update() bson.D {
	u := bson.D{}
	for _, p := range []struct {
		op string
		d  bson.D
	}{{"$set", w.Set}, {"$unset", w.Unset}, {"$inc", w.Inc}, {"$push", w.Push}, {"$addToSet", w.AddToSet}, {"$pullAll", w.PullAll}} {
		if len(p.d) > 0 {
			u = append(u, bson.E{Key: p.op, Value: p.d})
		}
	}
	return u
}

// ReservedKeys may not be set by a client.
var readOnlyKeys = map[string]bool{"objectId": true, "createdAt": true, "updatedAt": true}

// Encode translates a REST body for class into a Write. create says whether it makes a new object
// (operators then become plain values).
func Encode(class *schema.Class, body map[string]any, create bool) (*Write, error) {
	w := &Write{Fields: make(map[string]schema.Field, len(body)), Set: make(bson.D, 0, len(body)+2)}
	for _, key := range sortedKeys(body) {
		val := body[key]
		if readOnlyKeys[key] {
			if create && key == "objectId" {
				continue // handled by the caller (allowCustomObjectId)
			}
			return nil, parse.Errorf(parse.InvalidKeyName, "%s is an invalid field name.", key)
		}
		if key == "ACL" {
			if val == nil {
				w.Unset = append(w.Unset, bson.E{Key: "_rperm", Value: ""}, bson.E{Key: "_wperm", Value: ""}, bson.E{Key: "_acl", Value: ""})
				continue
			}
			r, wp, acl, err := EncodeACL(val)
			if err != nil {
				return nil, err
			}
			w.Set = append(w.Set, bson.E{Key: "_rperm", Value: r}, bson.E{Key: "_wperm", Value: wp}, bson.E{Key: "_acl", Value: acl})
			continue
		}
		top, rest, dotted := strings.Cut(key, ".")
		if !schema.ValidFieldName(top) || (dotted && !validPath(rest)) {
			return nil, parse.Errorf(parse.InvalidKeyName, "Invalid field name: %s.", key)
		}
		if dotted {
			if f, ok := class.Field(top); ok && f.Type != schema.Object {
				return nil, parse.Errorf(parse.IncorrectType, "schema mismatch for %s.%s; expected %s but got Object", class.Name, top, f.String())
			}
			w.Fields[top] = schema.Field{Type: schema.Object}
			if err := w.encodeValue(class, key, val, create, true); err != nil {
				return nil, err
			}
			continue
		}
		f, err := TypeOf(val)
		if err != nil {
			return nil, err
		}
		if f != nil {
			if have, ok := class.Field(key); ok && !have.Equal(*f) {
				return nil, parse.Errorf(parse.IncorrectType, "schema mismatch for %s.%s; expected %s but got %s", class.Name, key, have.String(), f.String())
			}
			w.Fields[key] = *f
		}
		if err := w.encodeValue(class, key, val, create, false); err != nil {
			return nil, err
		}
	}
	if create {
		set, err := nestDotted(w.Set)
		if err != nil {
			return nil, err
		}
		w.Set = set
	}
	return w, nil
}

// nestDotted turns the key paths of a new object's fields into sub-documents: a create with
// {"stats.wins": 3} stores {stats: {wins: 3}}, the Object field the schema gets (Parse Server adds the
// same Object field, then fails the insert with an internal error). A path through a value that is
// not an object, or set twice, is refused with 105.
func nestDotted(set bson.D) (bson.D, error) {
	dotted := false
	for _, e := range set {
		if strings.Contains(e.Key, ".") {
			dotted = true
			break
		}
	}
	if !dotted {
		return set, nil
	}
	out := make(bson.D, 0, len(set))
	for _, e := range set {
		path := strings.Split(e.Key, ".")
		var err error
		if out, err = setNested(out, path, e.Value); err != nil {
			return nil, parse.Errorf(parse.InvalidKeyName, "Invalid field name: %s.", e.Key)
		}
	}
	return out, nil
}

func setNested(d bson.D, path []string, v any) (bson.D, error) {
	for i := range d {
		if d[i].Key != path[0] {
			continue
		}
		sub, ok := d[i].Value.(bson.D)
		if len(path) == 1 || !ok {
			return nil, errors.New("conflict")
		}
		sub, err := setNested(sub, path[1:], v)
		if err != nil {
			return nil, err
		}
		d[i].Value = sub
		return d, nil
	}
	if len(path) == 1 {
		return append(d, bson.E{Key: path[0], Value: v}), nil
	}
	sub, err := setNested(bson.D{}, path[1:], v)
	if err != nil {
		return nil, err
	}
	return append(d, bson.E{Key: path[0], Value: sub}), nil
}

func validPath(p string) bool {
	for _, s := range strings.Split(p, ".") {
		if s == "" || strings.ContainsAny(s, "$") {
			return false
		}
	}
	return true
}

func (w *Write) encodeValue(class *schema.Class, key string, val any, create, dotted bool) error {
	m, isMap := val.(map[string]any)
	op, isOp := "", false
	if isMap {
		op, isOp = m["__op"].(string)
	}
	if !isOp {
		if val == nil && !create {
			if f, ok := class.Field(key); ok && f.Type == schema.Pointer {
				w.Unset = append(w.Unset, bson.E{Key: "_p_" + key, Value: ""})
				return nil
			}
		}
		enc, err := EncodeAtom(val)
		if err != nil {
			return err
		}
		if isMap && !dotted && m["__type"] == "Pointer" {
			w.Set = append(w.Set, bson.E{Key: "_p_" + key, Value: m["className"].(string) + "$" + m["objectId"].(string)})
			return nil
		}
		w.Set = append(w.Set, bson.E{Key: key, Value: enc})
		return nil
	}
	switch op {
	case "Delete":
		if create {
			return nil
		}
		if f, ok := class.Field(key); ok && f.Type == schema.Pointer {
			w.Unset = append(w.Unset, bson.E{Key: "_p_" + key, Value: ""})
		} else {
			w.Unset = append(w.Unset, bson.E{Key: key, Value: ""})
		}
		return nil
	case "Increment":
		n, err := EncodeAtom(m["amount"])
		if _, ok := ToFloat(m["amount"]); err != nil || !ok {
			return parse.NewError(parse.InvalidJSON, "Increment amount must be a number")
		}
		w.OpKeys = append(w.OpKeys, key)
		if create {
			w.Set = append(w.Set, bson.E{Key: key, Value: n})
		} else {
			w.Inc = append(w.Inc, bson.E{Key: key, Value: n})
		}
		return nil
	case "Add", "AddUnique", "Remove":
		objs, ok := m["objects"].([]any)
		if !ok {
			return parse.Errorf(parse.InvalidJSON, "%s needs an objects array", op)
		}
		enc, err := EncodeAtom(objs)
		if err != nil {
			return err
		}
		arr := enc.(bson.A)
		w.OpKeys = append(w.OpKeys, key)
		if create {
			switch op {
			case "Add":
				w.Set = append(w.Set, bson.E{Key: key, Value: arr})
			case "AddUnique":
				w.Set = append(w.Set, bson.E{Key: key, Value: unique(arr)})
			case "Remove":
				w.Set = append(w.Set, bson.E{Key: key, Value: bson.A{}})
			}
			return nil
		}
		switch op {
		case "Add":
			w.Push = append(w.Push, bson.E{Key: key, Value: bson.D{{Key: "$each", Value: arr}}})
		case "AddUnique":
			w.AddToSet = append(w.AddToSet, bson.E{Key: key, Value: bson.D{{Key: "$each", Value: arr}}})
		case "Remove":
			w.PullAll = append(w.PullAll, bson.E{Key: key, Value: arr})
		}
		return nil
	case "AddRelation", "RemoveRelation":
		if dotted {
			return parse.NewError(parse.InvalidKeyName, "relations cannot be nested")
		}
		return w.relation(key, op, m)
	case "Batch":
		ops, _ := m["ops"].([]any)
		for _, o := range ops {
			om, ok := o.(map[string]any)
			if !ok {
				return parse.NewError(parse.InvalidJSON, "Batch ops must be operators")
			}
			if k, _ := om["__op"].(string); k != "AddRelation" && k != "RemoveRelation" {
				return parse.NewError(parse.InvalidJSON, "Batch only combines AddRelation and RemoveRelation")
			}
			if err := w.relation(key, om["__op"].(string), om); err != nil {
				return err
			}
		}
		return nil
	}
	return parse.Errorf(parse.InvalidJSON, "The %s operator is not supported.", op)
}

func (w *Write) relation(key, op string, m map[string]any) error {
	objs, ok := m["objects"].([]any)
	if !ok {
		return parse.Errorf(parse.InvalidJSON, "%s needs an objects array", op)
	}
	var r *RelationOp
	for i := range w.Relations {
		if w.Relations[i].Key == key {
			r = &w.Relations[i]
		}
	}
	for _, o := range objs {
		p, _ := o.(map[string]any)
		cn, _ := p["className"].(string)
		id, _ := p["objectId"].(string)
		if cn == "" || id == "" {
			return parse.NewError(parse.InvalidPointer, "relation objects must be pointers with a className and an objectId")
		}
		if r == nil {
			w.Relations = append(w.Relations, RelationOp{Key: key, Target: cn})
			r = &w.Relations[len(w.Relations)-1]
		}
		if r.Target != cn {
			return parse.NewError(parse.IncorrectType, "Tried to create a relation with objects of different classes.")
		}
		if op == "AddRelation" {
			r.Add = append(r.Add, id)
		} else {
			r.Remove = append(r.Remove, id)
		}
	}
	return nil
}

func unique(a bson.A) bson.A {
	out := bson.A{}
	seen := map[string]bool{}
	for _, x := range a {
		k := fmt.Sprintf("%T:%v", x, x)
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

// FileURL makes the URL of a stored file name.
type FileURL func(name string) string

// Decode turns a stored document into the REST object of class. Hidden `_` columns are dropped.
func Decode(class *schema.Class, doc bson.M, fileURL FileURL) map[string]any {
	out := make(map[string]any, len(doc)+1)
	var rperm, wperm []string
	var hasR, hasW bool
	for k, v := range doc {
		switch k {
		case "_id":
			out["objectId"] = idString(v)
			continue
		case "_created_at", "createdAt":
			if s, ok := timeString(v); ok {
				out["createdAt"] = s
			}
			continue
		case "_updated_at", "updatedAt":
			if s, ok := timeString(v); ok {
				out["updatedAt"] = s
			}
			continue
		case "_rperm":
			rperm, hasR = strList(v), true
			continue
		case "_wperm":
			wperm, hasW = strList(v), true
			continue
		case "_session_token":
			if class.Name == "_Session" {
				out["sessionToken"] = v
			}
			continue
		}
		if strings.HasPrefix(k, "_p_") {
			s, ok := v.(string)
			name := k[3:]
			cn, id, found := strings.Cut(s, "$")
			if !ok || !found {
				continue
			}
			if f, ok := class.Field(name); ok && f.Type != schema.Pointer {
				continue
			}
			out[name] = map[string]any{"__type": "Pointer", "className": cn, "objectId": id}
			continue
		}
		if strings.HasPrefix(k, "_auth_data_") {
			if class.Name == "_User" {
				ad, _ := out["authData"].(map[string]any)
				if ad == nil {
					ad = map[string]any{}
					out["authData"] = ad
				}
				ad[k[len("_auth_data_"):]] = decodeValue(v)
			}
			continue
		}
		if strings.HasPrefix(k, "_") {
			continue
		}
		f, _ := class.Field(k)
		out[k] = decodeField(f, v, fileURL)
	}
	if hasR || hasW {
		out["ACL"] = aclJSON(rperm, wperm)
	}
	for name, f := range class.Fields {
		if f.Type == schema.Relation {
			out[name] = map[string]any{"__type": "Relation", "className": f.TargetClass}
		}
	}
	return out
}

func aclJSON(rperm, wperm []string) map[string]any {
	acl := map[string]any{}
	for _, id := range rperm {
		acl[id] = map[string]any{"read": true}
	}
	for _, id := range wperm {
		if e, ok := acl[id].(map[string]any); ok {
			e["write"] = true
		} else {
			acl[id] = map[string]any{"write": true}
		}
	}
	return acl
}

func strList(v any) []string {
	var out []string
	switch t := v.(type) {
	case bson.A:
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		return t
	}
	return out
}

// Perms reads a stored _rperm or _wperm list and whether it is present.
func Perms(doc bson.M, key string) ([]string, bool) {
	v, ok := doc[key]
	if !ok || v == nil {
		return nil, false
	}
	return strList(v), true
}

func idString(v any) any {
	switch t := v.(type) {
	case string:
		return t
	case bson.ObjectID:
		return t.Hex()
	}
	return v
}

func timeString(v any) (string, bool) {
	switch t := v.(type) {
	case bson.DateTime:
		return FormatTime(t.Time()), true
	case time.Time:
		return FormatTime(t), true
	case string:
		return t, true
	}
	return "", false
}

func decodeField(f schema.Field, v any, fileURL FileURL) any {
	switch f.Type {
	case schema.File:
		if s, ok := v.(string); ok {
			file := map[string]any{"__type": "File", "name": s}
			if fileURL != nil {
				file["url"] = fileURL(s)
			}
			return file
		}
	case schema.GeoPoint:
		if a := bsonx.Slice(v); len(a) == 2 {
			lng, ok1 := ToFloat(a[0])
			lat, ok2 := ToFloat(a[1])
			if ok1 && ok2 {
				return map[string]any{"__type": "GeoPoint", "latitude": lat, "longitude": lng}
			}
		}
	case schema.Polygon:
		if p, ok := decodePolygon(v); ok {
			return p
		}
	case schema.Bytes:
		if s, ok := v.(string); ok { // legacy base64 string
			return map[string]any{"__type": "Bytes", "base64": s}
		}
	}
	return decodeValue(v)
}

func decodePolygon(v any) (map[string]any, bool) {
	m, ok := bsonx.Map(v)
	if !ok {
		return nil, false
	}
	var ring []any
	if flat, ok := m[FlatPolygonKey]; ok && m["type"] == "Polygon" {
		for _, p := range bsonx.Slice(flat) {
			pm, ok := bsonx.Map(p)
			if !ok {
				return nil, false
			}
			ring = append(ring, []any{pm["lng"], pm["lat"]})
		}
	} else {
		rings := bsonx.Slice(m["coordinates"])
		if len(rings) == 0 {
			return nil, false
		}
		ring = bsonx.Slice(rings[0])
	}
	var pts []any
	for _, p := range ring {
		pair := bsonx.Slice(p)
		if len(pair) != 2 {
			return nil, false
		}
		lng, _ := ToFloat(pair[0])
		lat, _ := ToFloat(pair[1])
		pts = append(pts, []any{lat, lng})
	}
	if pts == nil {
		return nil, false
	}
	return map[string]any{"__type": "Polygon", "coordinates": pts}, true
}

// decodeValue turns a nested BSON value into REST JSON.
func decodeValue(v any) any {
	switch t := v.(type) {
	case bson.DateTime:
		return map[string]any{"__type": "Date", "iso": FormatTime(t.Time())}
	case time.Time:
		return map[string]any{"__type": "Date", "iso": FormatTime(t)}
	case bson.Binary:
		return map[string]any{"__type": "Bytes", "base64": base64.StdEncoding.EncodeToString(t.Data)}
	case bson.ObjectID:
		return t.Hex()
	case bson.A, []any:
		a := bsonx.Slice(t)
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = decodeValue(x)
		}
		return out
	case bson.D, bson.M, map[string]any:
		m, _ := bsonx.Map(t)
		if m["__type"] == "Date" { // legacy nested date
			if d, ok := m["iso"].(bson.DateTime); ok {
				return map[string]any{"__type": "Date", "iso": FormatTime(d.Time())}
			}
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = decodeValue(x)
		}
		return out
	case bson.Decimal128:
		return t.String()
	}
	return v
}

// DecodeValue is decodeValue for other packages (aggregate results).
func DecodeValue(v any) any { return decodeValue(v) }
