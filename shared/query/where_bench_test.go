package query_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/parselambda/parselambda/shared/query"
)

// sdkFindBody is what the JS SDK sends for a typical query (POST with _method GET): $in, $gte, a
// startsWith regex, pointer equality and an $or.
const sdkFindBody = `{"where":{"playerName":{"$in":["Sean Plott","Jo","Ann","Bob"]},"score":{"$gte":1000},` +
	`"name":{"$regex":"^\\Qsea\\E","$options":"i"},"owner":{"__type":"Pointer","className":"_User","objectId":"XGUl8D5iet"},` +
	`"$or":[{"cheatMode":false},{"level":{"$gt":3}}]},"limit":20,"order":"-score,playerName","keys":"score,playerName,owner","include":"owner"}`

// BenchmarkWhereToFilter is the request path before the database: the JSON body decoded as the
// server does (UseNumber), the find options read, and where translated to a MongoDB filter.
func BenchmarkWhereToFilter(b *testing.B) {
	b.ReportAllocs()
	cls := gameScore()
	raw := []byte(sdkFindBody)
	ctx := context.Background()
	for b.Loop() {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var body map[string]any
		if err := d.Decode(&body); err != nil {
			b.Fatal(err)
		}
		opts, err := query.ParseFind(body)
		if err != nil {
			b.Fatal(err)
		}
		tr := query.Translator{Class: cls, Resolver: failResolver{b}, Caps: query.MongoDB}
		if _, err := tr.Filter(ctx, opts.Where); err != nil {
			b.Fatal(err)
		}
		if _, err := query.Sort(cls, opts.Order); err != nil {
			b.Fatal(err)
		}
		_ = query.Projection(cls, opts.Keys)
	}
}

// BenchmarkTranslateOnly is the translation of an already decoded where.
func BenchmarkTranslateOnly(b *testing.B) {
	b.ReportAllocs()
	cls := gameScore()
	var body map[string]any
	d := json.NewDecoder(bytes.NewReader([]byte(sdkFindBody)))
	d.UseNumber()
	if err := d.Decode(&body); err != nil {
		b.Fatal(err)
	}
	where := body["where"].(map[string]any)
	ctx := context.Background()
	for b.Loop() {
		tr := query.Translator{Class: cls, Resolver: failResolver{b}, Caps: query.MongoDB}
		if _, err := tr.Filter(ctx, where); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch is the engine's matcher (used where the database cannot evaluate a clause) on one
// stored document.
func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	tr := query.Translator{Class: gameScore(), Resolver: failResolver{b}, Caps: query.MongoDB}
	f, err := tr.Filter(context.Background(), jsonWhere(b, `{"score":{"$gte":5},"playerName":{"$regex":"^sean","$options":"i"},"tags":{"$in":["b"]},"$or":[{"cheatMode":false},{"level":{"$gt":3}}]}`))
	if err != nil {
		b.Fatal(err)
	}
	doc := storedDocs()[0]
	for b.Loop() {
		if !query.Match(f, doc) {
			b.Fatal("no match")
		}
	}
}
