package boot

import (
	"context"
	"testing"

	"github.com/parselambda/parselambda/shared/query"
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
