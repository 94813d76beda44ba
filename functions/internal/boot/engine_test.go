package boot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/query"
)

// TestEngineInsertsAsTheClientSays: Engine hands the client's options to the engine. On a client with
// retryWrites=false and w=majority, a create goes as an insert command (documents right after insert)
// carrying that write concern; on a client that retries, through the driver's InsertOne.
func TestEngineInsertsAsTheClientSays(t *testing.T) {
	for _, c := range []struct {
		query     string
		byCommand bool
	}{{"retryWrites=false&w=majority", true}, {"w=majority", false}} {
		t.Run(c.query, func(t *testing.T) {
			u, err := url.Parse(apptest.URI(t))
			if err != nil {
				t.Fatal(err)
			}
			q, _ := url.ParseQuery(c.query)
			uq := u.Query()
			for k, v := range q {
				uq[k] = v
			}
			u.RawQuery = uq.Encode()
			opts, err := ClientOptions(DBSettings{URI: u.String(), MaxPoolSize: 2}, "test")
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var second, w string
			opts.SetMonitor(&event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
				if e.CommandName != "insert" {
					return
				}
				if coll, _ := e.Command.Lookup("insert").StringValueOK(); coll != "Thing" {
					return
				}
				keys, _ := e.Command.Elements()
				mu.Lock()
				second = keys[1].Key()
				w, _ = e.Command.Lookup("writeConcern", "w").StringValueOK()
				mu.Unlock()
			}})
			client, err := mongo.Connect(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
			cfg := config.Defaults()
			cfg.AppID, cfg.MasterKey = "testapp", "testmaster"
			// The MongoDB capabilities: only the client's retryWrites decides.
			app := Engine(cfg, Database{DB: client.Database(apptest.DB(t).Name()), Caps: query.MongoDB, Client: opts}, Services{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			req := httptest.NewRequest("POST", cfg.MountPath+"/classes/Thing", strings.NewReader(`{"n":1}`))
			req.Header.Set("X-Parse-Application-Id", "testapp")
			req.Header.Set("X-Parse-Master-Key", "testmaster")
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			app.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				t.Fatalf("create: %d %s", rec.Code, rec.Body)
			}
			mu.Lock()
			defer mu.Unlock()
			want := "ordered" // the driver's InsertOne sends the documents in a separate section
			if c.byCommand {
				want = "documents"
			}
			if second != want || w != "majority" {
				t.Errorf("insert: second key %q (want %q), writeConcern w %q (want majority)", second, want, w)
			}
		})
	}
}
