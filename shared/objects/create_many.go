package objects

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/auth"
)

// CreateResult is the outcome of one object of CreateMany: what Create answers ({objectId,
// createdAt}) or the error it fails with.
type CreateResult struct {
	Object map[string]any
	Err    error
}

// CanCreateMany tells whether CreateMany writes objects of className in one insert: no beforeSave or
// afterSave trigger runs for the class (each object would otherwise pass through them one by one).
func (c *Controller) CanCreateMany(ctx context.Context, className string) bool {
	t := c.triggers(ctx)
	return t == nil || (!t.Has(ctx, TriggerBeforeSave, className) && !t.Has(ctx, TriggerAfterSave, className))
}

// CreateMany creates objects of one class for one caller, as that many calls of Create made one after
// the other would, with one database insert (unordered) for all of them: each body is checked as
// Create checks it, in order (a field the first body adds to the schema is there for the next; a later
// body with another type for it fails with 111), the class's access rules are checked once, and each
// object gets its own answer or error, duplicate keys included. A body with relation operators has
// its relation rows written after the insert. When the class has save triggers, the objects are
// created one by one with Create.
func (c *Controller) CreateMany(ctx context.Context, a *auth.Auth, className string, bodies []map[string]any) []CreateResult {
	out := make([]CreateResult, len(bodies))
	if !c.CanCreateMany(ctx, className) {
		for i, body := range bodies {
			out[i].Object, out[i].Err = c.Create(ctx, a, className, orEmpty(body))
		}
		return out
	}
	cls, _, err := c.classFor(ctx, a, className, OpCreate)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	objs := make([]*newObject, len(bodies))
	docs := make([]any, 0, len(bodies))
	at := make([]int, 0, len(bodies)) // docs[k] is the object of bodies[at[k]]
	for i, body := range bodies {
		if i > 0 {
			// The schema as the previous bodies left it, as Create reads it (cached).
			if cls, err = c.Schemas.Get(ctx, className); err != nil {
				out[i].Err = err
				continue
			}
		}
		n, err := c.prepareCreate(ctx, a, cls, className, orEmpty(body), WriteOptions{})
		if err != nil {
			out[i].Err = err
			continue
		}
		objs[i] = n
		docs = append(docs, n.doc)
		at = append(at, i)
	}
	if len(docs) == 0 {
		return out
	}
	if err = c.Insert.InsertMany(ctx, c.DB.Collection(className), docs); err != nil {
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) {
			// Nothing says which objects were stored: each fails as its InsertOne would have.
			err = c.dbError(ctx, err)
			for _, i := range at {
				out[i].Err = err
			}
			return out
		}
		failed := make(map[int]bool, len(bwe.WriteErrors))
		for _, we := range bwe.WriteErrors {
			if we.Index < 0 || we.Index >= len(at) {
				continue
			}
			i := at[we.Index]
			one := we.WriteError
			one.Index = 0
			out[i].Err = c.dbError(ctx, mongo.WriteException{WriteConcernError: bwe.WriteConcernError, WriteErrors: mongo.WriteErrors{one}, Labels: bwe.Labels})
			failed[we.Index] = true
		}
		if bwe.WriteConcernError != nil {
			wce := c.dbError(ctx, mongo.WriteException{WriteConcernError: bwe.WriteConcernError, Labels: bwe.Labels})
			for k, i := range at {
				if !failed[k] {
					out[i].Err = wce
					failed[k] = true
				}
			}
		}
		for k := range at {
			if failed[k] {
				objs[at[k]] = nil
			}
		}
	}
	for _, i := range at {
		n := objs[i]
		if n == nil {
			continue
		}
		if err := c.applyRelations(ctx, className, n.id, n.relations); err != nil {
			out[i].Err = err
			continue
		}
		out[i].Object = n.answer()
	}
	return out
}

func orEmpty(body map[string]any) map[string]any {
	if body == nil {
		return map[string]any{}
	}
	return body
}
