package query

import (
	"encoding/json"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
)

// Options is a parsed find request.
type Options struct {
	Where       map[string]any
	Order       []string
	Skip        int64
	Limit       int64 // -1: not given
	Count       bool
	Keys        []string // nil: all
	ExcludeKeys []string
	Include     []string
	IncludeAll  bool
	Hint        any
	Explain     bool
}

var findKeys = map[string]bool{"where": true, "skip": true, "limit": true, "order": true, "count": true, "keys": true, "excludeKeys": true, "include": true, "includeAll": true, "redirectClassNameForKey": true, "readPreference": true, "includeReadPreference": true, "subqueryReadPreference": true, "hint": true, "explain": true, "comment": true}

var getKeys = map[string]bool{"keys": true, "include": true, "excludeKeys": true, "readPreference": true, "includeReadPreference": true, "subqueryReadPreference": true}

// ParseFind reads find parameters (a JSON body or query-string values already JSON-decoded).
func ParseFind(p map[string]any) (Options, error) {
	for k := range p {
		if !findKeys[k] {
			return Options{}, parse.Errorf(parse.InvalidQuery, "Invalid parameter for query: %s", k)
		}
	}
	return parseOpts(p)
}

// ParseGet reads the parameters of a get by id.
func ParseGet(p map[string]any) (Options, error) {
	for k := range p {
		if !getKeys[k] {
			return Options{}, parse.NewError(parse.InvalidQuery, "Improper encode of parameter")
		}
	}
	return parseOpts(p)
}

func parseOpts(p map[string]any) (Options, error) {
	o := Options{Limit: -1}
	if w, ok := p["where"]; ok && w != nil {
		if s, ok := w.(string); ok { // a where sent as a JSON string
			var m map[string]any
			d := json.NewDecoder(strings.NewReader(s))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				return o, parse.NewError(parse.InvalidJSON, "where must be a JSON object")
			}
			w = m
		}
		m, ok := w.(map[string]any)
		if !ok {
			return o, parse.NewError(parse.InvalidJSON, "where must be a JSON object")
		}
		o.Where = m
	}
	var err error
	if o.Skip, err = intParam(p, "skip", 0); err != nil {
		return o, err
	}
	if o.Skip < 0 {
		return o, parse.NewError(parse.InvalidQuery, "skip must be a non-negative number")
	}
	if o.Limit, err = intParam(p, "limit", -1); err != nil {
		return o, err
	}
	if c, ok := p["count"]; ok {
		switch v := c.(type) {
		case bool:
			o.Count = v
		case json.Number:
			o.Count = v.String() != "0"
		case string:
			o.Count = v == "1" || v == "true"
		default:
			o.Count = c != nil
		}
	}
	if o.Order, err = listParam(p, "order"); err != nil {
		return o, err
	}
	if _, ok := p["keys"]; ok {
		if o.Keys, err = listParam(p, "keys"); err != nil {
			return o, err
		}
		if o.Keys == nil {
			o.Keys = []string{}
		}
	}
	if o.ExcludeKeys, err = listParam(p, "excludeKeys"); err != nil {
		return o, err
	}
	if o.Include, err = listParam(p, "include"); err != nil {
		return o, err
	}
	for _, in := range o.Include {
		if in == "*" {
			o.IncludeAll = true
		}
	}
	if v, ok := p["includeAll"]; ok && v != false && v != nil {
		o.IncludeAll = true
	}
	o.Hint = p["hint"]
	if v, ok := p["explain"]; ok && v != false && v != nil {
		o.Explain = true
	}
	return o, nil
}

func intParam(p map[string]any, k string, def int64) (int64, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return def, nil
	}
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n, nil
		}
		if f, err := t.Float64(); err == nil {
			return int64(f), nil
		}
	case float64:
		return int64(t), nil
	case string:
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, parse.Errorf(parse.InvalidQuery, "%s must be a number", k)
}

func listParam(p map[string]any, k string) ([]string, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return nil, nil
	}
	var parts []string
	switch t := v.(type) {
	case string:
		if t == "" {
			return nil, nil
		}
		parts = strings.Split(t, ",")
	case []any:
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, parse.Errorf(parse.InvalidQuery, "%s must be a comma-separated string", k)
			}
			parts = append(parts, strings.Split(s, ",")...)
		}
	default:
		return nil, parse.Errorf(parse.InvalidQuery, "%s must be a comma-separated string", k)
	}
	out := parts[:0]
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// Sort translates order keys ("score,-name") for class.
func Sort(class *schema.Class, order []string) (bson.D, error) {
	if len(order) == 0 {
		return nil, nil
	}
	d := bson.D{}
	for _, k := range order {
		dir := 1
		if strings.HasPrefix(k, "-") {
			dir, k = -1, k[1:]
		}
		if k == "$score" {
			d = append(d, bson.E{Key: "score", Value: bson.D{{Key: "$meta", Value: "textScore"}}})
			continue
		}
		if !keyNameRE.MatchString(k) {
			return nil, parse.Errorf(parse.InvalidKeyName, "Invalid field name: %s.", k)
		}
		t := Translator{Class: class}
		stored, _ := t.storedKey(k)
		d = append(d, bson.E{Key: stored, Value: dir})
	}
	return d, nil
}

// Projection selects the stored columns needed for keys (nil: everything). Dotted keys select their
// top-level field, which the caller trims after includes.
func Projection(class *schema.Class, keys []string) bson.D {
	if keys == nil {
		return nil
	}
	d := bson.D{{Key: "_id", Value: 1}, {Key: "_created_at", Value: 1}, {Key: "_updated_at", Value: 1}, {Key: "_rperm", Value: 1}, {Key: "_wperm", Value: 1}}
	seen := map[string]bool{}
	for _, k := range keys {
		if k == "$score" {
			d = append(d, bson.E{Key: "score", Value: bson.D{{Key: "$meta", Value: "textScore"}}})
			continue
		}
		top, _, _ := strings.Cut(k, ".")
		switch top {
		case "objectId", "createdAt", "updatedAt", "ACL":
			continue
		}
		if seen[top] || !keyNameRE.MatchString(top) {
			continue
		}
		seen[top] = true
		t := Translator{Class: class}
		stored, _ := t.storedKey(top)
		d = append(d, bson.E{Key: stored, Value: 1})
	}
	return d
}
