package dbwrite_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/dbwrite"
)

// Both ways of inserting store the same documents and report the same errors, with the same types and
// indexes: what the engine maps to Parse's answers (137 for a duplicate, one answer per object).
func TestInsertersAgree(t *testing.T) {
	for _, byCommand := range []bool{false, true} {
		t.Run(fmt.Sprintf("byCommand=%v", byCommand), func(t *testing.T) {
			ctx := context.Background()
			var inserts apptest.Inserts
			client, err := mongo.Connect(options.Client().ApplyURI(apptest.URI(t)).SetMonitor(inserts.Monitor()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Disconnect(ctx) })
			coll := client.Database(apptest.DB(t).Name()).Collection("Thing")
			in := dbwrite.Inserter{ByCommand: byCommand}

			if err := in.InsertOne(ctx, coll, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: int64(1)}}); err != nil {
				t.Fatalf("InsertOne: %v", err)
			}
			err = in.InsertOne(ctx, coll, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: int64(2)}})
			var we mongo.WriteException
			if !errors.As(err, &we) || !mongo.IsDuplicateKeyError(err) || len(we.WriteErrors) != 1 {
				t.Fatalf("InsertOne of a taken _id: %T %v, want a WriteException with one duplicate key error", err, err)
			}

			docs := []any{
				bson.D{{Key: "_id", Value: "b"}},
				bson.D{{Key: "_id", Value: "a"}}, // taken
				bson.D{{Key: "_id", Value: "c"}},
				bson.D{{Key: "_id", Value: "b"}}, // taken by the first of this batch
				bson.D{{Key: "_id", Value: "d"}},
			}
			err = in.InsertMany(ctx, coll, docs)
			var bwe mongo.BulkWriteException
			if !errors.As(err, &bwe) {
				t.Fatalf("InsertMany with duplicates: %T %v, want a BulkWriteException", err, err)
			}
			var at []int
			for _, e := range bwe.WriteErrors {
				if e.Code != 11000 {
					t.Errorf("write error %d: code %d, want 11000", e.Index, e.Code)
				}
				at = append(at, e.Index)
			}
			if fmt.Sprint(at) != "[1 3]" {
				t.Errorf("write errors at %v, want [1 3] (unordered: the others are stored)", at)
			}
			var stored []bson.M
			cur, err := coll.Find(ctx, bson.D{})
			if err != nil {
				t.Fatal(err)
			}
			if err := cur.All(ctx, &stored); err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for _, d := range stored {
				ids[d["_id"].(string)] = true
			}
			if len(stored) != 4 || !ids["a"] || !ids["b"] || !ids["c"] || !ids["d"] {
				t.Errorf("stored %v, want a, b, c, d", stored)
			}
			if err := in.InsertMany(ctx, coll, []any{bson.D{{Key: "_id", Value: "e"}}}); err != nil {
				t.Errorf("InsertMany without conflicts: %v", err)
			}
			seen := inserts.Of("Thing")
			if len(seen) != 4 {
				t.Fatalf("%d insert commands, want 4", len(seen))
			}
			for i, s := range seen {
				if s.ByCommand != byCommand {
					t.Errorf("insert %d: sent as the engine's command %v, want %v", i, s.ByCommand, byCommand)
				}
			}
		})
	}
}
