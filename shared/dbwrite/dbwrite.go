// Package dbwrite inserts documents the way the engine needs: with the driver's InsertOne and
// InsertMany, or, where the driver would not retry a write anyway, as insert commands the engine sends
// itself.
//
// Why: InsertOne and InsertMany look for each document's _id (the engine always sets it) by decoding the
// document again, each time through a new 4 KB bufio.Reader: a third of the bytes a sign-up and login
// allocate, 38% of a batch of 20 creates' (BenchmarkRequest, BenchmarkBatch20Creates in shared/rest).
// RunCommand sends the documents as they are. It never retries, so it is used only where the client
// would not retry either (rest.Inserter decides).
package dbwrite

import (
	"context"
	"errors"
	"math"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
)

// Inserter inserts documents whose _id is set.
type Inserter struct {
	// ByCommand sends insert commands with RunCommand instead of InsertOne/InsertMany. Set it only where
	// the driver would not retry the write.
	ByCommand bool
	// WriteConcern is the client's (MONGODB_URI's w and journal), which the driver adds to the
	// operations it builds but not to a RunCommand; nil sends none (the server's default).
	WriteConcern *writeconcern.WriteConcern
}

// command tells whether docs go as an insert command, and with which writeConcern field: ByCommand is
// set, the driver would send the write concern (it refuses some, and so then does InsertOne or
// InsertMany), and docs fit in one command.
func (in Inserter) command(docs []any) (wc bson.Raw, ok bool) {
	if !in.ByCommand {
		return nil, false
	}
	if wc, ok = writeConcernField(in.WriteConcern); !ok {
		return nil, false
	}
	return wc, fitsOneCommand(docs)
}

// InsertOne inserts doc into coll. A write error comes back as a mongo.WriteException, as InsertOne's.
func (in Inserter) InsertOne(ctx context.Context, coll *mongo.Collection, doc any) error {
	wc, ok := in.command([]any{doc})
	if !ok {
		_, err := coll.InsertOne(ctx, doc)
		return err
	}
	return insertCommand(ctx, coll, bson.A{doc}, true, wc)
}

// InsertMany inserts docs into coll, unordered. Write errors come back as InsertMany reports them: a
// mongo.BulkWriteException whose indexes are into docs.
func (in Inserter) InsertMany(ctx context.Context, coll *mongo.Collection, docs []any) error {
	wc, ok := in.command(docs)
	if !ok {
		_, err := coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		return err
	}
	err := insertCommand(ctx, coll, bson.A(docs), false, wc)
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

// insertCommand sends one insert command. The driver reports the write errors of its reply (and a write
// concern error) as a mongo.WriteException.
func insertCommand(ctx context.Context, coll *mongo.Collection, docs bson.A, ordered bool, wc bson.Raw) error {
	cmd := bson.D{{Key: "insert", Value: coll.Name()}, {Key: "documents", Value: docs}, {Key: "ordered", Value: ordered}}
	if wc != nil {
		cmd = append(cmd, bson.E{Key: "writeConcern", Value: wc})
	}
	return coll.Database().RunCommand(ctx, cmd).Err()
}

// writeConcernField is wc as the driver writes it into the commands it builds
// (driver.MarshalBSONWriteConcern), nil when it sends none; ok is false for a write concern the driver
// refuses (w negative, past int32, or neither an int nor a string; w=0 with journal).
func writeConcernField(wc *writeconcern.WriteConcern) (field bson.Raw, ok bool) {
	_, data, err := driver.MarshalBSONWriteConcern(wc, 0)
	switch {
	case errors.Is(err, driver.ErrEmptyWriteConcern): // neither w nor journal: the driver sends none
		return nil, true
	case err != nil:
		return nil, false
	}
	return bson.Raw(data), true
}

// maxCommand bounds the documents sent in one insert command: a command is one BSON document, which
// servers take up to 16 MiB, where InsertMany sends its documents beside the command, 48 MB at a time.
const maxCommand = 12 << 20

// maxWriteBatch is the most documents a server takes in one write command (maxWriteBatchSize of
// MongoDB 3.6 and later); InsertMany splits larger batches, one command does not.
const maxWriteBatch = 100_000

// fitsOneCommand tells whether docs (bson.D of the types storage.Encode builds) encode within
// maxCommand, and are no more than maxWriteBatch.
func fitsOneCommand(docs []any) bool {
	if len(docs) > maxWriteBatch {
		return false
	}
	total := 0
	for _, d := range docs {
		n, ok := bsonSize(d)
		if total += n; !ok || total > maxCommand {
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
	case int: // the driver writes an int as int32 when it fits
		if int64(t) >= math.MinInt32 && int64(t) <= math.MaxInt32 {
			return 4, true
		}
		return 8, true
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
