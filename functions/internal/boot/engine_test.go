package boot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

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
			var inserts apptest.Inserts
			opts.SetMonitor(inserts.Monitor())
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
			seen := inserts.Of("Thing")
			if len(seen) != 1 {
				t.Fatalf("%d inserts into Thing, want 1", len(seen))
			}
			w, _ := seen[0].WriteConcern.Lookup("w").StringValueOK()
			if seen[0].ByCommand != c.byCommand || w != "majority" {
				t.Errorf("insert: as the engine's command %v (want %v), writeConcern w %q (want majority)", seen[0].ByCommand, c.byCommand, w)
			}
		})
	}
}
