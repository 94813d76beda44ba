package storage_test

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

// slowJSON is the reference: the driver's bson.M, Decode, encoding/json (as the map path answers).
func slowJSON(tb testing.TB, cls *schema.Class, raw bson.Raw) ([]byte, bool) {
	tb.Helper()
	var m bson.M
	if err := bson.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(storage.Decode(cls, m, fileURL))
	return out, err == nil
}

func sameJSON(tb testing.TB, want, got []byte) {
	tb.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		tb.Fatalf("reference JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		tb.Fatalf("AppendJSON wrote invalid JSON %s: %v", got, err)
	}
	if !reflect.DeepEqual(w, g) {
		tb.Fatalf("AppendJSON differs from Decode:\n got  %s\n want %s", got, want)
	}
}

func TestAppendJSONMatchesDecode(t *testing.T) {
	at := bson.NewDateTimeFromTime(time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC))
	oid := bson.NewObjectID()
	docs := map[string]bson.D{
		"game":      storedGame(7),
		"object id": {{Key: "_id", Value: oid}, {Key: "ref", Value: oid}},
		"numbers": {{Key: "_id", Value: "n"}, {Key: "i32", Value: int32(-5)}, {Key: "i64", Value: int64(1) << 60}, {Key: "f", Value: 0.1},
			{Key: "tiny", Value: 1e-9}, {Key: "huge", Value: 1e22}, {Key: "neg", Value: -2.5e-7}, {Key: "z", Value: 0.0}, {Key: "big", Value: 123456789.0}},
		"strings": {{Key: "_id", Value: "s"}, {Key: "name", Value: "quote\" back\\ nl\n tab\t ctl\x01 html<>& é 日本 \u2028\u2029 bad\xff end"}},
		"empty and null": {{Key: "_id", Value: "e"}, {Key: "arr", Value: bson.A{}}, {Key: "nested", Value: bson.D{}}, {Key: "nil", Value: nil},
			{Key: "t", Value: true}, {Key: "f", Value: false}},
		"typed values": {{Key: "_id", Value: "t"}, {Key: "blob", Value: "aGVsbG8="}, {Key: "bin", Value: bson.Binary{Data: []byte{0, 1, 2, 250}}},
			{Key: "when", Value: at}, {Key: "legacy", Value: bson.D{{Key: "__type", Value: "Date"}, {Key: "iso", Value: at}}},
			{Key: "dec", Value: bson.NewDecimal128(1, 2)}, {Key: "pic", Value: "f_a b.png"}, {Key: "where", Value: bson.A{int32(3), 4.5}}},
		"dates": {{Key: "_id", Value: "dt"}, {Key: "a", Value: bson.DateTime(-1)}, {Key: "b", Value: bson.DateTime(-62135596800001)},
			{Key: "c", Value: bson.DateTime(253402300800005)}, {Key: "d", Value: bson.DateTime(951782400123)}, {Key: "_created_at", Value: bson.DateTime(-5)}},
		"geo not a pair": {{Key: "_id", Value: "g"}, {Key: "where", Value: bson.A{1.0, 2.0, 3.0}}},
		"geo strings":    {{Key: "_id", Value: "g2"}, {Key: "where", Value: bson.A{"a", "b"}}},
		"times as strings and odd types": {{Key: "_id", Value: "ts"}, {Key: "_created_at", Value: "2020-01-01T00:00:00.000Z"},
			{Key: "updatedAt", Value: at}, {Key: "_updated_at_x", Value: 1}},
		"time of another type dropped": {{Key: "_id", Value: "tt"}, {Key: "_created_at", Value: int32(5)}},
		"acl":                          {{Key: "_id", Value: "a"}, {Key: "_rperm", Value: bson.A{"*", "u1", "u1", int32(3)}}, {Key: "_wperm", Value: bson.A{"u1", "role:x"}}},
		"acl null":                     {{Key: "_id", Value: "an"}, {Key: "_rperm", Value: nil}},
		"acl write only":               {{Key: "_id", Value: "aw"}, {Key: "_wperm", Value: bson.A{}}},
		"pointers": {{Key: "_id", Value: "p"}, {Key: "_p_owner", Value: "_User$u1"}, {Key: "_p_bad", Value: "nodollar"},
			{Key: "_p_num", Value: int32(1)}, {Key: "_p_name", Value: "X$y"}, {Key: "_p_other", Value: "Game$g1"}},
		"hidden columns": {{Key: "_id", Value: "h"}, {Key: "_hashed_password", Value: "x"}, {Key: "_acl", Value: bson.D{}},
			{Key: "_session_token", Value: "r:abc"}, {Key: "_email_verify_token", Value: "t"}},
		"deep": {{Key: "_id", Value: "d"}, {Key: "nested", Value: bson.D{{Key: "a", Value: bson.A{bson.D{{Key: "b", Value: bson.A{at, oid, nil}}}}},
			{Key: "ptr", Value: bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: "X"}, {Key: "objectId", Value: "1"}}}}}},
		"no id": {{Key: "score", Value: 1}},
	}
	cls := gameClass()
	for name, d := range docs {
		t.Run(name, func(t *testing.T) {
			raw, err := bson.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := slowJSON(t, cls, raw)
			if !ok {
				t.Fatal("reference could not encode")
			}
			got, ok := storage.AppendJSON([]byte("prefix"), cls, raw, fileURL)
			if !ok {
				t.Fatal("AppendJSON fell back")
			}
			if string(got[:6]) != "prefix" {
				t.Fatalf("dst prefix lost: %q", got)
			}
			sameJSON(t, want, got[6:])
		})
	}
	sess := class(nil)
	sess.Name = "_Session"
	raw, _ := bson.Marshal(bson.D{{Key: "_id", Value: "s1"}, {Key: "_session_token", Value: "r:abc"}})
	want, _ := slowJSON(t, sess, raw)
	got, ok := storage.AppendJSON(nil, sess, raw, fileURL)
	if !ok {
		t.Fatal("_Session fell back")
	}
	sameJSON(t, want, got)
}

// The cases only Decode handles: AppendJSON says so and leaves dst alone.
func TestAppendJSONFallsBack(t *testing.T) {
	cls := gameClass()
	poly := class(map[string]schema.Field{"area": {Type: schema.Polygon}})
	user := class(nil)
	user.Name = "_User"
	cases := map[string]struct {
		cls *schema.Class
		doc bson.D
	}{
		"user class":        {user, bson.D{{Key: "_id", Value: "u"}}},
		"polygon":           {poly, bson.D{{Key: "_id", Value: "p"}, {Key: "area", Value: bson.D{{Key: "type", Value: "Polygon"}}}}},
		"regex":             {cls, bson.D{{Key: "_id", Value: "r"}, {Key: "x", Value: bson.Regex{Pattern: "a", Options: "i"}}}},
		"timestamp":         {cls, bson.D{{Key: "_id", Value: "ts"}, {Key: "x", Value: bson.Timestamp{T: 1, I: 2}}}},
		"NaN":               {cls, bson.D{{Key: "_id", Value: "n"}, {Key: "x", Value: math.NaN()}}},
		"infinity in array": {cls, bson.D{{Key: "_id", Value: "i"}, {Key: "x", Value: bson.A{math.Inf(1)}}}},
		"renamed collision": {cls, bson.D{{Key: "_id", Value: "c"}, {Key: "_created_at", Value: bson.DateTime(0)}, {Key: "createdAt", Value: "x"}}},
		"pointer collision": {cls, bson.D{{Key: "_id", Value: "c"}, {Key: "_p_owner", Value: "_User$a"}, {Key: "owner", Value: "x"}}},
		"stored relation":   {cls, bson.D{{Key: "_id", Value: "c"}, {Key: "players", Value: "x"}}},
		"nested duplicate":  {cls, bson.D{{Key: "_id", Value: "c"}, {Key: "nested", Value: bson.D{{Key: "a", Value: 1}, {Key: "a", Value: 2}}}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			raw, err := bson.Marshal(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := storage.AppendJSON([]byte("x"), c.cls, raw, fileURL)
			if ok || string(got) != "x" {
				t.Fatalf("AppendJSON = %q, %v; want a fall-back with dst unchanged", got, ok)
			}
		})
	}
	if _, ok := storage.AppendJSON(nil, cls, bson.Raw{5, 0, 0, 0}, fileURL); ok {
		t.Fatal("a truncated document was encoded")
	}
}

// FuzzAppendJSON: whatever BSON arrives, AppendJSON either falls back or writes what Decode writes.
func FuzzAppendJSON(f *testing.F) {
	for i := range 3 {
		raw, _ := bson.Marshal(storedGame(i))
		f.Add([]byte(raw))
	}
	raw, _ := bson.Marshal(bson.D{{Key: "_id", Value: "x"}, {Key: "nested", Value: bson.D{{Key: "a", Value: bson.A{1.5, "s", nil}}}}})
	f.Add([]byte(raw))
	cls := gameClass()
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := storage.AppendJSON(nil, cls, data, fileURL)
		if !ok {
			return
		}
		if err := bson.Raw(data).Validate(); err != nil {
			t.Fatalf("encoded invalid BSON: %v", err)
		}
		var m bson.M
		if err := bson.Unmarshal(data, &m); err != nil {
			return // the driver refuses it; AppendJSON's answer is still valid JSON
		}
		want, err := json.Marshal(storage.Decode(cls, m, fileURL))
		if err != nil {
			t.Fatalf("AppendJSON encoded what encoding/json refuses: %s", got)
		}
		sameJSON(t, want, got)
	})
}

// BenchmarkAppendJSON20 is BenchmarkDecode20FromBSON's work on the fast path: 20 stored documents
// as BSON bytes → the find answer {"results": [...]}.
func BenchmarkAppendJSON20(b *testing.B) {
	b.ReportAllocs()
	cls := gameClass()
	raws := make([]bson.Raw, 20)
	for i := range raws {
		raws[i], _ = bson.Marshal(storedGame(i))
	}
	var buf []byte
	for b.Loop() {
		buf = append(buf[:0], `{"results":[`...)
		for i, r := range raws {
			if i > 0 {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = storage.AppendJSON(buf, cls, r, fileURL); !ok {
				b.Fatal("fell back")
			}
		}
		buf = append(buf, "]}"...)
	}
	b.ReportMetric(float64(len(buf)), "bytes/answer")
}
