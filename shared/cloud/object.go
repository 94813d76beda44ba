package cloud

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"time"
)

// Object is a Parse object as Cloud Code sees it: the known fields (REST JSON values: strings, numbers,
// booleans, maps such as {"__type":"Pointer",...}, arrays) and the changes not saved yet. Set, Unset,
// Increment, Add, AddUnique and Remove record changes; a beforeSave trigger's changes are written with
// the object, and Client.Save writes them.
type Object struct {
	ClassName string
	data      map[string]any
	ops       map[string]any
}

// NewObject is a new, unsaved object of className.
func NewObject(className string) *Object {
	return &Object{ClassName: className, data: map[string]any{}, ops: map[string]any{}}
}

// ObjectFrom wraps REST JSON fields (with objectId, createdAt...) as an object without changes.
func ObjectFrom(className string, fields map[string]any) *Object {
	o := NewObject(className)
	for k, v := range fields {
		switch k {
		case "className", "__type":
			continue
		}
		o.data[k] = v
	}
	return o
}

// Pointer is the REST form of a pointer to className/objectID.
func Pointer(className, objectID string) map[string]any {
	return map[string]any{"__type": "Pointer", "className": className, "objectId": objectID}
}

// Date is the REST form of a date.
func Date(t time.Time) map[string]any {
	return map[string]any{"__type": "Date", "iso": t.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// ID is the objectId ("" before the first save).
func (o *Object) ID() string { s, _ := o.data["objectId"].(string); return s }

// IsNew tells whether the object has not been saved yet.
func (o *Object) IsNew() bool { return o.ID() == "" }

// CreatedAt is the creation time (zero when unknown).
func (o *Object) CreatedAt() time.Time { return o.Date("createdAt") }

// UpdatedAt is the last update time (zero when unknown).
func (o *Object) UpdatedAt() time.Time { return o.Date("updatedAt") }

// Pointer is the REST pointer to the object.
func (o *Object) Pointer() map[string]any { return Pointer(o.ClassName, o.ID()) }

// Has tells whether the object has a value for key.
func (o *Object) Has(key string) bool { v, ok := o.data[key]; return ok && v != nil }

// Get returns the value of key (nil when unset).
func (o *Object) Get(key string) any { return o.data[key] }

// String returns a string field ("" when absent or not a string).
func (o *Object) String(key string) string { s, _ := o.data[key].(string); return s }

// Number returns a numeric field as float64 (0 when absent or not a number).
func (o *Object) Number(key string) float64 { f, _ := ToFloat(o.data[key]); return f }

// Int returns a numeric field as int64.
func (o *Object) Int(key string) int64 { return int64(o.Number(key)) }

// Bool returns a boolean field.
func (o *Object) Bool(key string) bool { b, _ := o.data[key].(bool); return b }

// Map returns an object field (nil when absent).
func (o *Object) Map(key string) map[string]any { m, _ := o.data[key].(map[string]any); return m }

// Array returns an array field (nil when absent).
func (o *Object) Array(key string) []any { a, _ := o.data[key].([]any); return a }

// Date returns a date field: {"__type":"Date","iso":...} or an ISO string (createdAt, updatedAt).
func (o *Object) Date(key string) time.Time {
	var s string
	switch v := o.data[key].(type) {
	case string:
		s = v
	case map[string]any:
		s, _ = v["iso"].(string)
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Set changes key to v (a REST JSON value, or a Go value that marshals to one).
func (o *Object) Set(key string, v any) {
	o.data[key] = v
	o.ops[key] = v
}

// Unset removes key.
func (o *Object) Unset(key string) {
	delete(o.data, key)
	o.ops[key] = map[string]any{"__op": "Delete"}
}

// Increment adds by to a numeric field atomically when saved.
func (o *Object) Increment(key string, by float64) {
	cur, _ := ToFloat(o.data[key])
	o.data[key] = cur + by
	if prev, ok := o.ops[key].(map[string]any); ok && prev["__op"] == "Increment" {
		p, _ := ToFloat(prev["amount"])
		by += p
	} else if _, pending := o.ops[key]; pending {
		o.ops[key] = o.data[key] // a value was set before: the sum is a plain value
		return
	}
	o.ops[key] = map[string]any{"__op": "Increment", "amount": by}
}

// Add appends items to an array field when saved.
func (o *Object) Add(key string, items ...any) { o.arrayOp("Add", key, items) }

// AddUnique appends the items not in an array field yet.
func (o *Object) AddUnique(key string, items ...any) { o.arrayOp("AddUnique", key, items) }

// Remove removes every occurrence of items from an array field.
func (o *Object) Remove(key string, items ...any) { o.arrayOp("Remove", key, items) }

func (o *Object) arrayOp(op, key string, items []any) {
	cur := slices.Clone(o.Array(key))
	switch op {
	case "Add":
		cur = append(cur, items...)
	case "AddUnique":
		for _, it := range items {
			if !slices.ContainsFunc(cur, func(x any) bool { return reflect.DeepEqual(x, it) }) {
				cur = append(cur, it)
			}
		}
	case "Remove":
		cur = slices.DeleteFunc(cur, func(x any) bool {
			return slices.ContainsFunc(items, func(it any) bool { return reflect.DeepEqual(x, it) })
		})
	}
	o.data[key] = cur
	if _, pending := o.ops[key]; pending {
		o.ops[key] = cur
		return
	}
	o.ops[key] = map[string]any{"__op": op, "objects": items}
}

// SetACL sets the object's ACL: {"*":{"read":true}, "<userId>":{"read":true,"write":true}, "role:Admin":...}.
func (o *Object) SetACL(acl map[string]any) { o.Set("ACL", acl) }

// Dirty tells whether key has a change not saved yet.
func (o *Object) Dirty(key string) bool { _, ok := o.ops[key]; return ok }

// DirtyKeys lists the changed keys, sorted.
func (o *Object) DirtyKeys() []string { return slices.Sorted(maps.Keys(o.ops)) }

// Changes returns the unsaved changes as a REST body (values and {"__op":...} operators).
func (o *Object) Changes() map[string]any { return maps.Clone(o.ops) }

// Revert drops the unsaved change of key (the value stays as it was set).
func (o *Object) Revert(key string) { delete(o.ops, key) }

// ToJSON returns the fields as REST JSON (without __type and className).
func (o *Object) ToJSON() map[string]any { return maps.Clone(o.data) }

// MarshalJSON encodes the object as Parse encodes an object in a function result:
// {"__type":"Object","className":...,fields}.
func (o *Object) MarshalJSON() ([]byte, error) {
	m := maps.Clone(o.data)
	m["__type"] = "Object"
	m["className"] = o.ClassName
	return json.Marshal(m)
}

// Apply records a REST body (values and {"__op":...} operators) as changes. The engine uses it to
// build the object a beforeSave sees.
func (o *Object) Apply(body map[string]any) {
	for k, v := range body {
		m, isOp := v.(map[string]any)
		op, _ := m["__op"].(string)
		if !isOp || op == "" {
			o.Set(k, v)
			continue
		}
		items, _ := m["objects"].([]any)
		switch op {
		case "Delete":
			o.Unset(k)
		case "Increment":
			n, _ := ToFloat(m["amount"])
			cur, _ := ToFloat(o.data[k])
			o.data[k] = cur + n
			o.ops[k] = v
		case "Add", "AddUnique", "Remove":
			o.arrayOp(op, k, items)
			o.ops[k] = v
		default: // relations and batches: the stored value does not change
			o.ops[k] = v
		}
	}
}

// Saved records what a save answered: the fields become the stored state and the changes are cleared.
// The engine calls it; Cloud Code does not need to.
func (o *Object) Saved(answer map[string]any) {
	for k, v := range answer {
		o.data[k] = v
	}
	o.ops = map[string]any{}
}

// ToFloat reads a JSON or Go number.
func ToFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case float32:
		return float64(t), true
	case int:
		return float64(t), true
	case int32:
		return float64(t), true
	case int64:
		return float64(t), true
	}
	return 0, false
}
