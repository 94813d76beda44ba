package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeJSON decodes a JSON body keeping numbers exact: the value encoding/json's Decoder with
// UseNumber gives (map[string]any, []any, json.Number, string, bool, nil), and an error for anything
// it refuses. A body of well-formed JSON in valid UTF-8 whose strings escape no UTF-16 surrogate is
// parsed by jsonScanner, which allocates less; anything else, errors included, goes to encoding/json,
// so both paths give the same answer.
func decodeJSON(b []byte) (any, error) {
	s := jsonScanner{b: b}
	if v, ok := s.document(); ok {
		return v, nil
	}
	return decodeJSONStd(b)
}

func decodeJSONStd(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// maxJSONDepth is encoding/json's nesting limit; deeper documents take its path (and its error).
const maxJSONDepth = 10000

// jsonScanner parses the common subset of JSON; ok=false hands the whole body to encoding/json.
type jsonScanner struct {
	b     []byte
	i     int
	depth int
	// members holds the members of the objects being read, so that each map is made at its size.
	members []jsonMember
}

type jsonMember struct {
	key string
	val any
}

func (s *jsonScanner) document() (any, bool) {
	v, ok := s.value()
	if !ok {
		return nil, false
	}
	s.space()
	return v, s.i == len(s.b) // trailing bytes: encoding/json decides
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) value() (any, bool) {
	s.space()
	if s.i >= len(s.b) {
		return nil, false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		if str, ok := s.str(); ok {
			return str, true
		}
		return nil, false
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	}
	return nil, false
}

func (s *jsonScanner) literal(word string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

func (s *jsonScanner) object() (any, bool) {
	if s.depth++; s.depth > maxJSONDepth {
		return nil, false
	}
	s.i++ // {
	if s.closes('}') {
		return map[string]any{}, true
	}
	first := len(s.members)
	for {
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return nil, false
		}
		k, ok := s.key()
		if !ok {
			return nil, false
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return nil, false
		}
		s.i++
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		s.members = append(s.members, jsonMember{k, v})
		if done, ok := s.sep('}'); !ok {
			return nil, false
		} else if done {
			mem := s.members[first:]
			m := make(map[string]any, len(mem))
			for _, e := range mem {
				m[e.key] = e.val // a repeated key keeps the last value, as encoding/json does
			}
			clear(mem)
			s.members = s.members[:first]
			return m, true
		}
	}
}

func (s *jsonScanner) array() (any, bool) {
	if s.depth++; s.depth > maxJSONDepth {
		return nil, false
	}
	s.i++ // [
	a := []any{}
	if s.closes(']') {
		return a, true
	}
	for {
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if done, ok := s.sep(']'); !ok {
			return nil, false
		} else if done {
			return a, true
		}
	}
}

// closes reads the close of an empty object or array, if that comes next.
func (s *jsonScanner) closes(close byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == close {
		s.i++
		s.depth--
		return true
	}
	return false
}

// sep reads what follows a member or an element: ',' (more follow) or close (done).
func (s *jsonScanner) sep(close byte) (done, ok bool) {
	s.space()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return false, true
	case close:
		s.i++
		s.depth--
		return true, true
	}
	return false, false
}

// commonKeys are object keys of the Parse protocol, read without allocating a string.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"requests", "method", "path", "body", "__type", "__op", "iso", "className", "objectId",
		"amount", "objects", "ops", "ACL", "read", "write", "latitude", "longitude", "name", "url", "base64",
		"where", "limit", "order", "keys", "include", "count", "skip", "username", "password", "email",
		"createdAt", "updatedAt", "authData", "id", "sessionToken", "_method", "_ApplicationId", "_JavaScriptKey",
		"_ClientVersion", "_InstallationId", "_SessionToken", "_MasterKey", "_context", "_ContentType"} {
		m[k] = k
	}
	return m
}()

// key reads an object key, sharing the common ones.
func (s *jsonScanner) key() (string, bool) {
	start := s.i + 1
	if j := bytes.IndexByte(s.b[start:], '"'); j >= 0 {
		if k, ok := commonKeys[string(s.b[start:start+j])]; ok { // no allocation for the lookup
			s.i = start + j + 1
			return k, true
		}
	}
	return s.str()
}

// str reads a string in valid UTF-8 without control characters; escapes other than UTF-16
// surrogates (\ud800–\udfff, which encoding/json pairs or replaces) are decoded here.
func (s *jsonScanner) str() (string, bool) {
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			raw := s.b[start:j]
			if !ascii && !utf8.Valid(raw) {
				return "", false // encoding/json replaces invalid bytes with U+FFFD
			}
			s.i = j + 1
			return string(raw), true
		case c == '\\':
			return s.escapedStr(start, j)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// escapedStr finishes a string that has an escape at j (the string's content starts at start).
func (s *jsonScanner) escapedStr(start, j int) (string, bool) {
	b := s.b
	out := make([]byte, 0, j-start+16)
	out = append(out, b[start:j]...)
	for j < len(b) {
		switch c := b[j]; {
		case c == '"':
			if !utf8.Valid(out) {
				return "", false
			}
			s.i = j + 1
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(b) {
			return "", false
		}
		switch b[j+1] {
		case '"', '\\', '/':
			out = append(out, b[j+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if j+6 > len(b) {
				return "", false
			}
			r, err := strconv.ParseUint(string(b[j+2:j+6]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				return "", false
			}
			out = utf8.AppendRune(out, rune(r))
			j += 6
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as a json.Number.
func (s *jsonScanner) number() (any, bool) {
	b, j := s.b, s.i
	if b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digits(b, j)
	default:
		return nil, false
	}
	if j < len(b) && b[j] == '.' {
		k := digits(b, j+1)
		if k == j+1 {
			return nil, false
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digits(b, j)
		if k == j {
			return nil, false
		}
		j = k
	}
	n := json.Number(b[s.i:j])
	s.i = j
	return n, true
}

func digits(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}
