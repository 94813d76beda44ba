package main

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/dbwrite"
)

// The raw line writes as our server does on FerretDB: every create, user and session goes as an insert
// command the engine builds (shared/dbwrite), not through the driver's InsertOne/InsertMany, so that the
// floor compares like with like.
func TestRawLineSendsInsertCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ferret := testFerret(ctx, t)
	var inserts apptest.Inserts
	c, err := mongo.Connect(options.Client().ApplyURI(ferret.uri).SetMonitor(inserts.Monitor()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	r := &rawDriver{client: c, db: c.Database("raw_test"), insert: dbwrite.Inserter{ByCommand: true}}
	rnd := rand.New(rand.NewPCG(1, 2))
	if err := r.Create(ctx, rnd, "ref"); err != nil {
		t.Fatal(err)
	}
	if err := r.Batch(ctx, rnd, 3, "ref"); err != nil {
		t.Fatal(err)
	}
	if err := r.SignUpLogin(ctx, "raw-user", "raw-password"); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{newClass: 2, "_User": 1, "_Session": 2}
	for coll, n := range want {
		seen := inserts.Of(coll)
		if len(seen) != n {
			t.Errorf("%s: %d inserts, want %d", coll, len(seen), n)
		}
		for i, s := range seen {
			if !s.ByCommand {
				t.Errorf("%s insert %d: sent through the driver, not as a command", coll, i)
			}
		}
	}
}
