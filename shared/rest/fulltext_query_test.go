package rest_test

// Full-text search through the handler. The fixture and the expected counts are Parse Server's
// (spec/ParseQuery.FullTextSearch.spec.js, run on MongoDB); the embedded FerretDB has no text index,
// so the engine answers there with MongoDB's tokenizing, stop words, stemming and textScore.

import (
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
)

func fullTextWorld(t *testing.T) *apptest.Env {
	t.Helper()
	env := apptest.New(t, nil)
	for _, s := range []string{"coffee", "Coffee Shopping", "Baking a cake", "baking", "Café Con Leche", "Сырники", "coffee and cream", "Cafe con Leche"} {
		env.MustCreate("TestObject", obj{"subject": s, "comment": s, "name": s})
	}
	return env
}

func search(term obj) obj { return obj{"subject": obj{"$text": obj{"$search": term}}} }

func TestFullTextParseServerSpec(t *testing.T) {
	t.Parallel()
	env := fullTextWorld(t)
	runGeoCases(t, env, "TestObject", []geoCase{
		{name: "$search", body: obj{"where": search(obj{"$term": "coffee"})}, want: []string{"coffee", "Coffee Shopping", "coffee and cream"}},
		{name: "$language", body: obj{"where": search(obj{"$term": "leche", "$language": "spanish"})}, want: []string{"Café Con Leche", "Cafe con Leche"}},
		{name: "$diacriticSensitive", body: obj{"where": search(obj{"$term": "CAFÉ", "$diacriticSensitive": true})}, want: []string{"Café Con Leche"}},
		{name: "$diacriticSensitive false", body: obj{"where": search(obj{"$term": "CAFÉ", "$diacriticSensitive": false})}, want: []string{"Café Con Leche", "Cafe con Leche"}},
		{name: "$caseSensitive", body: obj{"where": search(obj{"$term": "Coffee", "$caseSensitive": true})}, want: []string{"Coffee Shopping"}},
		{name: "stemmed", body: obj{"where": search(obj{"$term": "bakes"})}, want: []string{"Baking a cake", "baking"}},
		{name: "a phrase", body: obj{"where": search(obj{"$term": `"con leche"`})}, want: []string{"Café Con Leche", "Cafe con Leche"}},
		{name: "a negation", body: obj{"where": search(obj{"$term": "coffee -shopping"})}, want: []string{"coffee", "coffee and cream"}},
		{name: "stop words only", body: obj{"where": search(obj{"$term": "and a"})}, want: []string{}},
		{name: "$search invalid", body: obj{"where": obj{"subject": obj{"$text": obj{"$search": true}}}}, status: 400, code: 107},
		{name: "$term missing", body: obj{"where": search(obj{})}, status: 400, code: 107},
		{name: "$language invalid", body: obj{"where": search(obj{"$term": "leche", "$language": true})}, status: 400, code: 107},
		{name: "$caseSensitive invalid", body: obj{"where": search(obj{"$term": "Coffee", "$caseSensitive": "string"})}, status: 400, code: 107},
		{name: "$diacriticSensitive invalid", body: obj{"where": search(obj{"$term": "CAFÉ", "$diacriticSensitive": "string"})}, status: 400, code: 107},
		{name: "unknown language", body: obj{"where": search(obj{"$term": "x", "$language": "klingon"})}, status: 400, code: 102},
		{name: "with another constraint", body: obj{"where": obj{"subject": obj{"$text": obj{"$search": obj{"$term": "coffee"}}}, "comment": obj{"$ne": "coffee"}}}, want: []string{"Coffee Shopping", "coffee and cream"}},
		{name: "in $and", body: obj{"where": obj{"$and": arr{search(obj{"$term": "coffee"}), obj{"name": obj{"$regex": "^c"}}}}}, want: []string{"coffee", "coffee and cream"}},
		{name: "with count, skip and limit", body: obj{"where": search(obj{"$term": "coffee"}), "count": 1, "order": "name", "skip": 1, "limit": 1}, want: []string{"coffee"}, count: intp(3)},
		{name: "in $or is refused", body: obj{"where": obj{"$or": arr{search(obj{"$term": "coffee"}), obj{"name": "x"}}}}, status: 400, code: 102},
		{name: "two fullText constraints are refused", body: obj{"where": obj{"$and": arr{search(obj{"$term": "coffee"}), search(obj{"$term": "cake"})}}}, status: 400, code: 102},
		{name: "$text at the top is not a key", body: obj{"where": obj{"$text": obj{"$search": obj{"$term": "coffee"}}}}, status: 400, code: 105},
		{name: "order $score without fullText", body: obj{"order": "$score"}, status: 400, code: 102},
	})
}

func TestFullTextScore(t *testing.T) {
	t.Parallel()
	env := fullTextWorld(t)
	env.MustCreate("TestObject", obj{"subject": "coffee coffee coffee", "name": "triple"})
	rs := find(t, env, "TestObject", obj{"where": search(obj{"$term": "coffee"}), "order": "$score", "keys": "$score,name"})
	eq(t, "order by score", nameList(rs, true)[:2], []string{"triple", "coffee"})
	if len(rs) != 4 {
		t.Fatalf("%d results", len(rs))
	}
	// MongoDB's textScore: "coffee" alone 1.0; three times 1.75 (1 + 1/2 + 1/4, coeff 1); "Coffee
	// Shopping" and "coffee and cream" 0.75 (two non-stop-word tokens).
	eq(t, "scores", pluck(rs, "score"), []any{1.75, 1.0, 0.75, 0.75})
	for _, r := range rs {
		if _, ok := r["subject"]; ok {
			t.Errorf("keys $score,name returned subject: %v", r)
		}
	}
	// Without $score in keys there is no score field; order by $score still applies.
	rs = find(t, env, "TestObject", obj{"where": search(obj{"$term": "coffee"}), "order": "$score,name"})
	eq(t, "ordered", nameList(rs, true), []string{"triple", "coffee", "Coffee Shopping", "coffee and cream"})
	if _, ok := rs[0]["score"]; ok {
		t.Errorf("score without keys $score: %v", rs[0])
	}
}

func TestFullTextIndexAndFields(t *testing.T) {
	t.Parallel()
	env := fullTextWorld(t)
	// The first fullText query gives the class its <field>_text index, as Parse Server does.
	find(t, env, "TestObject", obj{"where": search(obj{"$term": "coffee"})})
	r := env.Do(apptest.Req{Path: "/schemas/TestObject", Master: true})
	eq(t, "index", field(r.Map(), "indexes.subject_text"), obj{"subject": "text"})
	// The class has one text index: a fullText on another field is refused with a clear error.
	r = env.Do(apptest.Req{Method: "POST", Path: "/classes/TestObject", Master: true, Body: obj{"_method": "GET", "where": obj{"comment": obj{"$text": obj{"$search": obj{"$term": "coffee"}}}}}})
	if r.Status != 400 || r.Code() != 102 {
		t.Errorf("second text field: %d %s", r.Status, r.Raw)
	}
	// A field without text answers nothing (MongoDB indexes only strings).
	env2 := apptest.New(t, nil)
	env2.MustCreate("Numbers", obj{"n": 1, "name": "one"})
	env2.MustCreate("Words", obj{"name": "one"})
	runGeoCases(t, env2, "Numbers", []geoCase{
		{name: "a number field", body: obj{"where": obj{"n": obj{"$text": obj{"$search": obj{"$term": "1"}}}}}, want: []string{}},
	})
	runGeoCases(t, env2, "Words", []geoCase{
		{name: "a missing field", body: obj{"where": obj{"nothing": obj{"$text": obj{"$search": obj{"$term": "one"}}}}}, want: []string{}},
	})
}

func TestFullTextACL(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	uid, tok := session(t, env, "bob")
	env.MustCreate("Note", obj{"body": "secret coffee", "name": "private", "ACL": obj{uid: obj{"read": true}}})
	env.MustCreate("Note", obj{"body": "public coffee", "name": "public"})
	env.MustCreate("Note", obj{"body": "other coffee", "name": "hidden", "ACL": obj{}})
	runGeoCases(t, env, "Note", []geoCase{
		{name: "user", session: tok, body: obj{"where": obj{"body": obj{"$text": obj{"$search": obj{"$term": "coffee"}}}}}, want: []string{"private", "public"}},
		{name: "master", body: obj{"where": obj{"body": obj{"$text": obj{"$search": obj{"$term": "coffee"}}}}}, want: []string{"private", "public", "hidden"}},
	})
}
