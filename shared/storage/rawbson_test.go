package storage_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/storage"
)

// MarshalDoc writes the bytes bson.Marshal writes, for everything Encode builds and for what it
// leaves to bson.Marshal.
func TestMarshalDocMatchesDriver(t *testing.T) {
	long := make(bson.A, 70)
	for i := range long {
		long[i] = int32(i)
	}
	docs := map[string]bson.D{
		"game": storedGame(3),
		"scalars": {{Key: "s", Value: "é\x01"}, {Key: "i32", Value: int32(-7)}, {Key: "i64", Value: int64(1) << 40}, {Key: "int", Value: 5},
			{Key: "bigint", Value: math.MaxInt64}, {Key: "f", Value: 0.25}, {Key: "nan", Value: math.NaN()}, {Key: "t", Value: true}, {Key: "nil", Value: nil},
			{Key: "date", Value: bson.NewDateTimeFromTime(time.Unix(1700000000, 5e6))}, {Key: "oid", Value: bson.NewObjectID()},
			{Key: "bin", Value: bson.Binary{Subtype: 0, Data: []byte{1, 2}}}, {Key: "", Value: "empty key"}},
		"nested":         {{Key: "a", Value: bson.A{bson.D{{Key: "b", Value: []any{"x", nil, bson.A{}}}}, long}}, {Key: "d", Value: bson.D{}}},
		"fallback types": {{Key: "m", Value: bson.M{"k": "v"}}, {Key: "re", Value: bson.Regex{Pattern: "a"}}, {Key: "u", Value: uint8(3)}},
		"empty":          {},
	}
	for name, d := range docs {
		t.Run(name, func(t *testing.T) {
			want, err := bson.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := storage.MarshalDoc(d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("MarshalDoc:\n got  %v\n want %v", bson.Raw(got), bson.Raw(want))
			}
		})
	}
	// A key bson.Marshal refuses is refused the same way.
	if _, err := storage.MarshalDoc(bson.D{{Key: "a\x00b", Value: 1}}); err == nil {
		t.Fatal("a key with a NUL byte was encoded")
	}
}

func BenchmarkMarshalDoc(b *testing.B) {
	d := storedGame(1)
	b.Run("MarshalDoc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := storage.MarshalDoc(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bson.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bson.Marshal(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
