package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

// defaultCLP is what a class without stored permissions allows: everything, to everyone.
func defaultCLP() map[string]any {
	all := func() map[string]any { return map[string]any{"*": true} }
	return map[string]any{"find": all(), "count": all(), "get": all(), "create": all(), "update": all(), "delete": all(), "addField": all(), "protectedFields": map[string]any{"*": []any{}}}
}

func schemaJSON(c *schema.Class) map[string]any {
	fields := map[string]any{}
	for name, f := range c.Fields {
		if c.Name == "_User" && name == "authData" {
			fields[name] = map[string]any{"type": "Object"}
			continue
		}
		e := map[string]any{"type": f.Type}
		if f.TargetClass != "" {
			e["targetClass"] = f.TargetClass
		}
		if f.Required {
			e["required"] = true
		}
		if f.DefaultValue != nil {
			e["defaultValue"] = f.DefaultValue
		}
		fields[name] = e
	}
	out := map[string]any{"className": c.Name, "fields": fields}
	if c.CLP != nil {
		out["classLevelPermissions"] = c.CLP
	} else {
		out["classLevelPermissions"] = defaultCLP()
	}
	if len(c.Indexes) > 0 {
		idx := map[string]any{}
		for n, keys := range c.Indexes {
			m := map[string]any{}
			for _, e := range keys {
				m[e.Key] = e.Value
			}
			idx[n] = m
		}
		out["indexes"] = idx
	}
	return out
}

func (a *App) schemasList(ctx context.Context, req *Request) (*Response, error) {
	all, err := a.schemas.All(ctx)
	if err != nil {
		return nil, err
	}
	res := make([]any, 0, len(all))
	for _, c := range all {
		res = append(res, schemaJSON(c))
	}
	return reply(map[string]any{"results": res})
}

func (a *App) schemaGet(ctx context.Context, req *Request) (*Response, error) {
	name := req.Params["className"]
	c, err := a.schemas.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if !c.Exists() || schema.VolatileClasses[name] {
		return nil, parse.Errorf(parse.InvalidClassName, "Class %s does not exist.", name)
	}
	return reply(schemaJSON(c))
}

var clpOps = map[string]bool{"find": true, "count": true, "get": true, "create": true, "update": true, "delete": true, "addField": true, "readUserFields": true, "writeUserFields": true, "protectedFields": true}

func parseCLP(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, parse.NewError(parse.InvalidJSON, "classLevelPermissions must be an object")
	}
	for op, perms := range m {
		if !clpOps[op] {
			return nil, parse.Errorf(parse.InvalidJSON, "%s is not a valid operation for class level permissions", op)
		}
		switch op {
		case "readUserFields", "writeUserFields":
			if _, ok := perms.([]any); !ok {
				return nil, parse.Errorf(parse.InvalidJSON, "this perms[%s] is not a valid value for class level permissions %s", op, op)
			}
			continue
		}
		pm, ok := perms.(map[string]any)
		if !ok {
			return nil, parse.Errorf(parse.InvalidJSON, "%s is not a valid value for class level permissions %s", op, op)
		}
		for who, val := range pm {
			switch {
			case op == "protectedFields":
				if _, ok := val.([]any); !ok {
					return nil, parse.Errorf(parse.InvalidJSON, "'%v' is not a valid value for protectedFields[%s] - expected an array.", val, who)
				}
			case who == "pointerFields":
				if _, ok := val.([]any); !ok {
					return nil, parse.Errorf(parse.InvalidJSON, "'%v' is not a valid value for %s[pointerFields] - expected an array.", val, op)
				}
			default:
				if b, ok := val.(bool); !ok || !b {
					return nil, parse.Errorf(parse.InvalidJSON, "'%v' is not a valid value for class level permissions %s:%s:%v", val, op, who, val)
				}
			}
		}
	}
	return m, nil
}

func parseFields(v any, allowDelete bool) (add map[string]schema.Field, del []string, err error) {
	add = map[string]schema.Field{}
	if v == nil {
		return add, nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, parse.NewError(parse.InvalidJSON, "fields must be an object")
	}
	for name, spec := range m {
		sm, ok := spec.(map[string]any)
		if !ok {
			return nil, nil, parse.Errorf(parse.InvalidJSON, "field %s must be an object with a type", name)
		}
		if sm["__op"] == "Delete" {
			if !allowDelete {
				return nil, nil, parse.NewError(parse.InvalidJSON, "fields cannot be deleted when creating a class")
			}
			del = append(del, name)
			continue
		}
		if !schema.ValidFieldName(name) {
			return nil, nil, parse.Errorf(parse.InvalidKeyName, "invalid field name: %s", name)
		}
		if _, isDefault := schema.DefaultFields[name]; isDefault {
			return nil, nil, parse.Errorf(parse.ImmutableField, "field %s cannot be added", name)
		}
		t, _ := sm["type"].(string)
		if !schema.ValidAPIType(t) {
			return nil, nil, parse.Errorf(parse.IncorrectType, "invalid field type: %v", sm["type"])
		}
		f := schema.Field{Type: t}
		if t == schema.Pointer || t == schema.Relation {
			tc, _ := sm["targetClass"].(string)
			if tc == "" {
				return nil, nil, parse.Errorf(parse.RequiredField, "type %s needs a class name", t)
			}
			if !schema.ValidClassName(tc) {
				return nil, nil, parse.Errorf(parse.InvalidClassName, "Invalid classname: %s", tc)
			}
			f.TargetClass = tc
		}
		if r, ok := sm["required"].(bool); ok {
			f.Required = r
		}
		if dv, ok := sm["defaultValue"]; ok && dv != nil {
			if _, err := storage.EncodeAtom(dv); err != nil { // what the database could not store
				return nil, nil, err
			}
			f.DefaultValue = dv
		}
		add[name] = f
	}
	sort.Strings(del)
	return add, del, nil
}

// parseIndexes reads {"name": {"field": 1, ...} | {"__op":"Delete"}}, keeping the key order of each
// spec from the raw JSON when there is one.
func parseIndexes(v any, raw []byte) (add []schema.Index, del []string, err error) {
	if v == nil {
		return nil, nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, parse.NewError(parse.InvalidJSON, "indexes must be an object")
	}
	ordered := orderedIndexKeys(raw)
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		spec, ok := m[name].(map[string]any)
		if !ok || len(spec) == 0 {
			return nil, nil, parse.Errorf(parse.InvalidQuery, "index %s must be an object of fields", name)
		}
		if spec["__op"] == "Delete" {
			del = append(del, name)
			continue
		}
		keys := ordered[name]
		if len(keys) != len(spec) {
			keys = keys[:0]
			for k := range spec {
				keys = append(keys, k)
			}
			sort.Strings(keys)
		}
		d := bson.D{}
		for _, k := range keys {
			if k == "" || strings.ContainsAny(k, "$.\x00") { // Parse Server: no such field
				return nil, nil, parse.Errorf(parse.InvalidQuery, "Field %s does not exist, cannot add index.", k)
			}
			var val any
			switch x := spec[k].(type) {
			case json.Number:
				n, err := x.Int64()
				if err != nil || (n != 1 && n != -1) {
					return nil, nil, parse.Errorf(parse.InvalidQuery, "index %s: field %s must be 1 or -1", name, k)
				}
				val = int32(n)
			case string:
				if x != "text" && x != "2dsphere" && x != "2d" {
					return nil, nil, parse.Errorf(parse.InvalidQuery, "index %s: unknown index type %s", name, x)
				}
				val = x
			default:
				return nil, nil, parse.Errorf(parse.InvalidQuery, "index %s: field %s must be 1 or -1", name, k)
			}
			d = append(d, bson.E{Key: k, Value: val})
		}
		add = append(add, schema.Index{Name: name, Keys: d})
	}
	return add, del, nil
}

// orderedIndexKeys reads the field order of each index spec in a raw JSON body.
func orderedIndexKeys(raw []byte) map[string][]string {
	out := map[string][]string{}
	if len(raw) == 0 {
		return out
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(raw, &body) != nil {
		return out
	}
	var idx map[string]json.RawMessage
	if json.Unmarshal(body["indexes"], &idx) != nil {
		return out
	}
	for name, spec := range idx {
		dec := json.NewDecoder(bytes.NewReader(spec))
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			continue
		}
		var keys []string
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				break
			}
			k, _ := t.(string)
			keys = append(keys, k)
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				break
			}
		}
		out[name] = keys
	}
	return out
}

// storedIndexKeys maps REST field names in an index to stored columns.
func storedIndexKeys(c *schema.Class, keys bson.D) bson.D {
	out := bson.D{}
	for _, e := range keys {
		k := e.Key
		switch k {
		case "objectId":
			k = "_id"
		case "createdAt":
			k = "_created_at"
		case "updatedAt":
			k = "_updated_at"
		default:
			if f, ok := c.Field(k); ok && f.Type == schema.Pointer {
				k = "_p_" + k
			}
		}
		out = append(out, bson.E{Key: k, Value: e.Value})
	}
	return out
}

func (a *App) createIndexes(ctx context.Context, c *schema.Class, idx []schema.Index) error {
	for _, ix := range idx {
		for _, e := range ix.Keys {
			top, _, _ := strings.Cut(e.Key, ".")
			if _, ok := c.Field(top); !ok {
				return parse.Errorf(parse.InvalidQuery, "Field %s does not exist, cannot add index.", e.Key)
			}
		}
	}
	for _, ix := range idx {
		_, err := a.db.Collection(c.Name).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: storedIndexKeys(c, ix.Keys), Options: options.Index().SetName(ix.Name)})
		if err != nil {
			return parse.Errorf(parse.InvalidQuery, "The database (%s) could not create index %s.", a.dbName(), ix.Name)
		}
	}
	return nil
}

func (a *App) dbName() string {
	if a.objects.Caps.Name != "" {
		return a.objects.Caps.Name
	}
	return "MongoDB"
}

func (a *App) schemaCreate(ctx context.Context, req *Request) (*Response, error) {
	b := a.bodyOrEmpty(req)
	name := req.Params["className"]
	bodyName, _ := b["className"].(string)
	if name == "" {
		name = bodyName
	} else if bodyName != "" && bodyName != name {
		return nil, parse.Errorf(parse.InvalidClassName, "Class name mismatch between %s and %s.", bodyName, name)
	}
	if name == "" {
		return nil, parse.NewError(parse.RequiredField, "POST /schemas needs a class name.")
	}
	if err := schema.CheckClassName(name); err != nil {
		return nil, err
	}
	add, _, err := parseFields(b["fields"], false)
	if err != nil {
		return nil, err
	}
	clp, err := parseCLP(b["classLevelPermissions"])
	if err != nil {
		return nil, err
	}
	idx, _, err := parseIndexes(b["indexes"], req.raw)
	if err != nil {
		return nil, err
	}
	// Check the indexes' fields before anything is written.
	probe := &schema.Class{Name: name, Fields: map[string]schema.Field{}}
	for k, f := range schema.DefaultFields {
		probe.Fields[k] = f
	}
	for k, f := range schema.SystemFields[name] {
		probe.Fields[k] = f
	}
	for k, f := range add {
		probe.Fields[k] = f
	}
	for _, ix := range idx {
		for _, e := range ix.Keys {
			top, _, _ := strings.Cut(e.Key, ".")
			if _, ok := probe.Fields[top]; !ok {
				return nil, parse.Errorf(parse.InvalidQuery, "Field %s does not exist, cannot add index.", e.Key)
			}
		}
	}
	c, err := a.schemas.Create(ctx, name, schema.Definition{Fields: add, CLP: clp, Indexes: idx})
	if err != nil {
		return nil, err
	}
	if err := a.createIndexes(ctx, c, idx); err != nil {
		return nil, err
	}
	return reply(schemaJSON(c))
}

func (a *App) schemaUpdate(ctx context.Context, req *Request) (*Response, error) {
	b := a.bodyOrEmpty(req)
	name := req.Params["className"]
	if bodyName, _ := b["className"].(string); bodyName != "" && bodyName != name {
		return nil, parse.Errorf(parse.InvalidClassName, "Class name mismatch between %s and %s.", bodyName, name)
	}
	if err := schema.CheckClassName(name); err != nil {
		return nil, err
	}
	add, del, err := parseFields(b["fields"], true)
	if err != nil {
		return nil, err
	}
	clp, err := parseCLP(b["classLevelPermissions"])
	if err != nil {
		return nil, err
	}
	addIdx, delIdx, err := parseIndexes(b["indexes"], req.raw)
	if err != nil {
		return nil, err
	}
	cur, err := a.schemas.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if !cur.Exists() {
		return nil, parse.Errorf(parse.InvalidClassName, "Class %s does not exist.", name)
	}
	for _, ix := range addIdx {
		for _, e := range ix.Keys {
			top, _, _ := strings.Cut(e.Key, ".")
			_, inCur := cur.Fields[top]
			_, inAdd := add[top]
			if !inCur && !inAdd {
				return nil, parse.Errorf(parse.InvalidQuery, "Field %s does not exist, cannot add index.", e.Key)
			}
		}
	}
	c, err := a.schemas.Update(ctx, name, add, del, clp, addIdx, delIdx)
	if err != nil {
		return nil, err
	}
	for _, d := range del {
		f := cur.Fields[d]
		if f.Type == schema.Relation {
			_ = a.db.Collection("_Join:" + d + ":" + name).Drop(ctx)
			continue
		}
		col := d
		if f.Type == schema.Pointer {
			col = "_p_" + d
		}
		if _, err := a.db.Collection(name).UpdateMany(ctx, bson.D{}, bson.D{{Key: "$unset", Value: bson.D{{Key: col, Value: ""}}}}); err != nil {
			return nil, a.objects.DBError(ctx, err)
		}
	}
	for _, n := range delIdx {
		_ = a.db.Collection(name).Indexes().DropOne(ctx, n)
	}
	if err := a.createIndexes(ctx, c, addIdx); err != nil {
		return nil, err
	}
	return reply(schemaJSON(c))
}

func (a *App) schemaDelete(ctx context.Context, req *Request) (*Response, error) {
	name := req.Params["className"]
	if err := schema.CheckClassName(name); err != nil {
		return nil, err
	}
	n, err := a.db.Collection(name).CountDocuments(ctx, bson.D{})
	if err != nil {
		return nil, a.objects.DBError(ctx, err)
	}
	if n > 0 {
		return nil, parse.Errorf(parse.InvalidSchemaOperation, "Class %s is not empty, contains %d objects, cannot drop schema.", name, n)
	}
	cur, err := a.schemas.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	for fname, f := range cur.Fields {
		if f.Type == schema.Relation {
			_ = a.db.Collection("_Join:" + fname + ":" + name).Drop(ctx)
		}
	}
	if err := a.db.Collection(name).Drop(ctx); err != nil {
		return nil, a.objects.DBError(ctx, err)
	}
	if err := a.schemas.Delete(ctx, name); err != nil {
		return nil, err
	}
	return reply(map[string]any{})
}
