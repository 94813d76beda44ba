package rest_test

// The operators a database rejects or answers wrongly (FerretDB: regex option x, $all with regexes,
// containedBy, hint; geo and text inside /aggregate) and concurrent writes: every answer is MongoDB's,
// or a clear Parse error.

import (
	"fmt"
	"sync"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
)

func TestEngineOperators(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	env.MustCreate("Item", obj{"name": "apple pie", "tags": arr{"fruit", "sweet"}, "loc": gp(1, 1), "parts": arr{obj{"k": "a", "n": 1}, obj{"k": "b", "n": 2}}})
	env.MustCreate("Item", obj{"name": "Apple", "tags": arr{"fruit"}, "loc": gp(5, 5), "parts": arr{obj{"k": "a", "n": 5}}})
	env.MustCreate("Item", obj{"name": "banana", "tags": arr{"fruit", "long"}, "loc": gp(50, 50)})
	env.MustCreate("Item", obj{"name": "salt", "tags": arr{"mineral"}})
	runGeoCases(t, env, "Item", []geoCase{
		{name: "regex option x", body: obj{"where": obj{"name": obj{"$regex": "^ap ple # a comment", "$options": "xi"}}}, want: []string{"Apple", "apple pie"}},
		{name: "regex option x with other constraints", body: obj{"where": obj{"name": obj{"$regex": "a n a", "$options": "x"}, "tags": "long"}}, want: []string{"banana"}},
		{name: "regex options i and m", body: obj{"where": obj{"name": obj{"$regex": "^APPLE$", "$options": "im"}}}, want: []string{"Apple"}},
		{name: "$all with regexes (containsAllStartingWith)", body: obj{"where": obj{"tags": obj{"$all": arr{obj{"$regex": "^fr"}, obj{"$regex": "^lo"}}}}}, want: []string{"banana"}},
		{name: "$all with one regex", body: obj{"where": obj{"tags": obj{"$all": arr{obj{"$regex": "^sw"}}}}}, want: []string{"apple pie"}},
		{name: "$all with regexes matching nothing", body: obj{"where": obj{"tags": obj{"$all": arr{obj{"$regex": "^fr"}, obj{"$regex": "^zz"}}}}}, want: []string{}},
		{name: "containedBy", body: obj{"where": obj{"tags": obj{"$containedBy": arr{"fruit", "sweet"}}}}, want: []string{"Apple", "apple pie"}},
		{name: "containedBy and geo in $or", body: obj{"where": obj{"$or": arr{obj{"tags": obj{"$containedBy": arr{"mineral"}}}, obj{"loc": obj{"$within": obj{"$box": arr{gp(0, 0), gp(2, 2)}}}}}}}, want: []string{"apple pie", "salt"}},
		{name: "dotted path into an array of objects", body: obj{"where": obj{"parts.k": "b"}}, want: []string{"apple pie"}},
		{name: "hint is accepted", body: obj{"where": obj{"name": "banana"}, "hint": "_id_"}, want: []string{"banana"}},
		{name: "hint with an engine query", body: obj{"where": obj{"loc": obj{"$nearSphere": gp(0, 0)}}, "hint": "_id_", "limit": 1}, want: []string{"apple pie"}},
		{name: "$elemMatch is not a Parse constraint", body: obj{"where": obj{"parts": obj{"$elemMatch": obj{"k": "a"}}}}, status: 400, code: 107},
	})
}

func TestAggregateEngineConstraints(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	_, caps := apptest.Client(t)
	env.MustCreate("Item", obj{"name": "a", "tags": arr{"x"}, "loc": gp(1, 1), "n": 1})
	env.MustCreate("Item", obj{"name": "b", "tags": arr{"x", "y"}, "loc": gp(50, 50), "n": 2})
	agg := func(q string) *apptest.Resp {
		return env.Do(apptest.Req{Path: "/aggregate/Item?" + q, Master: true})
	}
	geoWhere := `where={"loc":{"$geoWithin":{"$centerSphere":[[1,1],0.1]}}}`
	containedBy := `pipeline=[{"$match":{"tags":{"$containedBy":["x"]}}},{"$project":{"name":1}}]`
	for _, q := range []string{geoWhere + `&distinct=name`, containedBy} {
		r := agg(q)
		switch {
		case r.Status == 200:
			if caps.Name != "" && !caps.Geo {
				t.Errorf("%s answered on %s: %s", q, caps.Name, r.Raw)
			}
			eq(t, q, len(r.Map()["results"].([]any)), 1)
		case r.Status == 400 && r.Code() == 102:
			if caps.Name == "" {
				t.Errorf("%s refused on MongoDB: %s", q, r.Raw)
			}
		default:
			t.Errorf("%s: %d %s", q, r.Status, r.Raw)
		}
	}
}

// TestConcurrentWrites: 50 parallel Increments of one object through the handler all count, and
// parallel creates that add fields to one class all reach the schema.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	id := env.MustCreate("Counter", obj{"n": 0})
	const N = 50
	var wg sync.WaitGroup
	errs := make(chan string, 2*N)
	for i := 0; i < N; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r := env.Do(apptest.Req{Method: "PUT", Path: "/classes/Counter/" + id, Master: true, Body: obj{"n": obj{"__op": "Increment", "amount": 1}}})
			if r.Status != 200 {
				errs <- fmt.Sprintf("increment: %d %s", r.Status, r.Raw)
			}
		}()
		go func(i int) {
			defer wg.Done()
			r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Wide", Master: true, Body: obj{fmt.Sprintf("f%d", i): i}})
			if r.Status != 201 {
				errs <- fmt.Sprintf("create: %d %s", r.Status, r.Raw)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	eq(t, "n", get(t, env, "Counter", id)["n"], N)
	fields, _ := field(env.Do(apptest.Req{Path: "/schemas/Wide", Master: true}).Map(), "fields").(map[string]any)
	for i := 0; i < N; i++ {
		if _, ok := fields[fmt.Sprintf("f%d", i)]; !ok {
			t.Errorf("field f%d lost from the schema", i)
		}
	}
}
