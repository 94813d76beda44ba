// Package query turns Parse queries (where, order, keys, include, ...) into MongoDB filters and options
// over Parse Server's storage format.
package query

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

// Caps says which query features the database evaluates; the engine evaluates the rest (query.Match)
// with MongoDB's semantics.
type Caps struct {
	// Geo: the legacy geo operators Parse Server sends ($nearSphere, $within $box, $geoWithin $polygon
	// and $centerSphere) and $geoIntersects.
	Geo bool
	// GeoJSONOnly: the database's geo operators take GeoJSON $geometry shapes only (Amazon DocumentDB).
	// $geoIntersects goes to it; the legacy shapes, whose planar $box/$polygon semantics no GeoJSON
	// shape has, are evaluated by the engine after an exact range pre-filter the database evaluates.
	GeoJSONOnly bool
	Text        bool // $text, with MongoDB's tokenizing, stemming and textScore
	// ElemMatchNin: {$elemMatch: {$nin: [...]}} is answered right (containedBy). FerretDB 1.x gets it
	// wrong silently, so the engine evaluates containedBy there.
	ElemMatchNin bool
	// NestedArrays: the database stores nested arrays (GeoJSON Polygon coordinates).
	NestedArrays bool
	// RegexExtended: the regex option x.
	RegexExtended bool
	Name          string
}

// MongoDB is what MongoDB evaluates.
var MongoDB = Caps{Geo: true, Text: true, ElemMatchNin: true, NestedArrays: true, RegexExtended: true}

// DocumentDB is what Amazon DocumentDB evaluates: GeoJSON geo only, and a $text whose tokenizing,
// languages, options and scores differ from MongoDB's, so the engine evaluates fullText there. Its
// Name stays empty: otherwise it is run as MongoDB (atomic updates, hints passed on).
var DocumentDB = Caps{Geo: true, GeoJSONOnly: true, ElemMatchNin: true, NestedArrays: true, RegexExtended: true}

// Resolver answers the parts of a query that need other reads: subqueries and relation tables.
type Resolver interface {
	// Select runs a query on class with the caller's rights and returns the stored values of key in
	// the results (key "objectId" gives the ids).
	Select(ctx context.Context, class string, where map[string]any, key string) ([]any, error)
	// RelatedIDs returns the relatedId of the rows of _Join:key:owningClass whose owningId is owningID.
	RelatedIDs(ctx context.Context, owningClass, key, owningID string) ([]string, error)
	// OwningIDs returns the owningId of the rows whose relatedId is one of relatedIDs.
	OwningIDs(ctx context.Context, owningClass, key string, relatedIDs []string) ([]string, error)
}

// Translator turns where clauses of one class into MongoDB filters.
type Translator struct {
	Class    *schema.Class
	Resolver Resolver
	Caps     Caps
	Now      func() time.Time

	// Count says the query only counts: a $nearSphere then counts as the $geoWithin $centerSphere of
	// its distance (as Parse Server does), and may stand inside $or.
	Count bool

	// Engine holds the top-level clauses the database cannot evaluate, after Filter: the caller
	// evaluates them with Match on the documents the database returns.
	Engine []bson.D
	// TextIndex is the stored field a $text query needs a text index on, when the class has none: the
	// caller creates it (Parse Server creates <field>_text on demand).
	TextIndex string

	engineHits int
	orDepth    int      // inside how many $or/$nor
	nears      int      // $nearSphere constraints seen
	texts      int      // $text constraints seen
	narrow     []bson.D // database-side pre-filters of engine clauses (geo ranges)
}

// keyNameRE is a field name or a dotted path into one: no empty segment (MongoDB refuses "a..b" and "a.").
var keyNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*$`)

// Filter translates a where object.
func (t *Translator) Filter(ctx context.Context, where map[string]any) (bson.D, error) {
	t.Engine, t.TextIndex, t.orDepth, t.nears, t.texts, t.narrow = nil, "", 0, 0, 0, nil
	return t.filter(ctx, where, 0)
}

// place puts a translated top-level clause in the database filter, or with the engine's clauses when
// its translation needed the engine.
func (t *Translator) place(depth, hitsBefore int, c bson.D, out *bson.D, and *bson.A) {
	if depth == 0 && t.engineHits > hitsBefore {
		t.Engine = append(t.Engine, c)
		return
	}
	if len(c) == 1 && !hasKey(*out, c[0].Key) && (!strings.HasPrefix(c[0].Key, "$") || c[0].Key == "$text") {
		*out = append(*out, c[0])
		return
	}
	*and = append(*and, c)
}

const maxDepth = 20

func (t *Translator) filter(ctx context.Context, where map[string]any, depth int) (bson.D, error) {
	if depth > maxDepth {
		return nil, parse.NewError(parse.InvalidQuery, "query is nested too deeply")
	}
	out := bson.D{}
	var and bson.A
	keys := make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		val := where[key]
		hits := t.engineHits
		switch key {
		case "$or", "$and", "$nor":
			arr, ok := val.([]any)
			if !ok || len(arr) == 0 {
				return nil, parse.Errorf(parse.InvalidQuery, "Bad %s format - use an array of at least 1 value.", key)
			}
			subs := bson.A{}
			if key != "$and" {
				t.orDepth++
			}
			for _, x := range arr {
				m, ok := x.(map[string]any)
				if !ok {
					return nil, parse.Errorf(parse.InvalidQuery, "Bad %s format - use an array of query objects.", key)
				}
				f, err := t.filter(ctx, m, depth+1)
				if err != nil {
					return nil, err
				}
				subs = append(subs, f)
			}
			if key != "$and" {
				t.orDepth--
			}
			t.place(depth, hits, bson.D{{Key: key, Value: subs}}, &out, &and)
			continue
		case "$relatedTo":
			f, err := t.relatedTo(ctx, val)
			if err != nil {
				return nil, err
			}
			t.place(depth, hits, f, &out, &and)
			continue
		}
		if !keyNameRE.MatchString(key) {
			return nil, parse.Errorf(parse.InvalidKeyName, "Invalid key name: %s", key)
		}
		clauses, err := t.keyConstraint(ctx, key, val, depth)
		if err != nil {
			return nil, err
		}
		for _, c := range clauses {
			t.place(depth, hits, c, &out, &and)
		}
		for _, c := range t.narrow {
			t.place(depth, t.engineHits, c, &out, &and)
		}
		t.narrow = nil
	}
	if len(and) > 0 {
		out = append(out, bson.E{Key: "$and", Value: and})
	}
	return out, nil
}

func hasKey(d bson.D, k string) bool {
	for _, e := range d {
		if e.Key == k {
			return true
		}
	}
	return false
}

func (t *Translator) dbName() string {
	if t.Caps.Name == "" {
		return "this database"
	}
	return t.Caps.Name
}

// storedKey maps a REST key to its stored column.
func (t *Translator) storedKey(key string) (string, schema.Field) {
	switch key {
	case "objectId":
		return "_id", schema.Field{Type: schema.String}
	case "createdAt":
		return "_created_at", schema.Field{Type: schema.Date}
	case "updatedAt":
		return "_updated_at", schema.Field{Type: schema.Date}
	}
	if strings.HasPrefix(key, "authData.") && t.Class.Name == "_User" {
		rest := strings.TrimPrefix(key, "authData.")
		return "_auth_data_" + rest, schema.Field{}
	}
	f, ok := t.Class.Field(key)
	if ok && f.Type == schema.Pointer {
		return "_p_" + key, f
	}
	return key, f
}

func isPointer(v any) (string, string, bool) {
	m, ok := v.(map[string]any)
	if !ok || m["__type"] != "Pointer" {
		return "", "", false
	}
	cn, _ := m["className"].(string)
	id, _ := m["objectId"].(string)
	return cn, id, cn != "" && id != ""
}

// value encodes a comparison value for a stored column.
func (t *Translator) value(f schema.Field, stored string, v any) (any, error) {
	if cn, id, ok := isPointer(v); ok && strings.HasPrefix(stored, "_p_") {
		return cn + "$" + id, nil
	}
	if m, ok := v.(map[string]any); ok {
		if _, isOp := m["__op"]; isOp {
			return nil, parse.NewError(parse.InvalidJSON, "operators are not allowed in queries")
		}
		if m["__type"] == "GeoPoint" && f.Type == schema.GeoPoint {
			return storage.EncodeAtom(v)
		}
		if m["__type"] == "Polygon" && !t.Caps.NestedArrays {
			enc, err := storage.EncodeAtom(v)
			return storage.FlattenPolygon(enc), err
		}
	}
	if s, ok := v.(string); ok && f.Type == schema.Date && stored != "_id" {
		if tm, ok := storage.ParseTime(s); ok {
			return bson.NewDateTimeFromTime(tm), nil
		}
	}
	return storage.EncodeAtom(v)
}

func (t *Translator) keyConstraint(ctx context.Context, key string, val any, depth int) ([]bson.D, error) {
	stored, f := t.storedKey(key)
	if _, _, ok := isPointer(val); ok && f.Type == "" && !strings.Contains(key, ".") {
		stored = "_p_" + key
	}
	m, isMap := val.(map[string]any)
	if !isMap || !hasOperator(m) {
		if f.Type == schema.Relation {
			if _, id, ok := isPointer(val); ok {
				ids, err := t.Resolver.OwningIDs(ctx, t.Class.Name, key, []string{id})
				if err != nil {
					return nil, err
				}
				return []bson.D{{{Key: "_id", Value: bson.D{{Key: "$in", Value: strSlice(ids)}}}}}, nil
			}
		}
		enc, err := t.value(f, stored, val)
		if err != nil {
			return nil, err
		}
		return []bson.D{{{Key: stored, Value: enc}}}, nil
	}
	if tx, ok := m["$text"]; ok { // Parse Server answers the $text alone, whatever else the key has
		return t.textConstraint(key, tx)
	}
	var geo []bson.D
	if hasGeoOp(m) {
		g, err := t.geoClause(stored, m, depth)
		if err != nil {
			return nil, err
		}
		geo = g
	}
	cond := bson.D{}
	var extra []bson.D
	var relTime bool
	opKeys := make([]string, 0, len(m))
	for k := range m {
		opKeys = append(opKeys, k)
	}
	sort.Strings(opKeys)
	for _, op := range opKeys {
		arg := m[op]
		if geoOps[op] {
			continue
		}
		switch op {
		case "$lt", "$lte", "$gt", "$gte", "$ne", "$eq":
			if am, ok := arg.(map[string]any); ok && am["$relativeTime"] != nil {
				if f.Type != schema.Date {
					return nil, parse.NewError(parse.InvalidJSON, "$relativeTime can only be used with Date fields")
				}
				if op == "$ne" || op == "$eq" {
					return nil, parse.Errorf(parse.InvalidJSON, "%s $relativeTime is not supported", op)
				}
				s, _ := am["$relativeTime"].(string)
				tm, err := RelativeTime(s, t.now())
				if err != nil {
					return nil, err
				}
				cond = append(cond, bson.E{Key: op, Value: bson.NewDateTimeFromTime(tm)})
				relTime = true
				continue
			}
			enc, err := t.value(f, stored, arg)
			if err != nil {
				return nil, err
			}
			cond = append(cond, bson.E{Key: op, Value: enc})
		case "$in", "$nin":
			arr, ok := arg.([]any)
			if !ok {
				return nil, parse.Errorf(parse.InvalidJSON, "bad %s value", op)
			}
			enc := bson.A{}
			for _, x := range arr {
				e, err := t.value(f, stored, x)
				if err != nil {
					return nil, err
				}
				enc = append(enc, e)
			}
			if f.Type == schema.Relation && op == "$in" {
				var ids []string
				for _, x := range arr {
					if _, id, ok := isPointer(x); ok {
						ids = append(ids, id)
					}
				}
				owning, err := t.Resolver.OwningIDs(ctx, t.Class.Name, key, ids)
				if err != nil {
					return nil, err
				}
				extra = append(extra, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: strSlice(owning)}}}})
				continue
			}
			cond = append(cond, bson.E{Key: op, Value: enc})
		case "$exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, parse.NewError(parse.InvalidJSON, "$exists needs a boolean")
			}
			cond = append(cond, bson.E{Key: "$exists", Value: b})
		case "$all":
			arr, ok := arg.([]any)
			if !ok {
				return nil, parse.NewError(parse.InvalidJSON, "bad $all value")
			}
			if len(arr) > 0 && isRegexObj(arr[0]) {
				// containsAllStartingWith: every element must be a regex; FerretDB answers $all with
				// regexes wrongly, so each becomes an $elemMatch.
				for _, x := range arr {
					rm, ok := x.(map[string]any)
					if !ok || !isRegexObj(x) {
						return nil, parse.NewError(parse.InvalidJSON, "All $all values must be of regex type or none")
					}
					re, err := regexCond(rm["$regex"], rm["$options"])
					if err != nil {
						return nil, err
					}
					extra = append(extra, bson.D{{Key: stored, Value: bson.D{{Key: "$elemMatch", Value: re}}}})
				}
				continue
			}
			enc := bson.A{}
			for _, x := range arr {
				if isRegexObj(x) {
					return nil, parse.NewError(parse.InvalidJSON, "All $all values must be of regex type or none")
				}
				e, err := t.value(f, stored, x)
				if err != nil {
					return nil, err
				}
				enc = append(enc, e)
			}
			cond = append(cond, bson.E{Key: "$all", Value: enc})
		case "$containedBy":
			arr, ok := arg.([]any)
			if !ok {
				return nil, parse.NewError(parse.InvalidJSON, "bad $containedBy: should be an array")
			}
			enc := bson.A{}
			for _, x := range arr {
				e, err := t.value(f, stored, x)
				if err != nil {
					return nil, err
				}
				enc = append(enc, e)
			}
			// Parse Server sends {$not: {$elemMatch: {$nin}}}; $nor is the same on MongoDB. FerretDB answers
			// both wrongly, so there the engine evaluates it.
			if !t.Caps.ElemMatchNin {
				t.engineHits++
			}
			extra = append(extra, bson.D{{Key: "$nor", Value: bson.A{bson.D{{Key: stored, Value: bson.D{{Key: "$elemMatch", Value: bson.D{{Key: "$nin", Value: enc}}}}}}}}})
		case "$regex":
			re, err := regexCond(arg, m["$options"])
			if err != nil {
				return nil, err
			}
			if o, _ := m["$options"].(string); strings.Contains(o, "x") && !t.Caps.RegexExtended {
				// The database cannot take the x option: the engine evaluates the regex, so it must be
				// one Go's regexp compiles.
				s, _ := arg.(string)
				if compileRegex(s, o) == nil {
					return nil, parse.Errorf(parse.InvalidQuery, "The regular expression %q with option x cannot be evaluated on %s.", s, t.dbName())
				}
				t.engineHits++
			}
			cond = append(cond, re...)
		case "$options":
			if _, ok := m["$regex"]; !ok {
				return nil, parse.NewError(parse.InvalidQuery, "$options needs $regex")
			}
		case "$inQuery", "$notInQuery":
			sub, ok := arg.(map[string]any)
			if !ok {
				return nil, parse.Errorf(parse.InvalidQuery, "improper usage of %s", op)
			}
			cn, _ := sub["className"].(string)
			w, _ := sub["where"].(map[string]any)
			if cn == "" {
				return nil, parse.Errorf(parse.InvalidQuery, "improper usage of %s", op)
			}
			if err := schema.CheckClassName(cn); err != nil {
				return nil, err
			}
			ids, err := t.Resolver.Select(ctx, cn, w, "objectId")
			if err != nil {
				return nil, err
			}
			vals := bson.A{}
			for _, id := range ids {
				s, _ := id.(string)
				if strings.HasPrefix(stored, "_p_") {
					vals = append(vals, cn+"$"+s)
				} else {
					vals = append(vals, bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: cn}, {Key: "objectId", Value: s}})
				}
			}
			if op == "$inQuery" {
				cond = append(cond, bson.E{Key: "$in", Value: vals})
			} else {
				cond = append(cond, bson.E{Key: "$nin", Value: vals})
			}
		case "$select", "$dontSelect":
			sel, ok := arg.(map[string]any)
			q, _ := sel["query"].(map[string]any)
			k, _ := sel["key"].(string)
			cn, _ := q["className"].(string)
			if !ok || q == nil || k == "" || cn == "" {
				return nil, parse.Errorf(parse.InvalidQuery, "improper usage of %s", op)
			}
			if err := schema.CheckClassName(cn); err != nil {
				return nil, err
			}
			w, _ := q["where"].(map[string]any)
			vals, err := t.Resolver.Select(ctx, cn, w, k)
			if err != nil {
				return nil, err
			}
			arr := bson.A{}
			for _, v := range vals {
				if s, ok := v.(string); ok && strings.HasPrefix(stored, "_p_") && strings.Contains(s, "$") {
					arr = append(arr, s)
					continue
				}
				arr = append(arr, v)
			}
			if op == "$select" {
				cond = append(cond, bson.E{Key: "$in", Value: arr})
			} else {
				cond = append(cond, bson.E{Key: "$nin", Value: arr})
			}
		case "$size", "$type", "$mod", "$not", "$elemMatch":
			return nil, parse.Errorf(parse.InvalidJSON, "bad constraint: %s", op)
		default:
			return nil, parse.Errorf(parse.InvalidJSON, "bad constraint: %s", op)
		}
	}
	_ = relTime
	out := extra
	if len(cond) > 0 {
		out = append([]bson.D{{{Key: stored, Value: cond}}}, out...)
	}
	return append(out, geo...), nil
}

func strSlice(ids []string) bson.A {
	a := make(bson.A, len(ids))
	for i, s := range ids {
		a[i] = s
	}
	return a
}

func hasOperator(m map[string]any) bool {
	for k := range m {
		if strings.HasPrefix(k, "$") {
			return true
		}
	}
	return false
}

func isRegexObj(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["$regex"]
	return ok
}

// regexCond validates a $regex and its options. Go's RE2 rejects a few PCRE constructs that MongoDB
// accepts; those pass through to the database unchanged.
func regexCond(re, opts any) (bson.D, error) {
	s, ok := re.(string)
	if !ok {
		return nil, parse.NewError(parse.InvalidQuery, "bad $regex: should be a string")
	}
	d := bson.D{{Key: "$regex", Value: s}}
	if opts != nil {
		o, ok := opts.(string)
		if !ok || strings.Trim(o, "imxs") != "" {
			return nil, parse.NewError(parse.InvalidQuery, "bad $options: only i, m, x and s are allowed")
		}
		if o != "" {
			d = append(d, bson.E{Key: "$options", Value: o})
		}
	}
	return d, nil
}

func (t *Translator) relatedTo(ctx context.Context, v any) (bson.D, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, parse.NewError(parse.InvalidJSON, "bad $relatedTo")
	}
	cn, id, ok := isPointer(m["object"])
	key, _ := m["key"].(string)
	if !ok || key == "" {
		return nil, parse.NewError(parse.InvalidJSON, "bad $relatedTo: needs object (a Pointer) and key")
	}
	if err := schema.CheckClassName(cn); err != nil {
		return nil, err
	}
	ids, err := t.Resolver.RelatedIDs(ctx, cn, key, id)
	if err != nil {
		return nil, err
	}
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: strSlice(ids)}}}}, nil
}

func (t *Translator) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// RelativeTime reads Parse's "3 days ago", "in 2 hours", "now".
func RelativeTime(s string, now time.Time) (time.Time, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "now" {
		return now, nil
	}
	parts := strings.Fields(s)
	future, past := false, false
	if len(parts) > 0 && parts[0] == "in" {
		future, parts = true, parts[1:]
	}
	if len(parts) > 0 && parts[len(parts)-1] == "ago" {
		past, parts = true, parts[:len(parts)-1]
	}
	if future == past {
		return time.Time{}, parse.NewError(parse.InvalidJSON, "Time should either start with 'in' or end with 'ago'")
	}
	if len(parts)%2 != 0 || len(parts) == 0 {
		return time.Time{}, parse.NewError(parse.InvalidJSON, "Invalid time string. Dangling unit or number.")
	}
	var total time.Duration
	for i := 0; i < len(parts); i += 2 {
		n, err := strconv.ParseFloat(parts[i], 64)
		if err != nil {
			return time.Time{}, parse.Errorf(parse.InvalidJSON, "'%s' is not an integer.", parts[i])
		}
		var unit time.Duration
		switch strings.TrimSuffix(parts[i+1], "s") {
		case "yr", "year":
			unit = 365 * 24 * time.Hour
		case "wk", "week":
			unit = 7 * 24 * time.Hour
		case "d", "day":
			unit = 24 * time.Hour
		case "hr", "hour":
			unit = time.Hour
		case "min", "minute":
			unit = time.Minute
		case "sec", "second":
			unit = time.Second
		default:
			return time.Time{}, parse.Errorf(parse.InvalidJSON, "Invalid interval: '%s'", parts[i+1])
		}
		total += time.Duration(n * float64(unit))
	}
	if past {
		return now.Add(-total), nil
	}
	return now.Add(total), nil
}

var _ = math.Pi
var _ = fmt.Sprintf
var _ json.Number
