package cloud

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Query is a Parse query built in Cloud Code, or the query a beforeFind trigger may change.
type Query struct {
	ClassName string
	where     map[string]any
	limit     int // -1: the server's default
	skip      int
	order     []string
	keys      []string
	include   []string
}

// NewQuery is a query over className matching every object.
func NewQuery(className string) *Query {
	return &Query{ClassName: className, where: map[string]any{}, limit: -1}
}

// QueryFromParams builds a query from REST find parameters (where, limit, skip, order, keys, include).
// The engine uses it for beforeFind.
func QueryFromParams(className string, p map[string]any) *Query {
	q := NewQuery(className)
	if w, ok := p["where"].(map[string]any); ok {
		q.where = maps.Clone(w)
	}
	if n, ok := ToFloat(p["limit"]); ok {
		q.limit = int(n)
	}
	if n, ok := ToFloat(p["skip"]); ok {
		q.skip = int(n)
	}
	q.order = splitList(p["order"])
	q.keys = splitList(p["keys"])
	q.include = splitList(p["include"])
	return q
}

func splitList(v any) []string {
	switch t := v.(type) {
	case string:
		if t == "" {
			return nil
		}
		return strings.Split(t, ",")
	case []string:
		return slices.Clone(t)
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Params returns the query as REST find parameters.
func (q *Query) Params() map[string]any {
	p := map[string]any{}
	if len(q.where) > 0 {
		p["where"] = maps.Clone(q.where)
	}
	if q.limit >= 0 {
		p["limit"] = q.limit
	}
	if q.skip > 0 {
		p["skip"] = q.skip
	}
	if len(q.order) > 0 {
		p["order"] = strings.Join(q.order, ",")
	}
	if q.keys != nil {
		p["keys"] = strings.Join(q.keys, ",")
	}
	if len(q.include) > 0 {
		p["include"] = strings.Join(q.include, ",")
	}
	return p
}

// Where returns the where clause (REST form); changing the map changes the query.
func (q *Query) Where() map[string]any { return q.where }

// SetWhere replaces the where clause.
func (q *Query) SetWhere(w map[string]any) *Query {
	if w == nil {
		w = map[string]any{}
	}
	q.where = w
	return q
}

// GetLimit is the limit (-1 when not set).
func (q *Query) GetLimit() int { return q.limit }

func (q *Query) cond(key, op string, v any) *Query {
	m, ok := q.where[key].(map[string]any)
	if !ok || isTyped(m) {
		m = map[string]any{}
	}
	m[op] = v
	q.where[key] = m
	return q
}

func isTyped(m map[string]any) bool { _, ok := m["__type"]; return ok }

// EqualTo matches objects whose key equals v (for an array field: contains v).
func (q *Query) EqualTo(key string, v any) *Query { q.where[key] = v; return q }

// NotEqualTo matches objects whose key differs from v.
func (q *Query) NotEqualTo(key string, v any) *Query { return q.cond(key, "$ne", v) }

// LessThan, LessThanOrEqualTo, GreaterThan and GreaterThanOrEqualTo compare numbers, strings and dates.
func (q *Query) LessThan(key string, v any) *Query { return q.cond(key, "$lt", v) }

// LessThanOrEqualTo: see LessThan.
func (q *Query) LessThanOrEqualTo(key string, v any) *Query { return q.cond(key, "$lte", v) }

// GreaterThan: see LessThan.
func (q *Query) GreaterThan(key string, v any) *Query { return q.cond(key, "$gt", v) }

// GreaterThanOrEqualTo: see LessThan.
func (q *Query) GreaterThanOrEqualTo(key string, v any) *Query { return q.cond(key, "$gte", v) }

// ContainedIn matches objects whose key is one of vs.
func (q *Query) ContainedIn(key string, vs ...any) *Query { return q.cond(key, "$in", vs) }

// NotContainedIn matches objects whose key is none of vs.
func (q *Query) NotContainedIn(key string, vs ...any) *Query { return q.cond(key, "$nin", vs) }

// ContainsAll matches array fields holding every one of vs.
func (q *Query) ContainsAll(key string, vs ...any) *Query { return q.cond(key, "$all", vs) }

// Exists matches objects that have key.
func (q *Query) Exists(key string) *Query { return q.cond(key, "$exists", true) }

// DoesNotExist matches objects without key.
func (q *Query) DoesNotExist(key string) *Query { return q.cond(key, "$exists", false) }

// StartsWith matches strings starting with prefix.
func (q *Query) StartsWith(key, prefix string) *Query {
	return q.cond(key, "$regex", "^"+regexp.QuoteMeta(prefix))
}

// Limit sets how many objects a find returns.
func (q *Query) Limit(n int) *Query { q.limit = n; return q }

// Skip skips the first n objects.
func (q *Query) Skip(n int) *Query { q.skip = n; return q }

// Ascending sorts by keys, replacing the order.
func (q *Query) Ascending(keys ...string) *Query { q.order = slices.Clone(keys); return q }

// Descending sorts by keys in descending order, replacing the order.
func (q *Query) Descending(keys ...string) *Query {
	q.order = nil
	return q.AddDescending(keys...)
}

// AddAscending adds sort keys.
func (q *Query) AddAscending(keys ...string) *Query { q.order = append(q.order, keys...); return q }

// AddDescending adds descending sort keys.
func (q *Query) AddDescending(keys ...string) *Query {
	for _, k := range keys {
		q.order = append(q.order, "-"+k)
	}
	return q
}

// Select restricts the returned fields to keys (objectId, createdAt, updatedAt and ACL always come).
func (q *Query) Select(keys ...string) *Query { q.keys = slices.Clone(keys); return q }

// Include replaces pointers at keys (dotted paths allowed) with the objects they point to.
func (q *Query) Include(keys ...string) *Query { q.include = append(q.include, keys...); return q }
