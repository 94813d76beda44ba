package rest_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/dbwrite"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/rest"
)

// Where batch creates may go as one insert command: only where the driver would not retry the write
// either, and only for acknowledged writes.
func TestInsertByCommandWhereTheDriverWouldNotRetry(t *testing.T) {
	uri := func(q string) *options.ClientOptions { return options.Client().ApplyURI("mongodb://db.invalid/" + q) }
	cases := []struct {
		name string
		caps query.Caps
		opts *options.ClientOptions
		want bool
	}{
		{"FerretDB, a standalone server", query.Caps{Name: "FerretDB 1.24.2"}, uri(""), true},
		{"MongoDB, retryable writes (the driver's default)", query.MongoDB, uri(""), false},
		{"MongoDB with retryWrites=false", query.MongoDB, uri("?retryWrites=false"), true},
		{"DocumentDB as the functions connect (retryWrites=false)", query.DocumentDB, uri("?retryWrites=false"), true},
		{"DocumentDB's capabilities on a client that retries", query.DocumentDB, uri(""), false},
		{"FerretDB with w=0: no per-object errors", query.Caps{Name: "FerretDB"}, uri("?w=0"), false},
		{"w=0 without retries", query.MongoDB, uri("?retryWrites=false&w=0"), false},
		{"FerretDB with w=majority", query.Caps{Name: "FerretDB"}, uri("?w=majority"), true},
		{"no client options", query.Caps{Name: "FerretDB"}, nil, false},
	}
	for _, c := range cases {
		if got := rest.Inserter(c.caps, c.opts).ByCommand; got != c.want {
			t.Errorf("%s: ByCommand = %v, want %v", c.name, got, c.want)
		}
	}
	// The commands carry the client's write concern.
	if wc := rest.Inserter(query.Caps{Name: "FerretDB"}, uri("?w=majority")).WriteConcern; wc == nil || wc.W != "majority" {
		t.Errorf("w=majority: the inserter's write concern is %+v", wc)
	}
}

// The insert commands of a create and of a batch carry the client's write concern (MONGODB_URI's w
// and journal) exactly as the driver sends it with its own InsertOne.
func TestBatchInsertCommandCarriesTheClientsWriteConcern(t *testing.T) {
	for _, wc := range []url.Values{{"w": {"majority"}, "journal": {"true"}}, {"w": {"1"}}} {
		t.Run(wc.Encode(), func(t *testing.T) { batchWriteConcern(t, wc) })
	}
}

func batchWriteConcern(t *testing.T, wc url.Values) {
	u, err := url.Parse(apptest.URI(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range wc {
		q[k] = v
	}
	u.RawQuery = q.Encode()

	var inserts apptest.Inserts
	opts := options.Client().ApplyURI(u.String()).SetMonitor(inserts.Monitor())
	client, err := mongo.Connect(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	db := client.Database(apptest.DB(t).Name())
	env := apptest.NewWith(t, nil, func(o *rest.Options) {
		o.DB = db
		o.Insert = dbwrite.Inserter{ByCommand: true, WriteConcern: opts.WriteConcern}
	})

	// The reference: the driver's own InsertOne on the same client.
	if _, err := db.Collection("Driver").InsertOne(context.Background(), bson.D{{Key: "_id", Value: "ref"}}); err != nil {
		t.Fatal(err)
	}
	env.MustCreate("Single", obj{"n": 0}) // a create: one insert command
	r := env.Do(apptest.Req{Method: "POST", Path: "/batch", Master: true, Body: batchOf(creates("Game", 3)...)})
	if r.Status != 200 || strings.Count(string(r.Raw), `"success"`) != 3 {
		t.Fatalf("batch: %d %s", r.Status, r.Raw)
	}
	if n, err := db.Collection("Game").CountDocuments(context.Background(), bson.D{}); err != nil || n != 3 {
		t.Fatalf("Game holds %d objects (%v), want 3", n, err)
	}
	driver := inserts.Of("Driver")
	if len(driver) != 1 || driver[0].WriteConcern == nil || driver[0].ByCommand {
		t.Fatalf("the driver's InsertOne: %+v; want one insert with the URI's writeConcern, sent by the driver", driver)
	}
	for _, coll := range []string{"Single", "Game"} {
		ours := inserts.Of(coll)
		if len(ours) != 1 || !ours[0].ByCommand {
			t.Fatalf("%s: %+v; want one insert sent as the engine's command", coll, ours)
		}
		if !bytesEqual(driver[0].WriteConcern, ours[0].WriteConcern) {
			t.Errorf("%s: insert command writeConcern %v, the driver's %v", coll, ours[0].WriteConcern, driver[0].WriteConcern)
		}
	}
}

func bytesEqual(a, b bson.Raw) bool { return string(a) == string(b) }
