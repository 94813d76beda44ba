package query

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Match evaluates a MongoDB filter (as this package builds them) against a stored document, with
// MongoDB's semantics: a condition on an array field matches when the array or any element does, a
// missing field equals null. The engine uses it for what a database cannot evaluate itself.
func Match(filter bson.D, doc bson.M) bool {
	for _, e := range filter {
		switch e.Key {
		case "$and":
			for _, s := range asA(e.Value) {
				if !Match(asD(s), doc) {
					return false
				}
			}
		case "$or":
			any := false
			for _, s := range asA(e.Value) {
				if Match(asD(s), doc) {
					any = true
					break
				}
			}
			if !any {
				return false
			}
		case "$nor":
			for _, s := range asA(e.Value) {
				if Match(asD(s), doc) {
					return false
				}
			}
		case "$text":
			q, ok := e.Value.(*TextQuery)
			if !ok || !q.Matches(doc) {
				return false
			}
		default:
			vals, present := pathValues(doc, e.Key)
			if !matchCond(e.Value, vals, present) {
				return false
			}
		}
	}
	return true
}

func asA(v any) bson.A {
	switch t := v.(type) {
	case bson.A:
		return t
	case []any:
		return t
	}
	return nil
}

func asD(v any) bson.D {
	switch t := v.(type) {
	case bson.D:
		return t
	case bson.M:
		d := bson.D{}
		for k, x := range t {
			d = append(d, bson.E{Key: k, Value: x})
		}
		return d
	case map[string]any:
		d := bson.D{}
		for k, x := range t {
			d = append(d, bson.E{Key: k, Value: x})
		}
		return d
	}
	return nil
}

// pathValues returns the values at a dotted path, descending into arrays.
func pathValues(doc any, path string) ([]any, bool) {
	parts := strings.Split(path, ".")
	cur := []any{doc}
	present := false
	for i, p := range parts {
		var next []any
		for _, c := range cur {
			switch t := c.(type) {
			case bson.M, bson.D, map[string]any:
				if v, ok := get(t, p); ok {
					next = append(next, v)
				}
			case bson.A:
				for _, el := range t {
					if isDoc(el) {
						if v, ok := get(el, p); ok {
							next = append(next, v)
						}
					}
				}
			}
		}
		cur = next
		if i == len(parts)-1 {
			present = len(next) > 0
		}
	}
	return cur, present
}

func isDoc(v any) bool {
	switch v.(type) {
	case bson.M, bson.D, map[string]any:
		return true
	}
	return false
}

func get(d any, k string) (any, bool) {
	switch t := d.(type) {
	case bson.M:
		v, ok := t[k]
		return v, ok
	case map[string]any:
		v, ok := t[k]
		return v, ok
	case bson.D:
		for _, e := range t {
			if e.Key == k {
				return e.Value, true
			}
		}
	}
	return nil, false
}

func isOperatorDoc(v any) bool {
	d, ok := v.(bson.D)
	if !ok || len(d) == 0 {
		return false
	}
	return strings.HasPrefix(d[0].Key, "$")
}

// candidates are the values a scalar condition is tested on: each value and the elements of arrays.
func candidates(vals []any) []any {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		out = append(out, v)
		if a, ok := v.(bson.A); ok {
			out = append(out, a...)
		}
	}
	return out
}

func matchCond(cond any, vals []any, present bool) bool {
	if !isOperatorDoc(cond) {
		return equalsAny(vals, present, cond)
	}
	var regexOpts string
	for _, e := range cond.(bson.D) {
		if e.Key == "$options" {
			regexOpts, _ = e.Value.(string)
		}
	}
	for _, e := range cond.(bson.D) {
		ok := true
		switch e.Key {
		case "$eq":
			ok = equalsAny(vals, present, e.Value)
		case "$ne":
			ok = !equalsAny(vals, present, e.Value)
		case "$in":
			ok = false
			for _, x := range asA(e.Value) {
				if equalsAny(vals, present, x) {
					ok = true
					break
				}
			}
		case "$nin":
			for _, x := range asA(e.Value) {
				if equalsAny(vals, present, x) {
					ok = false
					break
				}
			}
		case "$exists":
			want, _ := e.Value.(bool)
			ok = present == want
		case "$lt", "$lte", "$gt", "$gte":
			ok = false
			for _, c := range candidates(vals) {
				if n, comparable := compare(c, e.Value); comparable {
					if (e.Key == "$lt" && n < 0) || (e.Key == "$lte" && n <= 0) || (e.Key == "$gt" && n > 0) || (e.Key == "$gte" && n >= 0) {
						ok = true
						break
					}
				}
			}
		case "$regex":
			re := compileRegex(e.Value, regexOpts)
			ok = false
			if re != nil {
				for _, c := range candidates(vals) {
					if s, isStr := c.(string); isStr && re.MatchString(s) {
						ok = true
						break
					}
				}
			}
		case "$options":
		case "$all":
			for _, x := range asA(e.Value) {
				if !equalsAny(vals, present, x) {
					ok = false
					break
				}
			}
		case "$elemMatch":
			ok = false
			for _, v := range vals {
				for _, el := range asA(v) {
					if elemMatches(e.Value, el) {
						ok = true
						break
					}
				}
			}
		case "$not":
			ok = !matchCond(e.Value, vals, present)
		case "$nearSphere", "$maxDistance", "$minDistance", "$within", "$geoWithin", "$geoIntersects":
			ok = matchGeo(e.Key, e.Value, cond.(bson.D), vals)
		case "$size":
			n, _ := toF(e.Value)
			ok = false
			for _, v := range vals {
				if a, isA := v.(bson.A); isA && float64(len(a)) == n {
					ok = true
				}
			}
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

func elemMatches(cond any, el any) bool {
	if isOperatorDoc(cond) {
		return matchCond(cond, []any{el}, true)
	}
	d := asD(cond)
	if isDoc(el) {
		m := bson.M{}
		for _, e := range asD(el) {
			m[e.Key] = e.Value
		}
		return Match(d, m)
	}
	return false
}

// regexCache keeps compiled patterns: the engine matches one clause against every document a query
// scans, and compiling the same pattern per document dominated Match. It is dropped when it grows
// past regexCacheMax entries, so hostile patterns cannot grow it without bound.
var (
	regexCache  sync.Map // opts + "\x00" + pattern → *regexp.Regexp (nil: does not compile)
	regexCacheN atomic.Int64
)

const regexCacheMax = 512

func compileRegex(v any, opts string) *regexp.Regexp {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	key := opts + "\x00" + s
	if re, ok := regexCache.Load(key); ok {
		return re.(*regexp.Regexp)
	}
	re := compileRegexUncached(s, opts)
	if regexCacheN.Add(1) > regexCacheMax {
		regexCache.Clear()
		regexCacheN.Store(1)
	}
	regexCache.Store(key, re)
	return re
}

func compileRegexUncached(s, opts string) *regexp.Regexp {
	flags := ""
	for _, o := range opts {
		switch o {
		case 'i', 'm', 's':
			flags += string(o)
		case 'x':
			s = stripExtended(s)
		}
	}
	if flags != "" {
		s = "(?" + flags + ")" + s
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil
	}
	return re
}

// stripExtended removes the whitespace and # comments that the x option ignores.
func stripExtended(s string) string {
	var b strings.Builder
	inClass, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			b.WriteByte(c)
			esc = false
		case c == '\\':
			b.WriteByte(c)
			esc = true
		case c == '[':
			inClass = true
			b.WriteByte(c)
		case c == ']':
			inClass = false
			b.WriteByte(c)
		case !inClass && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
		case !inClass && c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func equalsAny(vals []any, present bool, x any) bool {
	if x == nil {
		if !present {
			return true
		}
		for _, v := range candidates(vals) {
			if v == nil {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if equal(v, x) {
			return true
		}
		if a, ok := v.(bson.A); ok {
			for _, el := range a {
				if equal(el, x) {
					return true
				}
			}
		}
	}
	return false
}

func toF(v any) (float64, bool) {
	switch t := v.(type) {
	case int32:
		return float64(t), true
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

func equal(a, b any) bool {
	if fa, ok := toF(a); ok {
		fb, ok := toF(b)
		return ok && fa == fb
	}
	switch ta := a.(type) {
	case string, bool:
		return a == b
	case bson.DateTime:
		tb, ok := b.(bson.DateTime)
		return ok && ta == tb
	case bson.Binary:
		tb, ok := b.(bson.Binary)
		return ok && bytes.Equal(ta.Data, tb.Data)
	case bson.A:
		tb := asA(b)
		if tb == nil || len(ta) != len(tb) {
			return false
		}
		for i := range ta {
			if !equal(ta[i], tb[i]) {
				return false
			}
		}
		return true
	case bson.D, bson.M, map[string]any:
		da, db := asD(ta), asD(b)
		if db == nil || len(da) != len(db) {
			return false
		}
		for i := range da {
			if da[i].Key != db[i].Key || !equal(da[i].Value, db[i].Value) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	}
	return false
}

// compare orders two values of the same kind (numbers, strings, dates, booleans).
func compare(a, b any) (int, bool) {
	if fa, ok := toF(a); ok {
		fb, ok := toF(b)
		if !ok {
			return 0, false
		}
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	}
	switch ta := a.(type) {
	case string:
		tb, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(ta, tb), true
	case bson.DateTime:
		tb, ok := b.(bson.DateTime)
		if !ok {
			return 0, false
		}
		switch {
		case ta < tb:
			return -1, true
		case ta > tb:
			return 1, true
		}
		return 0, true
	case bool:
		tb, ok := b.(bool)
		if !ok {
			return 0, false
		}
		switch {
		case ta == tb:
			return 0, true
		case !ta:
			return -1, true
		}
		return 1, true
	}
	return 0, false
}
