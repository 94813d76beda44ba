package dbwrite

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
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
		{{Key: "small", Value: 7}, {Key: "neg", Value: -3}, {Key: "big", Value: math.MaxInt32 + 1}, {Key: "low", Value: math.MinInt32 - 1}},
		{{Key: "_acl", Value: bson.D{{Key: "*", Value: bson.D{{Key: "r", Value: true}, {Key: "w", Value: true}}}}}, {Key: "_rperm", Value: bson.A{"*"}}, {Key: "_wperm", Value: bson.A{}}},
		{{Key: "nested", Value: bson.A{bson.A{1.0, "x"}, bson.D{{Key: "k", Value: long}}}}},
		{{Key: "bin", Value: bson.Binary{Subtype: 0, Data: []byte("abc")}}, {Key: "old", Value: bson.Binary{Subtype: 2, Data: []byte("abc")}}},
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
	small := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = bson.D{{Key: "_id", Value: int32(i)}}
		}
		return out
	}
	if !fitsOneCommand(small(maxWriteBatch)) {
		t.Error("100,000 small documents should fit one insert command")
	}
	if fitsOneCommand(small(maxWriteBatch + 1)) {
		t.Error("more documents than a server takes in one write must go through InsertMany, which splits them")
	}
}

// Every REST type a create can carry encodes to a document bsonSize counts exactly, so a batch of
// them goes as one insert command.
func TestBSONSizeOfEncodedREST(t *testing.T) {
	body := map[string]any{
		"s": "text", "n": json.Number("7"), "f": json.Number("1.5"), "b": true, "z": nil,
		"arr":   []any{json.Number("1"), "two", []any{"nested"}},
		"obj":   map[string]any{"k": "v", "deep": map[string]any{"x": json.Number("1")}},
		"when":  map[string]any{"__type": "Date", "iso": "2024-01-02T03:04:05.000Z"},
		"ptr":   map[string]any{"__type": "Pointer", "className": "Other", "objectId": "abc"},
		"inObj": map[string]any{"p": map[string]any{"__type": "Pointer", "className": "Other", "objectId": "abc"}},
		"file":  map[string]any{"__type": "File", "name": "f.txt"},
		"geo":   map[string]any{"__type": "GeoPoint", "latitude": json.Number("1"), "longitude": json.Number("2")},
		"bytes": map[string]any{"__type": "Bytes", "base64": "aGVsbG8="},
		"count": map[string]any{"__op": "Increment", "amount": json.Number("2")},
		"tags":  map[string]any{"__op": "AddUnique", "objects": []any{"a", "a", "b"}},
		"ACL":   map[string]any{"*": map[string]any{"read": true}, "u1": map[string]any{"read": true, "write": true}},
	}
	w, err := storage.Encode(&schema.Class{Name: "Thing"}, body, true)
	if err != nil {
		t.Fatal(err)
	}
	d := append(bson.D{{Key: "_id", Value: "AbCdEfGh12"}}, w.Set...)
	want, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := bsonSize(d); !ok || got != len(want) {
		t.Fatalf("bsonSize = %d, %v; the driver writes %d bytes of %v", got, ok, len(want), d)
	}
	if !fitsOneCommand([]any{d}) {
		t.Fatal("a document of every REST type should go as one insert command")
	}
}

// The insert command's writeConcern is the driver's, and a write concern the driver refuses sends the
// write through the driver, which then fails it as it fails its own writes.
func TestWriteConcernField(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name string
		wc   *writeconcern.WriteConcern
		want string // the field as extended JSON; "" none
		ok   bool
	}{
		{"none", nil, "", true},
		{"empty", &writeconcern.WriteConcern{}, "", true},
		{"w=1", &writeconcern.WriteConcern{W: 1}, `{"w": {"$numberInt":"1"}}`, true},
		{"majority, journal", &writeconcern.WriteConcern{W: "majority", Journal: &yes}, `{"w": "majority","j": true}`, true},
		{"journal off", &writeconcern.WriteConcern{Journal: &no}, `{"j": false}`, true},
		{"w=0", &writeconcern.WriteConcern{W: 0}, `{"w": {"$numberInt":"0"}}`, true},
		{"w=0 with journal", &writeconcern.WriteConcern{W: 0, Journal: &yes}, "", false},
		{"negative w", &writeconcern.WriteConcern{W: -1}, "", false},
		{"w past int32", &writeconcern.WriteConcern{W: math.MaxInt32 + 1}, "", false},
		{"int64 w", &writeconcern.WriteConcern{W: int64(1)}, "", false},
	}
	for _, c := range cases {
		f, ok := writeConcernField(c.wc)
		got := ""
		if f != nil {
			got = f.String()
		}
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %s, %v; want %s, %v", c.name, got, ok, c.want, c.ok)
		}
		if _, byCmd := (Inserter{ByCommand: true, WriteConcern: c.wc}).command([]any{bson.D{}}); byCmd != c.ok {
			t.Errorf("%s: insert command %v, want %v", c.name, byCmd, c.ok)
		}
	}
}
