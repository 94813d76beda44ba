// Package bsonx reads the container types the MongoDB driver decodes into (bson.M, bson.D, bson.A)
// and their plain Go equivalents alike.
package bsonx

import "go.mongodb.org/mongo-driver/v2/bson"

// Map returns a document as a map (bson.D keeps its last value per key).
func Map(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case bson.M:
		return map[string]any(t), true
	case map[string]any:
		return t, true
	case bson.D:
		m := make(map[string]any, len(t))
		for _, e := range t {
			m[e.Key] = e.Value
		}
		return m, true
	}
	return nil, false
}

// Slice returns an array's elements (nil for anything else).
func Slice(v any) []any {
	switch t := v.(type) {
	case bson.A:
		return []any(t)
	case []any:
		return t
	}
	return nil
}
