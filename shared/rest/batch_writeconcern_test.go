package rest_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/apptest"
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
		if got := rest.InsertByCommand(c.caps, c.opts); got != c.want {
			t.Errorf("%s: InsertByCommand = %v, want %v", c.name, got, c.want)
		}
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

	var mu sync.Mutex
	sent := map[string]bson.Raw{} // collection → writeConcern of its last insert
	second := map[string]string{} // collection → the second key of its last insert: which path sent it
	opts := options.Client().ApplyURI(u.String()).SetMonitor(&event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName != "insert" {
			return
		}
		coll, _ := e.Command.Lookup("insert").StringValueOK()
		wc, _ := e.Command.Lookup("writeConcern").DocumentOK()
		keys, _ := e.Command.Elements()
		mu.Lock()
		sent[coll] = wc
		second[coll] = keys[1].Key()
		mu.Unlock()
	}})
	client, err := mongo.Connect(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	db := client.Database(apptest.DB(t).Name())
	env := apptest.NewWith(t, nil, func(o *rest.Options) {
		o.DB = db
		o.InsertByCommand = true
		o.WriteConcern = opts.WriteConcern
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
	mu.Lock()
	defer mu.Unlock()
	driver := sent["Driver"]
	if driver == nil {
		t.Fatalf("the driver's InsertOne sent no writeConcern: the URI's w and journal did not reach the client")
	}
	for _, coll := range []string{"Single", "Game"} {
		if !bytesEqual(driver, sent[coll]) {
			t.Errorf("%s: insert command writeConcern %v, the driver's %v", coll, sent[coll], driver)
		}
		// RunCommand sends the command as built (insert, documents, …); the driver's own insert puts
		// the documents in a separate section, after ordered.
		if second[coll] != "documents" || second["Driver"] != "ordered" {
			t.Errorf("%s: second keys %q (ours) and %q (the driver's): the insert did not go as a command", coll, second[coll], second["Driver"])
		}
	}
}

func bytesEqual(a, b bson.Raw) bool { return string(a) == string(b) }
