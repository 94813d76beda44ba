package rest_test

// Bounded work on the engine path: candidates are read with a cursor, the read stops once skip+limit
// matches are in hand when nothing else needs them, and a query whose candidates exceed ENGINE_MAX_SCAN
// is refused (102) instead of being held in memory.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

func TestEngineScanCap(t *testing.T) {
	t.Parallel()
	_, caps := apptest.Client(t)
	if caps.ElemMatchNin {
		t.Skip("containedBy is evaluated by the database here")
	}
	env := apptest.New(t, func(c *config.Config) { c.EngineMaxScan = 5 })
	// 10 candidates; the even ones match containedBy ["a"].
	for i := 0; i < 10; i++ {
		tags := arr{"a"}
		if i%2 == 1 {
			tags = arr{"a", "b"}
		}
		env.MustCreate("Item", obj{"name": fmt.Sprintf("n%02d", i), "n": i, "tags": tags, "loc": gp(float64(10-i), 0)})
	}
	where := obj{"tags": obj{"$containedBy": arr{"a"}}}
	runGeoCases(t, env, "Item", []geoCase{
		{name: "all candidates: over the cap", body: obj{"where": where}, status: 400, code: 102},
		{name: "count: over the cap", body: obj{"where": where, "count": 1, "limit": 0}, status: 400, code: 102},
		{name: "limit 1 stops early", body: obj{"where": where, "limit": 1, "order": "n"}, want: []string{"n00"}, ordered: true},
		{name: "skip and limit stop early, sorted by the database", body: obj{"where": where, "skip": 1, "limit": 1, "order": "-n"}, want: []string{"n06"}, ordered: true},
		{name: "limit 0 reads nothing", body: obj{"where": where, "limit": 0}, want: []string{}},
	})
	r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Item", Master: true, Body: obj{"_method": "GET", "where": where}})
	if msg, _ := r.Map()["error"].(string); !strings.Contains(msg, "more than 5 objects") || !strings.Contains(msg, "ENGINE_MAX_SCAN") {
		t.Errorf("error = %q", msg)
	}

	uncapped := apptest.New(t, func(c *config.Config) { c.EngineMaxScan = 0 })
	for i := 0; i < 10; i++ {
		tags := arr{"a"}
		if i%2 == 1 {
			tags = arr{"a", "b"}
		}
		uncapped.MustCreate("Item", obj{"name": fmt.Sprintf("n%02d", i), "n": i, "tags": tags})
	}
	five := 5
	runGeoCases(t, uncapped, "Item", []geoCase{
		{name: "no cap", body: obj{"where": where, "count": 1}, want: []string{"n00", "n02", "n04", "n06", "n08"}, count: &five},
		{name: "no cap, skip and limit", body: obj{"where": where, "skip": 2, "limit": 3, "order": "n", "count": 1}, want: []string{"n04", "n06", "n08"}, ordered: true, count: &five},
		{name: "no cap, limit", body: obj{"where": where, "limit": 3, "order": "n"}, want: []string{"n00", "n02", "n04"}, ordered: true},
	})
}

func TestEngineScanCapNear(t *testing.T) {
	t.Parallel()
	_, caps := apptest.Client(t)
	if caps.Geo {
		t.Skip("$nearSphere is evaluated by the database here")
	}
	env := apptest.New(t, func(c *config.Config) { c.EngineMaxScan = 5 })
	big := apptest.New(t, nil)
	for i := 0; i < 8; i++ {
		o := obj{"name": fmt.Sprintf("n%02d", i), "loc": gp(float64(10-i), 0)}
		env.MustCreate("Place", o)
		big.MustCreate("Place", o)
	}
	runGeoCases(t, env, "Place", []geoCase{
		// ordered by distance: every candidate is needed, even for one result
		{name: "near with limit 1 needs every candidate", body: obj{"where": obj{"loc": obj{"$nearSphere": gp(0, 0)}}, "limit": 1}, status: 400, code: 102},
	})
	runGeoCases(t, big, "Place", []geoCase{
		{name: "near with limit 1 is the nearest, inserted last", body: obj{"where": obj{"loc": obj{"$nearSphere": gp(0, 0)}}, "limit": 1}, want: []string{"n07"}},
		{name: "near with an order and a limit", body: obj{"where": obj{"loc": obj{"$nearSphere": gp(0, 0)}}, "order": "name", "limit": 2}, want: []string{"n00", "n01"}, ordered: true},
	})
}
