package storage

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/parselambda/parselambda/shared/schema"
)

// AppendJSON appends to dst the REST JSON of the stored document raw: the same object as
// Decode followed by encoding/json, written straight from the BSON bytes (no maps, no
// reflection). It is the read path of gets and finds.
//
// ok is false, and dst is returned unchanged, for what only Decode handles the same way: the
// _User class (authData), Polygons, BSON types without a REST form (regex, timestamp, …), NaN or
// infinite numbers, and documents whose keys would collide once renamed. The caller then decodes
// the document with Decode.
func AppendJSON(dst []byte, class *schema.Class, raw bson.Raw, fileURL FileURL) ([]byte, bool) {
	if class == nil || class.Name == "_User" || len(raw) < 5 {
		return dst, false
	}
	e := encoders.Get().(*rawEncoder)
	*e = rawEncoder{b: dst, class: class, fileURL: fileURL, keys: e.keys[:0], acl: e.acl[:0]}
	ok := e.object(raw)
	out := e.b
	clear(e.keys)
	clear(e.acl)
	*e = rawEncoder{keys: e.keys[:0], acl: e.acl[:0]}
	encoders.Put(e)
	if !ok {
		return dst, false
	}
	return out, true
}

// encoders keeps rawEncoders (their key and ACL lists) across calls.
var encoders = sync.Pool{New: func() any { return &rawEncoder{keys: make([]string, 0, 32), acl: make([]aclEntry, 0, 8)} }}

// rawEncoder writes one stored object as REST JSON.
type rawEncoder struct {
	b       []byte
	class   *schema.Class
	fileURL FileURL
	keys    []string // output keys written so far (duplicates fall back to Decode)
	acl     []aclEntry
	hasACL  bool
}

type aclEntry struct {
	id          []byte
	read, write bool
}

func (e *rawEncoder) object(raw []byte) bool {
	e.b = append(e.b, '{')
	it, ok := elements(raw)
	if !ok {
		return false
	}
	for {
		el, more := it.next()
		if !more {
			break
		}
		if !e.topField(el.KeyBytes(), el.Value()) {
			return false
		}
	}
	if !it.done() {
		return false
	}
	if e.hasACL {
		if !e.key("ACL") {
			return false
		}
		e.b = append(e.b, '{')
		for i, a := range e.acl {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = appendJSONString(e.b, bytesString(a.id))
			switch {
			case a.read && a.write:
				e.b = append(e.b, `:{"read":true,"write":true}`...)
			case a.read:
				e.b = append(e.b, `:{"read":true}`...)
			default:
				e.b = append(e.b, `:{"write":true}`...)
			}
		}
		e.b = append(e.b, '}')
	}
	for name, f := range e.class.Fields {
		if f.Type == schema.Relation {
			if !e.key(name) {
				return false
			}
			e.b = append(e.b, `{"__type":"Relation","className":`...)
			e.b = appendJSONString(e.b, f.TargetClass)
			e.b = append(e.b, '}')
		}
	}
	e.b = append(e.b, '}')
	return true
}

// key writes the separator and "k": once per output key.
func (e *rawEncoder) key(k string) bool {
	for _, seen := range e.keys {
		if seen == k {
			return false
		}
	}
	if len(e.keys) > 0 {
		e.b = append(e.b, ',')
	}
	e.keys = append(e.keys, k)
	e.b = appendJSONString(e.b, k)
	e.b = append(e.b, ':')
	return true
}

// topField writes one top-level stored field as Decode renames it.
func (e *rawEncoder) topField(k []byte, v bsoncore.Value) bool {
	switch string(k) {
	case "_id":
		if !e.key("objectId") {
			return false
		}
		return e.value(v) // a string, an ObjectID's hex, or whatever else is stored
	case "_created_at", "createdAt", "_updated_at", "updatedAt":
		out := "createdAt"
		if k[1] == 'u' || k[0] == 'u' {
			out = "updatedAt"
		}
		switch v.Type {
		case bsoncore.TypeDateTime:
			if !e.key(out) {
				return false
			}
			e.b = appendTime(e.b, v.DateTime())
		case bsoncore.TypeString:
			if !e.key(out) {
				return false
			}
			return e.value(v)
		}
		return true // any other type is dropped, as Decode drops it
	case "_rperm", "_wperm":
		e.hasACL = true
		e.perms(v, k[1] == 'r')
		return true
	case "_session_token":
		if e.class.Name == "_Session" {
			if !e.key("sessionToken") {
				return false
			}
			return e.value(v)
		}
		return true
	}
	if bytes.HasPrefix(k, []byte("_p_")) {
		s, ok := rawString(v)
		if !ok {
			return true
		}
		cn, id, found := strings.Cut(bytesString(s), "$")
		name := k[3:]
		if !found {
			return true
		}
		if f, ok := e.class.Fields[string(name)]; ok && f.Type != schema.Pointer {
			return true
		}
		if !e.key(bytesString(name)) {
			return false
		}
		e.b = append(e.b, `{"__type":"Pointer","className":`...)
		e.b = appendJSONString(e.b, cn)
		e.b = append(e.b, `,"objectId":`...)
		e.b = appendJSONString(e.b, id)
		e.b = append(e.b, '}')
		return true
	}
	if len(k) > 0 && k[0] == '_' {
		return true
	}
	f, _ := e.class.Fields[string(k)]
	if f.Type == schema.Relation {
		return false // Decode lets the schema's Relation win over the stored value
	}
	if !e.key(bytesString(k)) {
		return false
	}
	return e.field(f, v)
}

// perms records a stored _rperm/_wperm list (string entries only, as strList keeps them).
func (e *rawEncoder) perms(v bsoncore.Value, read bool) {
	arr, ok := v.ArrayOK()
	if !ok {
		return
	}
	it, ok := elements(arr)
	for ok {
		var el bsoncore.Element
		if el, ok = it.next(); !ok {
			return
		}
		id, isStr := rawString(el.Value())
		if !isStr {
			continue
		}
		found := false
		for i := range e.acl {
			if bytes.Equal(e.acl[i].id, id) {
				if read {
					e.acl[i].read = true
				} else {
					e.acl[i].write = true
				}
				found = true
				break
			}
		}
		if !found {
			e.acl = append(e.acl, aclEntry{id: id, read: read, write: !read})
		}
	}
}

// field writes a top-level value of schema field f (decodeField).
func (e *rawEncoder) field(f schema.Field, v bsoncore.Value) bool {
	switch f.Type {
	case schema.File:
		if b, ok := rawString(v); ok {
			s := bytesString(b)
			e.b = append(e.b, `{"__type":"File","name":`...)
			e.b = appendJSONString(e.b, s)
			if e.fileURL != nil {
				e.b = append(e.b, `,"url":`...)
				e.b = appendJSONString(e.b, e.fileURL(s))
			}
			e.b = append(e.b, '}')
			return true
		}
	case schema.GeoPoint:
		if arr, ok := v.ArrayOK(); ok {
			if vals, n := twoValues(arr); n == 2 {
				lng, ok1 := rawFloat(vals[0])
				lat, ok2 := rawFloat(vals[1])
				if ok1 && ok2 {
					var ok bool
					e.b = append(e.b, `{"__type":"GeoPoint","latitude":`...)
					if e.b, ok = appendFloat(e.b, lat); !ok {
						return false
					}
					e.b = append(e.b, `,"longitude":`...)
					if e.b, ok = appendFloat(e.b, lng); !ok {
						return false
					}
					e.b = append(e.b, '}')
					return true
				}
			}
		}
	case schema.Polygon:
		return false
	case schema.Bytes:
		if s, ok := rawString(v); ok {
			e.b = append(e.b, `{"__type":"Bytes","base64":`...)
			e.b = appendJSONString(e.b, bytesString(s))
			e.b = append(e.b, '}')
			return true
		}
	}
	return e.value(v)
}

// value writes a nested value (decodeValue).
func (e *rawEncoder) value(v bsoncore.Value) bool {
	var ok bool
	switch v.Type {
	case bsoncore.TypeString:
		s, ok := rawString(v)
		if !ok {
			return false
		}
		e.b = appendJSONString(e.b, bytesString(s))
	case bsoncore.TypeInt32:
		e.b = strconv.AppendInt(e.b, int64(v.Int32()), 10)
	case bsoncore.TypeInt64:
		e.b = strconv.AppendInt(e.b, v.Int64(), 10)
	case bsoncore.TypeDouble:
		if e.b, ok = appendFloat(e.b, v.Double()); !ok {
			return false
		}
	case bsoncore.TypeBoolean:
		e.b = strconv.AppendBool(e.b, v.Boolean())
	case bsoncore.TypeNull:
		e.b = append(e.b, "null"...)
	case bsoncore.TypeDateTime:
		e.b = append(e.b, `{"__type":"Date","iso":`...)
		e.b = appendTime(e.b, v.DateTime())
		e.b = append(e.b, '}')
	case bsoncore.TypeBinary:
		_, data := v.Binary()
		e.b = append(e.b, `{"__type":"Bytes","base64":"`...)
		e.b = base64.StdEncoding.AppendEncode(e.b, data)
		e.b = append(e.b, `"}`...)
	case bsoncore.TypeObjectID:
		id := v.ObjectID()
		e.b = append(e.b, '"')
		e.b = hex.AppendEncode(e.b, id[:])
		e.b = append(e.b, '"')
	case bsoncore.TypeDecimal128:
		h, l := v.Decimal128()
		e.b = appendJSONString(e.b, bson.NewDecimal128(h, l).String())
	case bsoncore.TypeArray:
		it, ok := elements(v.Array())
		if !ok {
			return false
		}
		e.b = append(e.b, '[')
		for i := 0; ; i++ {
			el, more := it.next()
			if !more {
				break
			}
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if !e.value(el.Value()) {
				return false
			}
		}
		if !it.done() {
			return false
		}
		e.b = append(e.b, ']')
	case bsoncore.TypeEmbeddedDocument:
		return e.nested(v.Document())
	default:
		return false
	}
	return true
}

// nested writes an embedded document; a legacy {__type: Date, iso: <date>} becomes a REST Date.
func (e *rawEncoder) nested(doc bsoncore.Document) bool {
	if t, err := doc.LookupErr("__type"); err == nil && t.Type == bsoncore.TypeString && t.StringValue() == "Date" {
		if iso, err := doc.LookupErr("iso"); err == nil && iso.Type == bsoncore.TypeDateTime {
			e.b = append(e.b, `{"__type":"Date","iso":`...)
			e.b = appendTime(e.b, iso.DateTime())
			e.b = append(e.b, '}')
			return true
		}
	}
	it, ok := elements(doc)
	if !ok {
		return false
	}
	e.b = append(e.b, '{')
	start := len(e.b)
	var seenBuf [16][]byte
	seen := seenBuf[:0]
	for {
		el, more := it.next()
		if !more {
			break
		}
		k := el.KeyBytes()
		for _, s := range seen {
			if bytes.Equal(s, k) {
				return false // a map keeps one of them
			}
		}
		seen = append(seen, k)
		if len(e.b) > start {
			e.b = append(e.b, ',')
		}
		e.b = appendJSONString(e.b, bytesString(k))
		e.b = append(e.b, ':')
		if !e.value(el.Value()) {
			return false
		}
	}
	if !it.done() {
		return false
	}
	e.b = append(e.b, '}')
	return true
}

// elemIter walks the elements of a BSON document or array without allocating.
type elemIter struct {
	rest []byte
	bad  bool
}

// elements starts an iteration over doc; ok is false when doc is not a well-formed document.
func elements(doc []byte) (elemIter, bool) {
	n, rest, ok := bsoncore.ReadLength(doc)
	if !ok || int(n) != len(doc) || n < 5 || doc[n-1] != 0 {
		return elemIter{}, false
	}
	return elemIter{rest: rest}, true
}

func (it *elemIter) next() (bsoncore.Element, bool) {
	if len(it.rest) <= 1 {
		return nil, false
	}
	el, rest, ok := bsoncore.ReadElement(it.rest)
	if !ok {
		it.bad, it.rest = true, nil
		return nil, false
	}
	if err := el.Validate(); err != nil {
		it.bad, it.rest = true, nil
		return nil, false
	}
	it.rest = rest
	return el, true
}

// done tells whether the iteration ended at the document's end, not at malformed bytes.
func (it *elemIter) done() bool { return !it.bad }

// twoValues returns the first two values of an array and how many it has (counting to 3).
func twoValues(arr []byte) ([2]bsoncore.Value, int) {
	var out [2]bsoncore.Value
	it, ok := elements(arr)
	if !ok {
		return out, 0
	}
	n := 0
	for n < 3 {
		el, more := it.next()
		if !more {
			break
		}
		if n < 2 {
			out[n] = el.Value()
		}
		n++
	}
	if !it.done() {
		return out, 0
	}
	return out, n
}

// rawString returns the bytes of a BSON string value without copying them.
func rawString(v bsoncore.Value) ([]byte, bool) {
	if v.Type != bsoncore.TypeString || len(v.Data) < 5 {
		return nil, false
	}
	n := int(int32(binary.LittleEndian.Uint32(v.Data)))
	if n < 1 || 4+n > len(v.Data) || v.Data[3+n] != 0 {
		return nil, false
	}
	return v.Data[4 : 3+n], true
}

// bytesString views b as a string without copying: only for values used while b is alive.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func rawFloat(v bsoncore.Value) (float64, bool) {
	switch v.Type {
	case bsoncore.TypeDouble:
		return v.Double(), true
	case bsoncore.TypeInt32:
		return float64(v.Int32()), true
	case bsoncore.TypeInt64:
		return float64(v.Int64()), true
	}
	return 0, false
}

// appendFloat writes f as encoding/json does; NaN and infinities have no JSON form.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 → e-9, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendTime writes a stored date as Parse's ISO string.
func appendTime(b []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, ISO)
		return append(b, '"')
	}
	h, mi, s := t.Clock()
	milli := t.Nanosecond() / 1e6
	return append(b, '"', byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10), 'Z', '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string the way encoding/json does without HTML escaping:
// control characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// RawPerms is Perms on a stored document's BSON.
func RawPerms(raw bson.Raw, key string) ([]string, bool) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull {
		return nil, false
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, true
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, true
	}
	out := make([]string, 0, len(vals))
	for _, x := range vals {
		if s, ok := x.StringValueOK(); ok {
			out = append(out, s)
		}
	}
	return out, true
}
