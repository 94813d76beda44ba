package objects

import (
	"context"
	"errors"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

// adaptWrite fits a write to what the database stores: where it cannot store nested arrays (the
// embedded FerretDB), Polygons are stored in their flat form (storage.FlattenPolygon).
func (c *Controller) adaptWrite(w *storage.Write) {
	if c.Caps.NestedArrays {
		return
	}
	for i, e := range w.Set {
		w.Set[i].Value = storage.FlattenPolygon(e.Value)
	}
}

// ensureTextIndex gives the class the text index <field>_text a fullText query needs when it has
// none, as Parse Server does: recorded in the schema, and created on databases that have text indexes.
func (c *Controller) ensureTextIndex(ctx context.Context, cls *schema.Class, field string) error {
	if !cls.Exists() {
		return nil
	}
	name := field + "_text"
	keys := bson.D{{Key: field, Value: "text"}}
	if c.Caps.Text {
		_, err := c.DB.Collection(cls.Name).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: options.Index().SetName(name)})
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && (ce.Code == 85 || ce.Code == 86)) {
			return c.dbError(ctx, err)
		}
	}
	if _, err := c.Schemas.Update(ctx, cls.Name, nil, nil, nil, []schema.Index{{Name: name, Keys: keys}}, nil); err != nil {
		if pe, ok := parse.As(err); ok && pe.Code == parse.InvalidQuery {
			return nil // recorded meanwhile by a concurrent query
		}
		return err
	}
	return nil
}

// checkScore refuses $score in keys or order without a fullText constraint (MongoDB has no text score
// to give then).
func checkScore(opts query.Options, filter bson.D, engine []bson.D) error {
	if !slices.Contains(opts.Keys, "$score") && !slices.Contains(opts.Order, "$score") && !slices.Contains(opts.Order, "-$score") {
		return nil
	}
	if query.HasText(filter, engine) {
		return nil
	}
	return parse.NewError(parse.InvalidQuery, "$score in keys or order needs a fullText constraint")
}

// engineSort splits a sort for the engine path: the database can sort unless a key is the text score.
func engineSort(sort bson.D) (db bson.D, inEngine bool) {
	if query.SortNeedsEngine(sort) {
		return nil, true
	}
	return sort, false
}

// orderEngine orders what the engine matched as MongoDB would: by a sort with the text score, or by
// distance for a $nearSphere without an explicit order; and adds the score when keys ask for it.
func orderEngine(docs []bson.M, engine []bson.D, opts query.Options, sort bson.D, sortInEngine bool) {
	tq := query.FindText(engine)
	score := func(d bson.M) float64 {
		if tq == nil {
			return 0
		}
		if s, ok := d["score"].(float64); ok && slices.Contains(opts.Keys, "$score") {
			return s
		}
		return tq.Score(d)
	}
	if tq != nil && slices.Contains(opts.Keys, "$score") {
		for _, d := range docs {
			d["score"] = tq.Score(d)
		}
	}
	if sortInEngine {
		query.SortDocs(docs, sort, score)
		return
	}
	if len(opts.Order) == 0 {
		if path, center, ok := query.NearSort(engine); ok {
			ds := make([]float64, len(docs))
			for i := range docs {
				ds[i] = query.Distance(docs[i], path, center)
			}
			idx := make([]int, len(docs))
			for i := range idx {
				idx[i] = i
			}
			slices.SortStableFunc(idx, func(a, b int) int {
				switch {
				case ds[a] < ds[b]:
					return -1
				case ds[a] > ds[b]:
					return 1
				}
				return 0
			})
			sorted := make([]bson.M, len(docs))
			for i, j := range idx {
				sorted[i] = docs[j]
			}
			copy(docs, sorted)
		}
	}
}

// findGeoIndexed runs a find; on MongoDB a $nearSphere needs a geo index, which Parse Server creates on
// the first such query (a 2d index on the field) and retries once.
func (c *Controller) findGeoIndexed(ctx context.Context, className string, filter bson.D, fo *options.FindOptionsBuilder) (*mongo.Cursor, error) {
	coll := c.DB.Collection(className)
	cur, err := coll.Find(ctx, filter, fo)
	var ce mongo.CommandError
	if err == nil || !errors.As(err, &ce) || (ce.Code != 291 && ce.Code != 17007 && !strings.Contains(ce.Message, "unable to find index for $geoNear")) {
		return cur, err
	}
	field := nearField(filter)
	if field == "" {
		return nil, err
	}
	if _, ierr := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: field, Value: "2d"}}}); ierr != nil {
		return nil, err
	}
	return coll.Find(ctx, filter, fo)
}

// nearField is the field of the $nearSphere of a filter.
func nearField(f bson.D) string {
	for _, e := range f {
		if e.Key == "$and" {
			if a, ok := e.Value.(bson.A); ok {
				for _, s := range a {
					if d, ok := s.(bson.D); ok {
						if n := nearField(d); n != "" {
							return n
						}
					}
				}
			}
			continue
		}
		if d, ok := e.Value.(bson.D); ok {
			for _, c := range d {
				if c.Key == "$nearSphere" {
					return e.Key
				}
			}
		}
	}
	return ""
}
