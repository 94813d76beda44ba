package query

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Parse Server's full-text fixture (spec/ParseQuery.FullTextSearch.spec.js) with the counts MongoDB
// answers there.
var ftSubjects = []string{"coffee", "Coffee Shopping", "Baking a cake", "baking", "Café Con Leche", "Сырники", "coffee and cream", "Cafe con Leche"}

func TestTextMatchesParseServerFixture(t *testing.T) {
	fields := []TextField{{Path: "subject", Weight: 1}}
	cases := []struct {
		name, term, lang string
		cs, ds           bool
		want             []string
	}{
		{name: "$search", term: "coffee", want: []string{"coffee", "Coffee Shopping", "coffee and cream"}},
		{name: "$language spanish", term: "leche", lang: "spanish", want: []string{"Café Con Leche", "Cafe con Leche"}},
		{name: "$diacriticSensitive", term: "CAFÉ", ds: true, want: []string{"Café Con Leche"}},
		{name: "$diacriticSensitive false", term: "CAFÉ", want: []string{"Café Con Leche", "Cafe con Leche"}},
		{name: "$caseSensitive", term: "Coffee", cs: true, want: []string{"Coffee Shopping"}},
		{name: "stemming", term: "bake", want: []string{"Baking a cake", "baking"}},
		{name: "cyrillic", term: "СЫРНИКИ", want: []string{"Сырники"}},
		// The documents were indexed in English: a Russian stem of the query does not meet them.
		{name: "query language differs from the index", term: "сырники", lang: "russian", want: nil},
		{name: "stop words only", term: "a and the", want: nil},
		{name: "Spanish stop words", term: "con", lang: "spanish", want: nil},
		{name: "not a stop word in English", term: "con", want: []string{"Café Con Leche", "Cafe con Leche"}},
		{name: "negation", term: "coffee -cream", want: []string{"coffee", "Coffee Shopping"}},
		{name: "only negation", term: "-coffee", want: nil},
		{name: "phrase", term: `"coffee shop"`, want: []string{"Coffee Shopping"}},
		{name: "negated phrase", term: `coffee -"and cream"`, want: []string{"coffee", "Coffee Shopping"}},
		{name: "or of terms", term: "cake cream", want: []string{"Baking a cake", "coffee and cream"}},
		// "none" leaves the query unstemmed; the documents keep their English stems.
		{name: "language none", term: "bake", lang: "none", want: []string{"Baking a cake", "baking"}},
		{name: "language none unstemmed", term: "baking", lang: "none", want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := NewTextQuery(c.term, c.lang, c.cs, c.ds, fields)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range ftSubjects {
				if q.Matches(bson.M{"subject": s}) {
					got = append(got, s)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("got %q, want %q", got, c.want)
				}
			}
		})
	}
}

func TestTextScore(t *testing.T) {
	q, _ := NewTextQuery("coffee", "", false, false, []TextField{{Path: "subject", Weight: 1}})
	// MongoDB: "coffee" alone scores 1.0 (one token, coeff 1; the stem "coffe" differs from the raw
	// text, so no boost), "coffee and cream" 0.75 (2 tokens after stop words: coeff 0.75).
	for s, want := range map[string]float64{"coffee": 1, "Coffee Shopping": 0.75, "coffee and cream": 0.75, "coffee coffee": 1.5, "cake": 0} {
		if got := q.Score(bson.M{"subject": s}); got != want {
			t.Errorf("%q: score %v, want %v", s, got, want)
		}
	}
	q2, _ := NewTextQuery("cake", "", false, false, []TextField{{Path: "subject", Weight: 1}})
	if got := q2.Score(bson.M{"subject": "cake"}); got != 1.1 {
		t.Errorf("exact raw term: %v, want 1.1 (the 0.1 boost)", got)
	}
	if _, err := NewTextQuery("x", "klingon", false, false, nil); err == nil {
		t.Error("unknown language accepted")
	}
}
