// Package storage converts between Parse's REST JSON and the MongoDB documents Parse Server stores:
// `_id`, `_created_at`, `_p_key` pointers, `_rperm`/`_wperm`/`_acl`, GeoPoints as [lng, lat], Bytes as
// binary, Files as names, and the update operators.
package storage

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/bsonx"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
)

// ISO is the timestamp layout Parse answers with.
const ISO = "2006-01-02T15:04:05.000Z"

// FormatTime renders t as Parse does.
func FormatTime(t time.Time) string { return t.UTC().Format(ISO) }

// ParseTime reads an ISO 8601 date.
func ParseTime(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Number converts a JSON number to what Parse Server's driver stores: an int32 when it is an integer
// that fits, a double otherwise.
func Number(n json.Number) (any, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := n.Int64(); err == nil {
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				return int32(i), nil
			}
			return float64(i), nil
		}
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, parse.Errorf(parse.InvalidJSON, "invalid number %s", s)
	}
	return f, nil
}

// ToFloat reads any number (JSON or BSON).
func ToFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case int32:
		return float64(t), true
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	}
	return 0, false
}

// TypeOf infers the schema type of a REST value (nil when it carries none: null or Delete).
func TypeOf(v any) (*schema.Field, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return &schema.Field{Type: schema.String}, nil
	case bool:
		return &schema.Field{Type: schema.Boolean}, nil
	case json.Number, float64, int32, int64, int:
		return &schema.Field{Type: schema.Number}, nil
	case []any:
		return &schema.Field{Type: schema.Array}, nil
	case map[string]any:
		if tp, ok := t["__type"].(string); ok {
			switch tp {
			case "Date", "File", "GeoPoint", "Bytes", "Polygon":
				return &schema.Field{Type: tp}, nil
			case "Pointer", "Relation":
				cn, _ := t["className"].(string)
				if cn == "" {
					return nil, parse.Errorf(parse.RequiredField, "type %s needs a class name", tp)
				}
				return &schema.Field{Type: tp, TargetClass: cn}, nil
			default:
				return nil, parse.Errorf(parse.IncorrectType, "This is not a valid %s", tp)
			}
		}
		if op, ok := t["__op"].(string); ok {
			switch op {
			case "Increment":
				return &schema.Field{Type: schema.Number}, nil
			case "Add", "AddUnique", "Remove":
				return &schema.Field{Type: schema.Array}, nil
			case "Delete":
				return nil, nil
			case "AddRelation", "RemoveRelation":
				objs, _ := t["objects"].([]any)
				if len(objs) == 0 {
					return nil, nil
				}
				p, _ := objs[0].(map[string]any)
				cn, _ := p["className"].(string)
				if cn == "" {
					return nil, parse.NewError(parse.InvalidPointer, "relation objects must be pointers")
				}
				return &schema.Field{Type: schema.Relation, TargetClass: cn}, nil
			case "Batch":
				ops, _ := t["ops"].([]any)
				for _, o := range ops {
					f, err := TypeOf(o)
					if err != nil || f != nil {
						return f, err
					}
				}
				return nil, nil
			default:
				return nil, parse.Errorf(parse.InvalidJSON, "The %s operator is not supported.", op)
			}
		}
		return &schema.Field{Type: schema.Object}, nil
	}
	return nil, parse.NewError(parse.InvalidJSON, "unsupported value")
}

// EncodeAtom converts a REST value (not an operator) to BSON. top says whether it is a top-level
// field value (pointers there are stored as `_p_` strings by the caller).
func EncodeAtom(v any) (any, error) {
	switch t := v.(type) {
	case nil, string, bool:
		return t, nil
	case json.Number:
		return Number(t)
	case float64, int32, int64:
		return t, nil
	case int:
		return int64(t), nil
	case []any:
		out := make(bson.A, len(t))
		for i, x := range t {
			e, err := EncodeAtom(x)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case map[string]any:
		if tp, ok := t["__type"].(string); ok {
			return encodeTyped(tp, t)
		}
		if _, ok := t["__op"]; ok {
			return nil, parse.NewError(parse.InvalidJSON, "operators are only allowed on top-level fields")
		}
		// Keys in a fixed (sorted) order: MongoDB compares sub-documents key by key, so a whole-object
		// equality query only finds what was stored if both sides list the keys alike.
		out := bson.D{}
		for _, k := range sortedKeys(t) {
			x := t[k]
			if strings.ContainsAny(k, "$.\x00") || k == "" {
				return nil, parse.NewError(parse.InvalidNestedKey, "Nested keys should not contain the '$' or '.' characters")
			}
			e, err := EncodeAtom(x)
			if err != nil {
				return nil, err
			}
			out = append(out, bson.E{Key: k, Value: e})
		}
		return out, nil
	}
	return nil, parse.NewError(parse.InvalidJSON, "unsupported value")
}

func encodeTyped(tp string, t map[string]any) (any, error) {
	switch tp {
	case "Date":
		s, _ := t["iso"].(string)
		tm, ok := ParseTime(s)
		if !ok {
			return nil, parse.Errorf(parse.InvalidJSON, "invalid date: %q", s)
		}
		return bson.NewDateTimeFromTime(tm), nil
	case "Pointer":
		cn, _ := t["className"].(string)
		id, _ := t["objectId"].(string)
		if cn == "" || id == "" {
			return nil, parse.NewError(parse.InvalidPointer, "pointers need a className and an objectId")
		}
		return bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: cn}, {Key: "objectId", Value: id}}, nil
	case "File":
		name, _ := t["name"].(string)
		if name == "" {
			return nil, parse.NewError(parse.InvalidJSON, "a File needs a name")
		}
		return name, nil
	case "GeoPoint":
		lat, ok1 := ToFloat(t["latitude"])
		lng, ok2 := ToFloat(t["longitude"])
		if !ok1 || !ok2 {
			return nil, parse.NewError(parse.InvalidJSON, "a GeoPoint needs numeric latitude and longitude")
		}
		if lat < -90 || lat > 90 {
			return nil, parse.NewError(parse.InvalidJSON, "GeoPoint latitude out of bounds: should be between -90.0 and 90.0")
		}
		if lng < -180 || lng > 180 {
			return nil, parse.NewError(parse.InvalidJSON, "GeoPoint longitude out of bounds: should be between -180.0 and 180.0")
		}
		return bson.A{lng, lat}, nil
	case "Bytes":
		s, _ := t["base64"].(string)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, parse.NewError(parse.InvalidJSON, "Bytes need valid base64")
		}
		return bson.Binary{Subtype: 0, Data: b}, nil
	case "Polygon":
		return encodePolygon(t["coordinates"])
	case "Relation":
		return nil, parse.NewError(parse.IncorrectType, "a Relation can only be changed with AddRelation or RemoveRelation")
	case "Object":
		return nil, parse.NewError(parse.InvalidJSON, "cannot store an included object; save a Pointer instead")
	}
	return nil, parse.Errorf(parse.IncorrectType, "This is not a valid %s", tp)
}

// encodePolygon turns Parse's [[lat,lng],...] into GeoJSON with [lng,lat] points and a closed ring,
// as Parse Server's PolygonCoder does: a ring with fewer than 3 different points is refused with an
// internal error (code 1), which is what Parse Server answers.
func encodePolygon(v any) (any, error) {
	pts, ok := v.([]any)
	if !ok {
		return nil, parse.NewError(parse.InvalidJSON, "Polygon coordinates must be an array of [latitude, longitude] pairs")
	}
	ring := bson.A{}
	for _, p := range pts {
		pair, ok := p.([]any)
		if !ok || len(pair) != 2 {
			return nil, parse.NewError(parse.InvalidJSON, "Polygon coordinates must be [latitude, longitude] pairs")
		}
		lat, ok1 := ToFloat(pair[0])
		lng, ok2 := ToFloat(pair[1])
		if !ok1 || !ok2 || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
			return nil, parse.NewError(parse.InvalidJSON, "Polygon coordinates out of bounds")
		}
		ring = append(ring, bson.A{lng, lat})
	}
	if len(ring) > 0 {
		first, last := ring[0].(bson.A), ring[len(ring)-1].(bson.A)
		if first[0] != last[0] || first[1] != last[1] {
			ring = append(ring, bson.A{first[0], first[1]})
		}
	}
	distinct := map[[2]float64]bool{}
	for _, p := range ring {
		a := p.(bson.A)
		distinct[[2]float64{a[0].(float64), a[1].(float64)}] = true
	}
	if len(distinct) < 3 {
		return nil, parse.NewError(parse.InternalServerError, "GeoJSON: Loop must have at least 3 different vertices")
	}
	return bson.D{{Key: "type", Value: "Polygon"}, {Key: "coordinates", Value: bson.A{ring}}}, nil
}

// FlatPolygonKey holds the ring of a Polygon stored without nested arrays (see FlattenPolygon).
const FlatPolygonKey = "points"

// FlattenPolygon converts a GeoJSON Polygon to the form stored on databases that cannot store nested
// arrays (the embedded FerretDB): {type: "Polygon", points: [{lng, lat}, ...]}, the outer ring as
// documents. Decode reads both forms back as the same Parse Polygon. Other values are returned as they
// are.
func FlattenPolygon(v any) any {
	d, ok := v.(bson.D)
	if !ok {
		return v
	}
	m, _ := bsonx.Map(d)
	if m["type"] != "Polygon" {
		return v
	}
	rings := bsonx.Slice(m["coordinates"])
	if len(rings) == 0 {
		return v
	}
	pts := bson.A{}
	for _, p := range bsonx.Slice(rings[0]) {
		pair := bsonx.Slice(p)
		if len(pair) != 2 {
			return v
		}
		pts = append(pts, bson.D{{Key: "lng", Value: pair[0]}, {Key: "lat", Value: pair[1]}})
	}
	return bson.D{{Key: "type", Value: "Polygon"}, {Key: FlatPolygonKey, Value: pts}}
}

// EncodeACL turns a REST ACL into _rperm, _wperm and the legacy _acl.
func EncodeACL(v any) (rperm, wperm bson.A, acl bson.D, err error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, nil, parse.NewError(parse.InvalidACL, "Invalid ACL.")
	}
	rperm, wperm, acl = bson.A{}, bson.A{}, bson.D{}
	keys := sortedKeys(m)
	for _, who := range keys {
		perm, ok := m[who].(map[string]any)
		if !ok || who == "" {
			return nil, nil, nil, parse.NewError(parse.InvalidACL, "Invalid ACL.")
		}
		if strings.ContainsAny(who, "$.\x00") {
			// The legacy _acl document uses the entries as keys, which may not hold these characters.
			return nil, nil, nil, parse.NewError(parse.InvalidNestedKey, "ACL entries should not contain the '$' or '.' characters")
		}
		e := bson.D{}
		for _, k := range sortedKeys(perm) {
			b, ok := perm[k].(bool)
			if !ok || (k != "read" && k != "write") {
				return nil, nil, nil, parse.NewError(parse.InvalidACL, "Invalid ACL.")
			}
			if !b {
				continue
			}
			if k == "read" {
				rperm = append(rperm, who)
				e = append(e, bson.E{Key: "r", Value: true})
			} else {
				wperm = append(wperm, who)
				e = append(e, bson.E{Key: "w", Value: true})
			}
		}
		if len(e) > 0 {
			acl = append(acl, bson.E{Key: who, Value: e})
		}
	}
	return rperm, wperm, acl, nil
}

// MarshalJSON encodes an answer as the API sends it: encoding/json without HTML escaping and
// without the encoder's trailing newline, except that a NaN or infinite float64 in maps and []any is
// written as null, as JSON.stringify (Parse Server) writes it, where encoding/json fails. Answers made
// only of plain values (appendPlain) are written directly, byte for byte as the encoder would, without
// its reflection.
func MarshalJSON(v any) ([]byte, error) {
	if b, ok := appendPlain(make([]byte, 0, 256), v, 0); ok {
		return b, nil
	}
	b, err := encodeJSON(v)
	var unsupported *json.UnsupportedValueError
	if errors.As(err, &unsupported) {
		b, err = encodeJSON(finite(v, 0))
	}
	return b, err
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// finite is v with every NaN or infinite float64 inside its maps with string keys and its slices
// (of any type without a JSON method of its own) replaced by nil.
func finite(v any, depth int) any {
	if depth > maxJSONDepth || v == nil {
		return v
	}
	if f, ok := v.(float64); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return v
	}
	if _, ok := v.(json.Marshaler); ok {
		return v
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String && !rv.IsNil():
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[it.Key().String()] = finite(it.Value().Interface(), depth+1)
		}
		return out
	case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() != reflect.Uint8 && !rv.IsNil():
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = finite(rv.Index(i).Interface(), depth+1)
		}
		return out
	}
	return v
}

// maxJSONDepth bounds finite's recursion as encoding/json bounds its own.
const maxJSONDepth = 10000

// maxPlainDepth bounds appendPlain's recursion; deeper answers go to encoding/json.
const maxPlainDepth = 32

// appendPlain appends v as MarshalJSON's encoder writes it when v is made only of maps with string
// keys, []any, strings the encoder writes unescaped (plainJSONString), bools, nils, ints, int64s and
// float64s it writes without an exponent: the answers of writes, batches and most functions. ok is
// false for anything else, and b is then garbage.
func appendPlain(b []byte, v any, depth int) ([]byte, bool) {
	if depth > maxPlainDepth {
		return b, false
	}
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, t), true
	case string:
		if !plainJSONString(t) {
			return b, false
		}
		b = append(b, '"')
		b = append(b, t...)
		return append(b, '"'), true
	case int:
		return strconv.AppendInt(b, int64(t), 10), true
	case int64:
		return strconv.AppendInt(b, t, 10), true
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) { // JSON.stringify's null
			return append(b, "null"...), true
		}
		if a := math.Abs(t); a != 0 && (a < 1e-6 || a >= 1e21) { // the encoder's exponent form
			return b, false
		}
		return strconv.AppendFloat(b, t, 'f', -1, 64), true
	case []any:
		if t == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendPlain(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		if t == nil {
			return append(b, "null"...), true
		}
		var buf [16]string
		keys := buf[:0]
		for k := range t {
			if !plainJSONString(k) {
				return b, false
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, k...)
			b = append(b, '"', ':')
			var ok bool
			if b, ok = appendPlain(b, t[k], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// plainJSONString tells whether encoding/json, without HTML escaping, writes s between quotes as it
// is: valid UTF-8 with no control character, quote, backslash, U+2028 or U+2029.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}
