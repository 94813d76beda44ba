package query_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
)

// gameScore is the schema of the test class, as the schema store would build it.
func gameScore() *schema.Class {
	f := map[string]schema.Field{}
	for k, v := range schema.DefaultFields {
		f[k] = v
	}
	for k, v := range map[string]schema.Field{
		"score": {Type: schema.Number}, "playerName": {Type: schema.String}, "cheatMode": {Type: schema.Boolean},
		"level": {Type: schema.Number}, "tags": {Type: schema.Array}, "owner": {Type: schema.Pointer, TargetClass: "_User"},
		"when": {Type: schema.Date}, "stats": {Type: schema.Object}, "players": {Type: schema.Relation, TargetClass: "_User"},
	} {
		f[k] = v
	}
	return &schema.Class{Name: "GameScore", Fields: f}
}

// stubResolver answers subqueries from fixed tables and records that it was used.
type stubResolver struct {
	hits       int
	selectVals []any
}

func (s *stubResolver) Select(ctx context.Context, class string, where map[string]any, key string) ([]any, error) {
	s.hits++
	return s.selectVals, nil
}

func (s *stubResolver) RelatedIDs(ctx context.Context, owningClass, key, owningID string) ([]string, error) {
	s.hits++
	return []string{"d1", "d3"}, nil
}

func (s *stubResolver) OwningIDs(ctx context.Context, owningClass, key string, relatedIDs []string) ([]string, error) {
	s.hits++
	return []string{"d2"}, nil
}

// failResolver fails the test if the translator needs another read.
type failResolver struct{ tb testing.TB }

func (f failResolver) Select(context.Context, string, map[string]any, string) ([]any, error) {
	f.tb.Fatal("resolver hit")
	return nil, nil
}
func (f failResolver) RelatedIDs(context.Context, string, string, string) ([]string, error) {
	f.tb.Fatal("resolver hit")
	return nil, nil
}
func (f failResolver) OwningIDs(context.Context, string, string, []string) ([]string, error) {
	f.tb.Fatal("resolver hit")
	return nil, nil
}

func jsonWhere(tb testing.TB, s string) map[string]any {
	tb.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		tb.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func day(s string) bson.DateTime {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return bson.NewDateTimeFromTime(t)
}

// storedDocs are documents in Parse Server's stored layout.
func storedDocs() []bson.M {
	return []bson.M{
		{"_id": "d1", "score": int32(10), "playerName": "Sean Plott", "cheatMode": false, "level": int32(1), "tags": bson.A{"a", "b"},
			"_p_owner": "_User$u1", "when": day("2020-01-01T00:00:00Z"), "stats": bson.D{{Key: "wins", Value: int32(3)}}, "_created_at": day("2021-01-01T00:00:00Z"), "_rperm": bson.A{"*"}},
		{"_id": "d2", "score": 20.5, "playerName": "sean", "cheatMode": true, "level": int32(5), "tags": bson.A{"b", "c"},
			"_p_owner": "_User$u2", "when": day("2022-01-01T00:00:00Z"), "stats": bson.D{{Key: "wins", Value: int32(1)}}, "_created_at": day("2021-06-01T00:00:00Z")},
		{"_id": "d3", "score": int32(30), "playerName": "Jo", "level": int32(9), "tags": bson.A{}, "_created_at": day("2022-01-01T00:00:00Z")},
		{"_id": "d4", "playerName": nil, "tags": bson.A{"a"}, "_p_owner": "_User$u1", "_created_at": day("2023-01-01T00:00:00Z")},
	}
}

// matching translates where and returns the ids of storedDocs that the filter and the engine
// clauses both match.
func matching(t *testing.T, caps query.Caps, res query.Resolver, where string) ([]string, error) {
	t.Helper()
	tr := query.Translator{Class: gameScore(), Resolver: res, Caps: caps, Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }}
	f, err := tr.Filter(context.Background(), jsonWhere(t, where))
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, d := range storedDocs() {
		ok := query.Match(f, d)
		for _, e := range tr.Engine {
			ok = ok && query.Match(e, d)
		}
		if ok {
			out = append(out, d["_id"].(string))
		}
	}
	sort.Strings(out)
	return out, nil
}

var ferret = query.Caps{Name: "FerretDB"}

func TestTranslateAndMatch(t *testing.T) {
	for _, c := range []struct {
		name, where string
		want        []string
	}{
		{"empty", `{}`, []string{"d1", "d2", "d3", "d4"}},
		{"equality", `{"playerName":"Jo"}`, []string{"d3"}},
		{"null matches missing and null", `{"score":null}`, []string{"d4"}},
		{"$lt", `{"score":{"$lt":20.5}}`, []string{"d1"}},
		{"$lte", `{"score":{"$lte":20.5}}`, []string{"d1", "d2"}},
		{"$gt $lt", `{"score":{"$gt":10,"$lt":30}}`, []string{"d2"}},
		{"$gte", `{"level":{"$gte":5}}`, []string{"d2", "d3"}},
		{"$ne", `{"cheatMode":{"$ne":true}}`, []string{"d1", "d3", "d4"}},
		{"$in", `{"playerName":{"$in":["Jo","sean"]}}`, []string{"d2", "d3"}},
		{"$nin", `{"level":{"$nin":[1,9]}}`, []string{"d2", "d4"}},
		{"$exists", `{"when":{"$exists":true}}`, []string{"d1", "d2"}},
		{"$exists false", `{"cheatMode":{"$exists":false}}`, []string{"d3", "d4"}},
		{"array element", `{"tags":"b"}`, []string{"d1", "d2"}},
		{"$all", `{"tags":{"$all":["a","b"]}}`, []string{"d1"}},
		{"$all regexes", `{"tags":{"$all":[{"$regex":"^b"},{"$regex":"^c"}]}}`, []string{"d2"}},
		{"$containedBy", `{"tags":{"$containedBy":["a","b"]}}`, []string{"d1", "d3", "d4"}},
		{"$regex", `{"playerName":{"$regex":"^sean","$options":"i"}}`, []string{"d1", "d2"}},
		{"$regex quoted", `{"playerName":{"$regex":"^\\QSean P\\E"}}`, []string{"d1"}},
		{"pointer", `{"owner":{"__type":"Pointer","className":"_User","objectId":"u1"}}`, []string{"d1", "d4"}},
		{"pointer $in", `{"owner":{"$in":[{"__type":"Pointer","className":"_User","objectId":"u2"}]}}`, []string{"d2"}},
		{"pointer $ne", `{"owner":{"$ne":{"__type":"Pointer","className":"_User","objectId":"u1"}}}`, []string{"d2", "d3"}},
		{"objectId", `{"objectId":{"$in":["d1","d3"]}}`, []string{"d1", "d3"}},
		{"date", `{"when":{"$gt":{"__type":"Date","iso":"2021-01-01T00:00:00.000Z"}}}`, []string{"d2"}},
		{"createdAt", `{"createdAt":{"$lt":{"__type":"Date","iso":"2021-12-31T00:00:00.000Z"}}}`, []string{"d1", "d2"}},
		{"createdAt as an ISO string", `{"createdAt":{"$gte":"2022-01-01T00:00:00.000Z"}}`, []string{"d3", "d4"}},
		{"$relativeTime", `{"createdAt":{"$gt":{"$relativeTime":"3 years ago"}}}`, []string{"d2", "d3", "d4"}},
		{"dotted", `{"stats.wins":{"$gte":2}}`, []string{"d1"}},
		{"$or", `{"$or":[{"playerName":"Jo"},{"level":1}]}`, []string{"d1", "d3"}},
		{"$and", `{"$and":[{"tags":"a"},{"tags":"b"}]}`, []string{"d1"}},
		{"$nor", `{"$nor":[{"tags":"a"},{"level":9}]}`, []string{"d2"}},
		{"$or with $containedBy", `{"$or":[{"tags":{"$containedBy":["c","b"]}},{"level":1}]}`, []string{"d1", "d2", "d3"}},
		{"$or and a sibling", `{"score":{"$exists":true},"$or":[{"tags":"a"},{"level":9}]}`, []string{"d1", "d3"}},
	} {
		for _, caps := range []query.Caps{query.MongoDB, ferret} {
			t.Run(c.name+"/"+caps.Name, func(t *testing.T) {
				got, err := matching(t, caps, failResolver{t}, c.where)
				if err != nil {
					t.Fatalf("%s: %v", c.where, err)
				}
				if !equalStrings(got, c.want) {
					t.Errorf("%s matched %v, want %v", c.where, got, c.want)
				}
			})
		}
	}
}

func TestTranslateResolver(t *testing.T) {
	for _, c := range []struct {
		name, where string
		sel         []any
		want        []string
	}{
		{"$relatedTo", `{"$relatedTo":{"object":{"__type":"Pointer","className":"Team","objectId":"t1"},"key":"members"}}`, nil, []string{"d1", "d3"}},
		{"relation equality", `{"players":{"__type":"Pointer","className":"_User","objectId":"u9"}}`, nil, []string{"d2"}},
		{"$inQuery on a pointer", `{"owner":{"$inQuery":{"className":"_User","where":{}}}}`, []any{"u2"}, []string{"d2"}},
		{"$notInQuery on a pointer", `{"owner":{"$notInQuery":{"className":"_User","where":{}}}}`, []any{"u2"}, []string{"d1", "d3", "d4"}},
		{"$select", `{"playerName":{"$select":{"query":{"className":"Team","where":{}},"key":"name"}}}`, []any{"Jo", "x"}, []string{"d3"}},
		{"$dontSelect", `{"playerName":{"$dontSelect":{"query":{"className":"Team","where":{}},"key":"name"}}}`, []any{"Jo"}, []string{"d1", "d2", "d4"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &stubResolver{selectVals: c.sel}
			got, err := matching(t, query.MongoDB, r, c.where)
			if err != nil {
				t.Fatal(err)
			}
			if r.hits == 0 {
				t.Errorf("resolver not used")
			}
			if !equalStrings(got, c.want) {
				t.Errorf("matched %v, want %v", got, c.want)
			}
		})
	}
}

func TestTranslateStoredKeys(t *testing.T) {
	tr := query.Translator{Class: gameScore(), Resolver: failResolver{t}, Caps: query.MongoDB}
	f, err := tr.Filter(context.Background(), jsonWhere(t, `{"owner":{"__type":"Pointer","className":"_User","objectId":"u1"},"objectId":"d1","createdAt":{"$gt":{"__type":"Date","iso":"2020-01-01T00:00:00Z"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, e := range f {
		got[e.Key] = e.Value
	}
	if got["_p_owner"] != "_User$u1" {
		t.Errorf("pointer column: %v", f)
	}
	if got["_id"] != "d1" {
		t.Errorf("objectId column: %v", f)
	}
	if d, ok := got["_created_at"].(bson.D); !ok || d[0].Key != "$gt" {
		t.Errorf("createdAt column: %v", f)
	} else if _, ok := d[0].Value.(bson.DateTime); !ok {
		t.Errorf("createdAt value %T, want a BSON date", d[0].Value)
	}
	for _, e := range f {
		if e.Key == "owner" || e.Key == "objectId" || e.Key == "createdAt" {
			t.Errorf("REST key %s reached the database filter", e.Key)
		}
	}
}

func TestTranslateErrors(t *testing.T) {
	for _, c := range []struct {
		where string
		code  int
	}{
		{`{"$where":"1"}`, parse.InvalidKeyName},
		{`{"$expr":{"$gt":["$a",1]}}`, parse.InvalidKeyName},
		{`{"$function":{}}`, parse.InvalidKeyName},
		{`{"a-b":1}`, parse.InvalidKeyName},
		{`{"score":{"$foo":1}}`, parse.InvalidJSON},
		{`{"score":{"$where":"1"}}`, parse.InvalidJSON},
		{`{"score":{"$elemMatch":{"a":1}}}`, parse.InvalidJSON},
		{`{"score":{"$in":3}}`, parse.InvalidJSON},
		{`{"score":{"$exists":1}}`, parse.InvalidJSON},
		{`{"playerName":{"$regex":3}}`, parse.InvalidQuery},
		{`{"playerName":{"$regex":"a","$options":"z"}}`, parse.InvalidQuery},
		{`{"playerName":{"$options":"i"}}`, parse.InvalidQuery},
		{`{"$or":{}}`, parse.InvalidQuery},
		{`{"$or":[]}`, parse.InvalidQuery},
		{`{"$and":[1]}`, parse.InvalidQuery},
		{`{"score":{"$relativeTime":"1 day ago"}}`, parse.InvalidJSON},
		{`{"score":{"$lt":{"$relativeTime":"1 day ago"}}}`, parse.InvalidJSON},
		{`{"when":{"$ne":{"$relativeTime":"1 day ago"}}}`, parse.InvalidJSON},
		{`{"when":{"$lt":{"$relativeTime":"soon"}}}`, parse.InvalidJSON},
		{`{"tags":{"$all":[{"$regex":"a"},"b"]}}`, parse.InvalidJSON},
		{`{"tags":{"$containedBy":"a"}}`, parse.InvalidJSON},
		{`{"owner":{"$inQuery":{"where":{}}}}`, parse.InvalidQuery},
		{`{"owner":{"$inQuery":{"className":"1x","where":{}}}}`, parse.InvalidClassName},
		{`{"name":{"$select":{"query":{"className":"Team"}}}}`, parse.InvalidQuery},
		{`{"$relatedTo":{"key":"x"}}`, parse.InvalidJSON},
		{`{"score":{"__op":"Increment","amount":1}}`, parse.InvalidJSON},
	} {
		t.Run(c.where, func(t *testing.T) {
			tr := query.Translator{Class: gameScore(), Resolver: failResolver{t}, Caps: query.MongoDB}
			_, err := tr.Filter(context.Background(), jsonWhere(t, c.where))
			var pe *parse.Error
			if !errors.As(err, &pe) || pe.Code != c.code {
				t.Errorf("error %v, want code %d", err, c.code)
			}
		})
	}
}

func TestTranslateDepthLimit(t *testing.T) {
	w := `{"a":1}`
	for i := 0; i < 40; i++ {
		w = `{"$or":[` + w + `]}`
	}
	tr := query.Translator{Class: gameScore(), Resolver: failResolver{t}}
	_, err := tr.Filter(context.Background(), jsonWhere(t, w))
	var pe *parse.Error
	if !errors.As(err, &pe) || pe.Code != parse.InvalidQuery {
		t.Errorf("40 nested $or: %v, want 102", err)
	}
}

func TestRelativeTime(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"now", now, true},
		{"1 day ago", now.Add(-24 * time.Hour), true},
		{"in 2 hours", now.Add(2 * time.Hour), true},
		{"3 weeks 2 days ago", now.Add(-23 * 24 * time.Hour), true},
		{"in 1 year", now.Add(365 * 24 * time.Hour), true},
		{"30 mins ago", now.Add(-30 * time.Minute), true},
		{"10 secs ago", now.Add(-10 * time.Second), true},
		{"in 1.5 hrs", now.Add(90 * time.Minute), true},
		{"  IN 1 MINUTE ", now.Add(time.Minute), true},
		{"3 days", time.Time{}, false},
		{"in 3 days ago", time.Time{}, false},
		{"in 3", time.Time{}, false},
		{"x days ago", time.Time{}, false},
		{"3 eons ago", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := query.RelativeTime(c.in, now)
		if (err == nil) != c.ok || (c.ok && !got.Equal(c.want)) {
			t.Errorf("RelativeTime(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParseFindOptions(t *testing.T) {
	o, err := query.ParseFind(map[string]any{
		"where": `{"a":1}`, "limit": json.Number("5"), "skip": "2", "order": "-score,name", "count": json.Number("1"),
		"keys": "a,b.c", "excludeKeys": []any{"x", "y,z"}, "include": "*", "readPreference": "PRIMARY", "comment": "c",
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Limit != 5 || o.Skip != 2 || !o.Count || !o.IncludeAll {
		t.Errorf("options %+v", o)
	}
	if !equalStrings(o.Order, []string{"-score", "name"}) || !equalStrings(o.Keys, []string{"a", "b.c"}) || !equalStrings(o.ExcludeKeys, []string{"x", "y", "z"}) {
		t.Errorf("lists %+v", o)
	}
	if o.Where["a"] == nil {
		t.Errorf("where %v", o.Where)
	}
	d, _ := query.ParseFind(map[string]any{})
	if d.Limit != -1 || d.Keys != nil || d.Count {
		t.Errorf("defaults %+v", d)
	}
	for _, bad := range []map[string]any{
		{"foo": 1}, {"skip": -1}, {"limit": "x"}, {"keys": 3}, {"where": "not json"}, {"where": []any{}},
	} {
		if _, err := query.ParseFind(bad); err == nil {
			t.Errorf("ParseFind(%v) accepted", bad)
		}
	}
	if _, err := query.ParseGet(map[string]any{"where": map[string]any{}}); err == nil {
		t.Errorf("ParseGet accepted where")
	}
	if _, err := query.ParseGet(map[string]any{"keys": "a", "include": "b"}); err != nil {
		t.Errorf("ParseGet refused keys/include: %v", err)
	}
}

func TestSortAndProjection(t *testing.T) {
	cls := gameScore()
	s, err := query.Sort(cls, []string{"-score", "owner", "createdAt", "objectId"})
	if err != nil {
		t.Fatal(err)
	}
	want := bson.D{{Key: "score", Value: -1}, {Key: "_p_owner", Value: 1}, {Key: "_created_at", Value: 1}, {Key: "_id", Value: 1}}
	if len(s) != len(want) {
		t.Fatalf("sort %v", s)
	}
	for i := range want {
		if s[i].Key != want[i].Key || s[i].Value != want[i].Value {
			t.Errorf("sort %v, want %v", s, want)
		}
	}
	if _, err := query.Sort(cls, []string{"a b"}); err == nil {
		t.Errorf("bad sort key accepted")
	}
	p := query.Projection(cls, []string{"owner.username", "score", "ACL"})
	keys := map[string]bool{}
	for _, e := range p {
		keys[e.Key] = true
	}
	for _, k := range []string{"_id", "_created_at", "_updated_at", "_rperm", "_wperm", "_p_owner", "score"} {
		if !keys[k] {
			t.Errorf("projection %v lacks %s", p, k)
		}
	}
	if query.Projection(cls, nil) != nil {
		t.Errorf("nil keys must project everything")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
