// Package globalconfig is Parse Config (GET/PUT /config): one _GlobalConfig document
// {_id: 1, params: {...}, masterKeyOnly: {...}}, stored exactly as Parse Server stores it.
package globalconfig

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/storage"
)

// Collection holds the one config document.
const Collection = "_GlobalConfig"

// docID is Parse Server's _id of the config document (a number, not a string).
const docID = int32(1)

// Store reads and writes the config.
type Store struct {
	DB *mongo.Database
}

// Get answers GET /config: {params, masterKeyOnly} for the master key; other callers get {params}
// without the parameters flagged masterKeyOnly.
func (s *Store) Get(ctx context.Context, master bool) (map[string]any, error) {
	var doc bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "_id", Value: docID}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return map[string]any{"params": map[string]any{}}, nil
	}
	if err != nil {
		return nil, err
	}
	params, _ := storage.DecodeValue(doc["params"]).(map[string]any)
	if params == nil {
		params = map[string]any{}
	}
	flags, _ := storage.DecodeValue(doc["masterKeyOnly"]).(map[string]any)
	if !master {
		for k := range params {
			if b, _ := flags[k].(bool); b {
				delete(params, k)
			}
		}
		return map[string]any{"params": params}, nil
	}
	out := map[string]any{"params": params}
	if flags != nil {
		out["masterKeyOnly"] = flags
	}
	return out, nil
}

// Update answers PUT /config {params, masterKeyOnly}: each parameter is set dot-wise
// (params.<k>, masterKeyOnly.<k>), and {"__op":"Delete"} removes it.
func (s *Store) Update(ctx context.Context, params, masterKeyOnly map[string]any) error {
	set, unset := bson.D{}, bson.D{}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "$.\x00") {
			return parse.Errorf(parse.InvalidKeyName, "Invalid config parameter name: %s", k)
		}
		v := params[k]
		if m, ok := v.(map[string]any); ok && m["__op"] != nil {
			if m["__op"] != "Delete" {
				return parse.Errorf(parse.InvalidJSON, "Config parameter %s: only the Delete operation is supported", k)
			}
			unset = append(unset, bson.E{Key: "params." + k, Value: ""}, bson.E{Key: "masterKeyOnly." + k, Value: ""})
			continue
		}
		enc, err := plain(v)
		if err != nil {
			return err
		}
		flag, _ := masterKeyOnly[k].(bool)
		set = append(set, bson.E{Key: "params." + k, Value: enc}, bson.E{Key: "masterKeyOnly." + k, Value: flag})
	}
	update := bson.D{}
	if len(set) > 0 {
		update = append(update, bson.E{Key: "$set", Value: set})
	}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	if len(update) == 0 {
		return nil
	}
	_, err := s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: docID}}, update, options.UpdateOne().SetUpsert(true))
	return err
}

// plain converts a JSON value to BSON as Parse Server stores config parameters: as given, typed
// values ({__type: Date, ...}) included.
func plain(v any) (any, error) {
	switch t := v.(type) {
	case json.Number:
		return storage.Number(t)
	case []any:
		out := make(bson.A, len(t))
		for i, x := range t {
			e, err := plain(x)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(bson.D, 0, len(t))
		for _, k := range keys {
			if strings.ContainsAny(k, "$.\x00") {
				return nil, parse.NewError(parse.InvalidNestedKey, "Nested keys should not contain the '$' or '.' characters")
			}
			e, err := plain(t[k])
			if err != nil {
				return nil, err
			}
			out = append(out, bson.E{Key: k, Value: e})
		}
		return out, nil
	}
	return v, nil
}
