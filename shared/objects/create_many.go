package objects

import (
	"context"
	"errors"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

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
	if err = c.insertMany(ctx, className, docs); err != nil {
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

// insertMany inserts docs into className, unordered: with the driver's InsertMany, or with
// InsertByCommand as one insert command. The driver reports the write errors of a command's reply
// (and its write concern error) as a mongo.WriteException; they come back as InsertMany reports them,
// a mongo.BulkWriteException whose indexes are into docs.
func (c *Controller) insertMany(ctx context.Context, className string, docs []any) error {
	if !c.InsertByCommand || !fitsOneCommand(docs) {
		_, err := c.DB.Collection(className).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		return err
	}
	cmd := bson.D{{Key: "insert", Value: className}, {Key: "documents", Value: bson.A(docs)}, {Key: "ordered", Value: false}}
	if wc := writeConcernDoc(c.WriteConcern); wc != nil {
		cmd = append(cmd, bson.E{Key: "writeConcern", Value: wc})
	}
	err := c.DB.RunCommand(ctx, cmd).Err()
	var we mongo.WriteException
	if !errors.As(err, &we) {
		return err
	}
	bwe := mongo.BulkWriteException{WriteConcernError: we.WriteConcernError, Labels: we.Labels}
	for _, e := range we.WriteErrors {
		bwe.WriteErrors = append(bwe.WriteErrors, mongo.BulkWriteError{WriteError: e})
	}
	return bwe
}

// writeConcernDoc is wc as a command's writeConcern field, as the driver sends it with its own
// operations: w and j when set; nil when wc sets neither.
func writeConcernDoc(wc *writeconcern.WriteConcern) bson.D {
	if wc == nil {
		return nil
	}
	var d bson.D
	switch w := wc.W.(type) {
	case int:
		d = append(d, bson.E{Key: "w", Value: int32(w)})
	case string:
		d = append(d, bson.E{Key: "w", Value: w})
	}
	if wc.Journal != nil {
		d = append(d, bson.E{Key: "j", Value: *wc.Journal})
	}
	return d
}

// maxInsertCommand bounds the documents sent in one insert command: a command is one BSON document,
// which servers take up to 16 MiB, where InsertMany sends its documents beside the command, 48 MB at
// a time.
const maxInsertCommand = 12 << 20

// fitsOneCommand tells whether docs (the bson.D of prepareCreate) encode within maxInsertCommand.
func fitsOneCommand(docs []any) bool {
	total := 0
	for _, d := range docs {
		n, ok := bsonSize(d)
		if total += n; !ok || total > maxInsertCommand {
			return false
		}
	}
	return true
}

// bsonSize is the encoded size of v as a BSON value (a document for bson.D, without the element
// header its key adds), for the types storage.Encode builds; ok is false for any other type.
func bsonSize(v any) (int, bool) {
	switch t := v.(type) {
	case nil:
		return 0, true
	case bool:
		return 1, true
	case string:
		return 4 + len(t) + 1, true
	case float64, int64, bson.DateTime:
		return 8, true
	case int32:
		return 4, true
	case bson.ObjectID:
		return 12, true
	case bson.Binary: // Bytes fields; the old binary subtype 2 repeats the length inside
		n := 4 + 1 + len(t.Data)
		if t.Subtype == 0x02 {
			n += 4
		}
		return n, true
	case bson.D:
		n := 4 + 1
		for _, e := range t {
			m, ok := bsonSize(e.Value)
			if !ok {
				return 0, false
			}
			n += 1 + len(e.Key) + 1 + m
		}
		return n, true
	case bson.A:
		n := 4 + 1
		for i, x := range t {
			m, ok := bsonSize(x)
			if !ok {
				return 0, false
			}
			n += 1 + len(strconv.Itoa(i)) + 1 + m
		}
		return n, true
	}
	return 0, false
}

func orEmpty(body map[string]any) map[string]any {
	if body == nil {
		return map[string]any{}
	}
	return body
}
