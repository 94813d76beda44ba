package objects

import (
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// bsonSize counts what the driver writes, byte for byte, for the values a stored document holds.
func TestBSONSizeMatchesTheDriver(t *testing.T) {
	now := bson.NewDateTimeFromTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	long := make(bson.A, 12) // two-digit array keys
	for i := range long {
		long[i] = int64(i)
	}
	for _, d := range []bson.D{
		{},
		{{Key: "_id", Value: "AbCdEfGh12"}, {Key: "s", Value: "héllo"}, {Key: "b", Value: true}, {Key: "n", Value: nil}},
		{{Key: "f", Value: 1.5}, {Key: "i", Value: int64(7)}, {Key: "j", Value: int32(-3)}, {Key: "t", Value: now}, {Key: "o", Value: bson.NewObjectID()}},
		{{Key: "_acl", Value: bson.D{{Key: "*", Value: bson.D{{Key: "r", Value: true}, {Key: "w", Value: true}}}}}, {Key: "_rperm", Value: bson.A{"*"}}, {Key: "_wperm", Value: bson.A{}}},
		{{Key: "nested", Value: bson.A{bson.A{1.0, "x"}, bson.D{{Key: "k", Value: long}}}}},
	} {
		want, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := bsonSize(d); !ok || got != len(want) {
			t.Errorf("bsonSize(%v) = %d, %v; the driver writes %d bytes", d, got, ok, len(want))
		}
	}
	if _, ok := bsonSize(bson.D{{Key: "m", Value: map[string]any{"a": 1}}}); ok {
		t.Error("a type storage.Encode does not build must not be counted")
	}
}

// A batch whose documents would pass a server's 16 MiB command limit goes through InsertMany.
func TestFitsOneCommand(t *testing.T) {
	mb := strings.Repeat("x", 1<<20)
	docs := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = bson.D{{Key: "_id", Value: "id"}, {Key: "blob", Value: mb}}
		}
		return out
	}
	if !fitsOneCommand(docs(11)) {
		t.Error("11 MiB of documents should fit one insert command")
	}
	if fitsOneCommand(docs(13)) {
		t.Error("13 MiB of documents must go through InsertMany")
	}
	if fitsOneCommand([]any{bson.D{{Key: "m", Value: map[string]any{}}}}) {
		t.Error("a document of a type not counted must go through InsertMany")
	}
}
