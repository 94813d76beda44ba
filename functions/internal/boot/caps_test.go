package boot

import (
	"context"
	"testing"

	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/rest"
)

// TestCapsByKind: a deployed DocumentDB gets DocumentDB's capabilities (GeoJSON-only geo, the engine's
// fullText), MongoDB MongoDB's, without asking the server.
func TestCapsByKind(t *testing.T) {
	if c := Caps(context.Background(), KindDocumentDB, nil); c != query.DocumentDB {
		t.Errorf("documentdb: %+v", c)
	}
	if c := Caps(context.Background(), KindMongoDB, nil); c != query.MongoDB {
		t.Errorf("mongodb: %+v", c)
	}
}

// TestInsertByCommandAsDeployed: the functions send creates as insert commands on DocumentDB (they
// connect with retryWrites=false) and keep the driver's retried inserts on MongoDB, unless its URI
// turns retries off.
func TestInsertByCommandAsDeployed(t *testing.T) {
	cases := []struct {
		kind, uri string
		want      bool
	}{
		{KindDocumentDB, "mongodb://u:p@docdb.invalid:27017/", true},
		{KindMongoDB, "mongodb://u:p@mongo.invalid/", false},
		{KindMongoDB, "mongodb://u:p@mongo.invalid/?retryWrites=false", true},
		{KindMongoDB, "mongodb://u:p@mongo.invalid/?w=0&retryWrites=false", false},
	}
	for _, c := range cases {
		o, err := ClientOptions(DBSettings{Kind: c.kind, URI: c.uri, MaxPoolSize: 2}, "test")
		if err != nil {
			t.Fatalf("%s %s: %v", c.kind, c.uri, err)
		}
		if got := rest.Inserter(Caps(context.Background(), c.kind, nil), o).ByCommand; got != c.want {
			t.Errorf("%s %s: ByCommand = %v, want %v", c.kind, c.uri, got, c.want)
		}
	}
}
