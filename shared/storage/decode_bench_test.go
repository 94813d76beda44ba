package storage_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/storage"
)

// storedGame is one document as Parse Server stores it.
func storedGame(i int) bson.D {
	at := bson.NewDateTimeFromTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Minute))
	return bson.D{
		{Key: "_id", Value: fmt.Sprintf("obj%07d", i)}, {Key: "score", Value: int32(1000 + i)}, {Key: "name", Value: "Sean Plott"},
		{Key: "_p_owner", Value: "_User$XGUl8D5iet"}, {Key: "when", Value: at}, {Key: "where", Value: bson.A{-30.5, 40.25}},
		{Key: "pic", Value: "abc_pic.png"}, {Key: "tags", Value: bson.A{"a", "b", "c"}},
		{Key: "nested", Value: bson.D{{Key: "wins", Value: int32(3)}, {Key: "d", Value: at}, {Key: "p", Value: bson.D{{Key: "__type", Value: "Pointer"}, {Key: "className", Value: "_User"}, {Key: "objectId", Value: "x"}}}}},
		{Key: "_rperm", Value: bson.A{"*", "XGUl8D5iet"}}, {Key: "_wperm", Value: bson.A{"XGUl8D5iet"}},
		{Key: "_acl", Value: bson.D{{Key: "*", Value: bson.D{{Key: "r", Value: true}}}, {Key: "XGUl8D5iet", Value: bson.D{{Key: "r", Value: true}, {Key: "w", Value: true}}}}},
		{Key: "_created_at", Value: at}, {Key: "_updated_at", Value: at},
	}
}

func fileURL(n string) string { return "http://localhost:1337/parse/files/app/" + n }

// BenchmarkDecode20 turns 20 stored documents (as the driver decodes them) into REST objects and
// marshals the find answer {"results": [...]}.
func BenchmarkDecode20(b *testing.B) {
	b.ReportAllocs()
	cls := gameClass()
	docs := make([]bson.M, 20)
	for i := range docs {
		raw, err := bson.Marshal(storedGame(i))
		if err != nil {
			b.Fatal(err)
		}
		if err := bson.Unmarshal(raw, &docs[i]); err != nil {
			b.Fatal(err)
		}
	}
	var size int
	for b.Loop() {
		res := make([]map[string]any, len(docs))
		for i, d := range docs {
			res[i] = storage.Decode(cls, d, fileURL)
		}
		out, err := json.Marshal(map[string]any{"results": res})
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes/answer")
}

// BenchmarkDecode20FromBSON adds the driver's part: BSON bytes → bson.M → REST → JSON.
func BenchmarkDecode20FromBSON(b *testing.B) {
	b.ReportAllocs()
	cls := gameClass()
	raws := make([][]byte, 20)
	for i := range raws {
		var err error
		if raws[i], err = bson.Marshal(storedGame(i)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		res := make([]map[string]any, len(raws))
		for i, r := range raws {
			var d bson.M
			if err := bson.Unmarshal(r, &d); err != nil {
				b.Fatal(err)
			}
			res[i] = storage.Decode(cls, d, fileURL)
		}
		if _, err := json.Marshal(map[string]any{"results": res}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCreate is the write side: a typical create body to its stored form.
func BenchmarkEncodeCreate(b *testing.B) {
	b.ReportAllocs()
	cls := gameClass()
	in := body(b, `{"score":1337,"name":"Sean Plott","owner":{"__type":"Pointer","className":"_User","objectId":"XGUl8D5iet"},
		"when":{"__type":"Date","iso":"2024-01-02T03:04:05.000Z"},"where":{"__type":"GeoPoint","latitude":40.25,"longitude":-30.5},
		"tags":["a","b","c"],"nested":{"wins":3},"ACL":{"*":{"read":true},"XGUl8D5iet":{"read":true,"write":true}}}`)
	for b.Loop() {
		if _, err := storage.Encode(cls, in, true); err != nil {
			b.Fatal(err)
		}
	}
}
