package query_test

import (
	"testing"

	"github.com/parselambda/parselambda/shared/query"
)

func TestParseCaps(t *testing.T) {
	for _, c := range []struct {
		in   string
		want query.Caps
		err  bool
	}{
		{in: "mongodb", want: query.MongoDB},
		{in: " MongoDB ", want: query.MongoDB},
		{in: "documentdb", want: query.DocumentDB},
		{in: "ferretdb", want: query.Caps{Name: "FerretDB"}},
		{in: "FerretDB,+geo", want: query.Caps{Name: "FerretDB", Geo: true}},
		{in: "mongodb -text", want: query.Caps{Geo: true, ElemMatchNin: true, NestedArrays: true, RegexExtended: true}},
		{in: "documentdb,+text,-regexextended", want: query.Caps{Geo: true, GeoJSONOnly: true, Text: true, ElemMatchNin: true, NestedArrays: true}},
		{in: "geo,text,nestedarrays", want: query.Caps{Geo: true, Text: true, NestedArrays: true}},
		{in: "geo, GeoJSONOnly; ElemMatchNin", want: query.Caps{Geo: true, GeoJSONOnly: true, ElemMatchNin: true}},
		{in: "regexextended,name=Cosmos DB", err: true}, // "DB" is not a flag
		{in: "regexextended,name=Cosmos", want: query.Caps{RegexExtended: true, Name: "Cosmos"}},
		{in: "ferretdb,name=FerretDB 2", err: true}, // "2" is not a flag
		{in: "ferretdb,name=FerretDB2", want: query.Caps{Name: "FerretDB2"}},
		{in: "", err: true},
		{in: " , ", err: true},
		{in: "postgres", err: true},
		{in: "geo,mongodb", err: true},
		{in: "+", err: true},
	} {
		got, err := query.ParseCaps(c.in)
		if c.err {
			if err == nil {
				t.Errorf("ParseCaps(%q) = %+v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseCaps(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}
