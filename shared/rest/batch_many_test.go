package rest_test

// A batch's runs of creates of one class go to the database as one insert (objects.CreateMany), and
// every sub-request still answers what it answers alone. The benchmark runs only with -bench:
//
//	go test ./shared/rest/ -run '^$' -bench BenchmarkBatch20Creates -benchmem

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/rest"
)

// commandCounter counts the commands sent to the database, by name, and the documents of each insert
// by collection, for the databases it watches.
type commandCounter struct {
	mu      sync.Mutex
	counts  map[string]map[string]int   // database → command → count
	inserts map[string]map[string][]int // database → collection → documents of each insert
}

func (c *commandCounter) started(_ context.Context, e *event.CommandStartedEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts[e.DatabaseName] == nil {
		c.counts[e.DatabaseName] = map[string]int{}
		c.inserts[e.DatabaseName] = map[string][]int{}
	}
	c.counts[e.DatabaseName][e.CommandName]++
	if e.CommandName == "insert" {
		coll, _ := e.Command.Lookup("insert").StringValueOK()
		n := 0
		if v, err := e.Command.LookupErr("documents"); err == nil {
			if a, ok := v.ArrayOK(); ok {
				vals, _ := a.Values()
				n = len(vals)
			}
		}
		c.inserts[e.DatabaseName][coll] = append(c.inserts[e.DatabaseName][coll], n)
	}
}

// take returns and clears what was counted for db.
func (c *commandCounter) take(db string) (map[string]int, map[string][]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, d := c.counts[db], c.inserts[db]
	delete(c.counts, db)
	delete(c.inserts, db)
	return m, d
}

var (
	monOnce    sync.Once
	monClient  *mongo.Client
	monOpts    *options.ClientOptions
	monCounter = &commandCounter{counts: map[string]map[string]int{}, inserts: map[string]map[string][]int{}}
	monErr     error
	monSeq     atomic.Int64
)

// monitoredEnv is an engine whose database client, connected to apptest's database, counts commands.
// take returns what was counted since its last call.
func monitoredEnv(tb testing.TB, mod func(*config.Config), opts ...apptest.Option) (env *apptest.Env, take func() (map[string]int, map[string][]int)) {
	tb.Helper()
	uri := apptest.URI(tb)
	monOnce.Do(func() {
		monOpts = options.Client().ApplyURI(uri).SetMonitor(&event.CommandMonitor{Started: monCounter.started})
		monClient, monErr = mongo.Connect(monOpts)
	})
	if monErr != nil {
		tb.Fatalf("monitored database: %v", monErr)
	}
	db := monClient.Database("bm" + strconv.FormatInt(monSeq.Add(1), 10) + "_" + strconv.Itoa(os.Getpid()))
	tb.Cleanup(func() { _ = db.Drop(context.Background()) })
	caps := rest.DetectCaps(context.Background(), monClient)
	opts = append([]apptest.Option{func(o *rest.Options) {
		o.DB = db
		o.Caps = caps
		o.SerializeWrites = caps.Name != ""
		o.Insert = rest.Inserter(caps, monOpts)
	}}, opts...)
	env = apptest.NewWith(tb, mod, opts...)
	env.DB = db
	return env, func() (map[string]int, map[string][]int) { return monCounter.take(db.Name()) }
}

func batchBody(tb testing.TB, reqs ...obj) []byte {
	tb.Helper()
	b, err := json.Marshal(batchOf(reqs...))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func creates(class string, n int) []obj {
	reqs := make([]obj, n)
	for i := range reqs {
		reqs[i] = sub("POST", "/parse/classes/"+class, obj{"i": i, "name": "item", "tags": arr{"a", "b"}, "done": i%2 == 0})
	}
	return reqs
}

func BenchmarkBatch20Creates(b *testing.B) {
	env, counted := monitoredEnv(b, nil)
	env.MustCreate("Game", obj{"i": -1, "name": "seed", "tags": arr{"x"}, "done": true})
	body := batchBody(b, creates("Game", 20)...)
	do := func() {
		req := httptest.NewRequest("POST", env.Config.MountPath+"/batch", bytes.NewReader(body))
		req.Header.Set("X-Parse-Application-Id", env.Config.AppID)
		req.Header.Set("X-Parse-Master-Key", env.Config.MasterKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		env.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
			b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
		}
	}
	do()
	counted()
	b.ReportAllocs()
	b.ResetTimer()
	stop := reportCPU(b)
	n := 0
	for b.Loop() {
		do()
		n++
	}
	b.StopTimer()
	stop()
	_, inserts := counted()
	b.ReportMetric(float64(len(inserts["Game"]))/float64(n), "inserts/op")
}

// manyCase is one batch run twice: on an engine that counts database commands, and, as the oracle of
// today's answers, one sub-request per batch (each alone goes the one-by-one path) on a fresh engine
// with the same setup. Answers (objectIds and createdAt aside), stored objects and schemas must match.
type manyCase struct {
	name   string
	mod    func(*config.Config)
	define func(*cloud.Registry)
	setup  func(t *testing.T, env *apptest.Env) map[string]string
	// session is the caller's token ({{name}} placeholders); master when empty and !anon.
	session string
	anon    bool
	headers map[string]string
	reqs    []obj
	// inserts are the documents of each insert command per collection during the batch (nil: no check).
	inserts map[string][]int
	// colls are more collections whose stored documents must match the oracle's.
	colls    []string
	noOracle bool
	check    func(t *testing.T, env *apptest.Env, items []map[string]any, vars map[string]string)
}

func (c manyCase) request(vars map[string]string, reqs []obj) apptest.Req {
	q := apptest.Req{Method: "POST", Path: "/batch", Body: expandBody(batchOf(reqs...), vars), Master: c.session == "" && !c.anon, Session: expand(c.session, vars)}
	if c.headers != nil {
		q.Headers = map[string]string{}
		for k, v := range c.headers {
			q.Headers[k] = expand(v, vars)
		}
	}
	return q
}

func (c manyCase) env(t *testing.T, monitored bool, extra ...apptest.Option) (*apptest.Env, func() (map[string]int, map[string][]int), map[string]string) {
	t.Helper()
	opts := append([]apptest.Option(nil), extra...)
	if c.define != nil {
		reg := cloud.NewRegistry()
		c.define(reg)
		opts = append(opts, func(o *rest.Options) { o.Cloud = reg })
	}
	var env *apptest.Env
	take := func() (map[string]int, map[string][]int) { return nil, nil }
	if monitored {
		env, take = monitoredEnv(t, c.mod, opts...)
	} else {
		env = apptest.NewWith(t, c.mod, opts...)
	}
	vars := map[string]string{}
	if c.setup != nil {
		vars = c.setup(t, env)
	}
	return env, take, vars
}

// runManyCases runs each case on an engine built with extra options, and compares it with the
// one-by-one oracle on a default engine.
func runManyCases(t *testing.T, cases []manyCase, extra ...apptest.Option) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env, take, vars := c.env(t, true, extra...)
			take()
			r := env.Do(c.request(vars, c.reqs))
			_, inserts := take()
			if r.Status != 200 {
				t.Fatalf("batch: %d %s", r.Status, r.Raw)
			}
			items := batchItems(t, r)
			if len(items) != len(c.reqs) {
				t.Fatalf("%d answers for %d requests: %s", len(items), len(c.reqs), r.Raw)
			}
			if c.inserts != nil {
				got := map[string][]int{}
				for coll, n := range inserts {
					if coll != "_Idempotency" {
						got[coll] = n
					}
				}
				if !reflect.DeepEqual(got, c.inserts) {
					t.Errorf("inserts per collection %v, want %v", got, c.inserts)
				}
			}
			if c.check != nil {
				c.check(t, env, items, vars)
			}
			if c.noOracle {
				return
			}
			oenv, _, ovars := c.env(t, false)
			want := make([]map[string]any, len(c.reqs))
			for i, q := range c.reqs {
				or := oenv.Do(c.request(ovars, []obj{q}))
				if or.Status != 200 {
					t.Fatalf("oracle %d: %d %s", i, or.Status, or.Raw)
				}
				want[i] = batchItems(t, or)[0]
			}
			for i := range items {
				if g, w := normItem(t, items[i]), normItem(t, want[i]); !reflect.DeepEqual(g, w) {
					t.Errorf("item %d = %s, want (one by one) %s", i, mustJSON(g), mustJSON(w))
				}
			}
			classes := map[string]bool{}
			for _, q := range c.reqs {
				if p, _ := q["path"].(string); strings.HasPrefix(p, "/parse/classes/") {
					classes[strings.Split(strings.TrimPrefix(p, "/parse/classes/"), "/")[0]] = true
				}
			}
			for cls := range classes {
				eq(t, "schema of "+cls, schemaOf(t, env, cls), schemaOf(t, oenv, cls))
			}
			for _, coll := range append(mapKeys(classes), c.colls...) {
				g, w := storedDocs(t, env, coll, vars), storedDocs(t, oenv, coll, ovars)
				if !reflect.DeepEqual(g, w) {
					t.Errorf("stored %s:\n got  %v\n want %v", coll, g, w)
				}
			}
		})
	}
}

func mapKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// normItem hides what differs between two runs: generated objectIds and times.
func normItem(t *testing.T, it map[string]any) any {
	t.Helper()
	s, ok := it["success"].(map[string]any)
	if !ok {
		return it
	}
	c := map[string]any{}
	for k, v := range s {
		c[k] = v
	}
	if id, _ := c["objectId"].(string); objectIDRE.MatchString(id) {
		c["objectId"] = "<id>"
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if _, ok := c[k].(string); ok {
			c[k] = "<time>"
		}
	}
	return map[string]any{"success": c}
}

func schemaOf(t *testing.T, env *apptest.Env, cls string) any {
	t.Helper()
	r := env.Do(apptest.Req{Path: "/schemas/" + cls, Master: true})
	return map[string]any{"status": r.Status, "body": r.JSON}
}

// storedDocs are the stored documents of coll without their ids and times, the values of vars
// replaced by their names, sorted.
func storedDocs(t *testing.T, env *apptest.Env, coll string, vars map[string]string) []string {
	t.Helper()
	var out []string
	for _, d := range rawAll(t, env, coll) {
		delete(d, "_id")
		delete(d, "_created_at")
		delete(d, "_updated_at")
		if coll == "_Role" || strings.HasPrefix(coll, "_Join:") {
			delete(d, "owningId")
		}
		s := canonical(t, d)
		for k, v := range vars {
			if v != "" {
				s = strings.ReplaceAll(s, v, "{{"+k+"}}")
			}
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// canonical is d as JSON with sorted keys.
func canonical(t *testing.T, d bson.M) string {
	t.Helper()
	ext, err := bson.MarshalExtJSON(d, true, false)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(ext, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func game(i int, extra obj) obj {
	b := obj{"i": i}
	for k, v := range extra {
		b[k] = v
	}
	return sub("POST", "/parse/classes/Game", b)
}

func seeded(t *testing.T, env *apptest.Env) map[string]string {
	return map[string]string{"id": env.MustCreate("Game", obj{"i": -1, "score": 5, "name": "seed", "code": "seed"})}
}

func successes(t *testing.T, items []map[string]any, want ...int) {
	t.Helper()
	ok := map[int]bool{}
	for _, i := range want {
		ok[i] = true
	}
	for i, it := range items {
		if got := it["success"] != nil; got != ok[i] {
			t.Errorf("item %d succeeded=%v, want %v: %v", i, got, ok[i], it)
		}
	}
}

func TestBatchCreatesInOneInsert(t *testing.T) {
	twenty := make([]obj, 20)
	for i := range twenty {
		twenty[i] = game(i, obj{"name": "n" + strconv.Itoa(i), "tags": arr{"a", i}, "at": obj{"__type": "Date", "iso": "2024-01-02T03:04:05.000Z"}})
	}
	cases := []manyCase{
		{name: "20 creates: 20 answers, one insert", setup: seeded, reqs: twenty,
			inserts: map[string][]int{"Game": {20}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				seen := map[string]bool{}
				for i, it := range items {
					id, _ := field(it, "success.objectId").(string)
					if !objectIDRE.MatchString(id) || seen[id] {
						t.Fatalf("item %d: %v", i, it)
					}
					seen[id] = true
					if len(it["success"].(map[string]any)) != 2 || field(it, "success.createdAt") == nil {
						t.Errorf("item %d answers more or less than objectId and createdAt: %v", i, it)
					}
					o := get(t, env, "Game", id)
					eq(t, "i", o["i"], i)
					eq(t, "name", o["name"], "n"+strconv.Itoa(i))
					eq(t, "createdAt", o["createdAt"], field(it, "success.createdAt"))
				}
				if n := count(t, env, "Game"); n != 21 {
					t.Errorf("Game holds %d objects", n)
				}
			}},
		{name: "runs of two classes", setup: seeded,
			reqs:    []obj{game(0, nil), game(1, nil), sub("POST", "/parse/classes/Player", obj{"p": 0}), sub("POST", "/parse/classes/Player", obj{"p": 1}), sub("POST", "/parse/classes/Player", obj{"p": 2}), game(2, nil)},
			inserts: map[string][]int{"Game": {2, 1}, "Player": {3}, "_SCHEMA": {1}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 1, 2, 3, 4, 5)
				eq(t, "Player", count(t, env, "Player"), 3)
			}},
		{name: "a bad type in the middle fails that item only", setup: seeded,
			reqs:    []obj{game(0, obj{"score": 1}), game(1, obj{"score": "bad"}), game(2, obj{"score": 3}), game(3, obj{"name": obj{"__type": "Pointer", "className": "X", "objectId": "y"}})},
			inserts: map[string][]int{"Game": {2}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 2)
				eq(t, "code", field(items[1], "error.code"), 111)
				eq(t, "code", field(items[3], "error.code"), 111)
			}},
		{name: "a field the first adds binds the later ones",
			reqs: []obj{sub("POST", "/parse/classes/Fresh", obj{"x": 1}), sub("POST", "/parse/classes/Fresh", obj{"x": "s", "y": 1}), sub("POST", "/parse/classes/Fresh", obj{"x": 2, "y": true}),
				sub("POST", "/parse/classes/Fresh", obj{"y": 2}), sub("POST", "/parse/classes/Fresh", obj{"g1": obj{"__type": "GeoPoint", "latitude": 1, "longitude": 2}}), sub("POST", "/parse/classes/Fresh", obj{"g2": obj{"__type": "GeoPoint", "latitude": 1, "longitude": 2}})},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 2, 4)
				eq(t, "x as a string", field(items[1], "error.code"), 111)
				eq(t, "y as a number after a boolean", field(items[3], "error.code"), 111)
				eq(t, "a second GeoPoint", field(items[5], "error.code"), 111)
				eq(t, "Fresh", count(t, env, "Fresh"), 3)
			}},
		{name: "required fields and defaults", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			r := env.Do(apptest.Req{Method: "POST", Path: "/schemas/Req", Master: true, Body: obj{"className": "Req", "fields": obj{
				"name": obj{"type": "String", "required": true}, "score": obj{"type": "Number", "required": true, "defaultValue": 7}}}})
			if r.Status != 200 {
				t.Fatalf("schema: %d %s", r.Status, r.Raw)
			}
			return nil
		},
			reqs: []obj{sub("POST", "/parse/classes/Req", obj{"name": "a"}), sub("POST", "/parse/classes/Req", obj{"other": 1}), sub("POST", "/parse/classes/Req", obj{"name": nil}),
				sub("POST", "/parse/classes/Req", obj{"name": "b", "score": 1}), sub("POST", "/parse/classes/Req", nil)},
			inserts: map[string][]int{"Req": {2}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 3)
				for _, i := range []int{1, 2, 4} {
					eq(t, "missing name", items[i]["error"], obj{"code": 135, "error": "name is required"})
				}
			}},
		{name: "duplicate keys fail their items only", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			v := seeded(t, env)
			if _, err := env.DB.Collection("Game").Indexes().CreateOne(context.Background(), mongo.IndexModel{Keys: bson.D{{Key: "code", Value: 1}}, Options: options.Index().SetUnique(true).SetName("code_1")}); err != nil {
				t.Fatal(err)
			}
			return v
		},
			reqs:    []obj{game(0, obj{"code": "a"}), game(1, obj{"code": "b"}), game(2, obj{"code": "a"}), game(3, obj{"code": "seed"}), game(4, obj{"code": "c"})},
			inserts: map[string][]int{"Game": {5}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 1, 4)
				for _, i := range []int{2, 3} {
					eq(t, "duplicate", items[i]["error"], obj{"code": 137, "error": "A duplicate value for a field with unique values was provided"})
				}
				eq(t, "Game", count(t, env, "Game"), 4)
			}},
		{name: "invalid bodies", setup: seeded,
			reqs: []obj{game(0, obj{"objectId": "abcdefghij"}), game(1, obj{"createdAt": "x"}), game(2, obj{"$bad": 1}), game(3, obj{"ACL": obj{"*": obj{"read": true}}}),
				game(4, obj{"ACL": "no"}), game(5, obj{"arr": obj{"__op": "Add", "objects": arr{1}}, "n": obj{"__op": "Increment", "amount": 2}, "gone": obj{"__op": "Delete"}}),
				game(6, obj{"bad": obj{"__op": "Nope"}}), game(7, obj{"a.b": 1}), game(8, obj{"p": ptr("Other", "abc")}), game(9, obj{"ACL": nil})},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 3, 5, 7, 8, 9) // "a.b" on a create makes the sub-object {a: {b: 1}}
				eq(t, "objectId", items[0]["error"], obj{"code": 105, "error": "objectId is an invalid field name."})
				eq(t, "createdAt", field(items[1], "error.code"), 105)
			}},
		{name: "creates, an update and a read keep their order", setup: seeded,
			reqs: []obj{game(0, nil), game(1, nil), sub("PUT", "/parse/classes/Game/{{id}}", obj{"score": obj{"__op": "Increment", "amount": 1}}), sub("GET", "/parse/classes/Game/{{id}}", nil),
				game(2, obj{"score": "bad"}), game(3, nil), game(4, nil), sub("DELETE", "/parse/classes/Game/{{id}}", nil), game(5, nil)},
			inserts: map[string][]int{"Game": {2, 2, 1}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 1, 2, 3, 5, 6, 7, 8)
				eq(t, "update", items[2]["success"].(map[string]any)["score"], 6)
				eq(t, "get", field(items[3], "success.score"), 6)
				eq(t, "bad", field(items[4], "error.code"), 111)
				r := env.Do(apptest.Req{Path: "/classes/Game", Master: true, Body: nil})
				var is []float64
				for _, o := range r.Results() {
					is = append(is, o["i"].(float64))
				}
				sort.Float64s(is)
				eq(t, "stored", is, []float64{0, 1, 3, 4, 5})
			}},
		{name: "a caller's session and ACL", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			v := seeded(t, env)
			uid, tok := session(t, env, "alice")
			v["uid"], v["tok"] = uid, tok
			return v
		}, session: "{{tok}}",
			reqs:    []obj{game(0, obj{"ACL": obj{"{{uid}}": obj{"read": true, "write": true}}}), game(1, nil), game(2, obj{"owner": ptr("_User", "{{uid}}")})},
			inserts: map[string][]int{"Game": {3}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, v map[string]string) {
				successes(t, items, 0, 1, 2)
				id := field(items[0], "success.objectId").(string)
				eq(t, "_rperm", raw(t, env, "Game", id)["_rperm"], bson.A{v["uid"]})
			}},
		{name: "CLP without create fails every item", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			v := seeded(t, env)
			if r := env.Do(apptest.Req{Method: "PUT", Path: "/schemas/Game", Master: true, Body: obj{"classLevelPermissions": obj{"create": obj{}, "find": obj{"*": true}, "get": obj{"*": true}}}}); r.Status != 200 {
				t.Fatalf("CLP: %d %s", r.Status, r.Raw)
			}
			return v
		}, anon: true,
			reqs:    []obj{game(0, nil), game(1, nil), game(2, nil)},
			inserts: map[string][]int{},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items)
				eq(t, "code", field(items[0], "error.code"), 119)
			}},
		{name: "client class creation off", anon: true,
			reqs:    []obj{sub("POST", "/parse/classes/Nope", obj{"a": 1}), sub("POST", "/parse/classes/Nope", obj{"a": 2})},
			inserts: map[string][]int{},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items)
				eq(t, "code", field(items[1], "error.code"), 119)
			}},
		{name: "client class creation on", anon: true, mod: func(c *config.Config) { c.AllowClientClassCreation = true },
			reqs:    []obj{sub("POST", "/parse/classes/New", obj{"a": 1}), sub("POST", "/parse/classes/New", obj{"a": "x"}), sub("POST", "/parse/classes/New", obj{"a": 2, "b": 1})},
			inserts: map[string][]int{"New": {2}, "_SCHEMA": {1}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 2)
			}},
		{name: "master-only class", anon: true,
			reqs:    []obj{sub("POST", "/parse/classes/_JobStatus", obj{"a": 1}), sub("POST", "/parse/classes/_JobStatus", obj{"a": 2})},
			inserts: map[string][]int{},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items)
			}},
		{name: "bad class name", anon: true,
			reqs:    []obj{sub("POST", "/parse/classes/1bad", obj{"a": 1}), sub("POST", "/parse/classes/1bad", obj{"a": 2})},
			inserts: map[string][]int{},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				eq(t, "code", field(items[1], "error.code"), 103)
			}},
		{name: "relation operators go one by one", setup: seeded,
			reqs:    []obj{game(0, nil), game(1, obj{"rel": obj{"__op": "AddRelation", "objects": arr{ptr("Game", "{{id}}")}}}), game(2, nil), game(3, nil)},
			inserts: map[string][]int{"Game": {1, 1, 2}, "_Join:rel:Game": {1}},
			colls:   []string{"_Join:rel:Game"},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 1, 2, 3)
			}},
		{name: "roles go one by one",
			reqs:    []obj{sub("POST", "/parse/classes/_Role", obj{"name": "a", "ACL": obj{"*": obj{"read": true}}}), sub("POST", "/parse/classes/_Role", obj{"name": "b", "ACL": obj{"*": obj{"read": true}}})},
			inserts: map[string][]int{"_Role": {1, 1}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 1)
			}},
		{name: "a request id for idempotency sends each create alone", setup: seeded, noOracle: true,
			mod:     func(c *config.Config) { c.IdempotencyPaths = []string{"classes/.*", "batch"} },
			headers: map[string]string{"X-Parse-Request-Id": "req-1"},
			reqs:    []obj{game(0, nil), game(1, nil), game(2, nil)},
			inserts: map[string][]int{"Game": {1, 1, 1}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 1, 2)
			}},
		{name: "idempotency on, no request id", setup: seeded,
			mod:     func(c *config.Config) { c.IdempotencyPaths = []string{"classes/.*", "batch"} },
			reqs:    []obj{game(0, nil), game(1, nil), game(2, nil)},
			inserts: map[string][]int{"Game": {3}},
		},
	}
	// Both ways of sending the insert: the engine's own insert command (what the test database,
	// FerretDB, gets; rest.Inserter) and the driver's InsertMany (MongoDB's).
	for _, mode := range []struct {
		name      string
		byCommand bool
	}{{"insert command", true}, {"InsertMany", false}} {
		t.Run(mode.name, func(t *testing.T) {
			runManyCases(t, cases, func(o *rest.Options) { o.Insert.ByCommand = mode.byCommand })
		})
	}
}

func TestBatchCreatesWithTriggers(t *testing.T) {
	define := func(r *cloud.Registry) {
		r.BeforeSave("Trig", func(ctx context.Context, req *cloud.TriggerRequest) error {
			if req.Object.Number("i") == 1 {
				return cloud.Error(cloud.ValidationError, "not one")
			}
			req.Object.Set("seen", true)
			return nil
		})
		r.AfterSave("After", func(ctx context.Context, req *cloud.TriggerRequest) error {
			o := cloud.NewObject("Log")
			o.Set("of", req.Object.ID())
			return req.Client.UseMasterKey().Save(ctx, o)
		})
		r.BeforeSave("Game", func(ctx context.Context, req *cloud.TriggerRequest) error { return nil }) // Game's triggers must not matter to Plain
	}
	trig := func(i int) obj { return sub("POST", "/parse/classes/Trig", obj{"i": i}) }
	after := func(i int) obj { return sub("POST", "/parse/classes/After", obj{"i": i}) }
	plain := func(i int) obj { return sub("POST", "/parse/classes/Plain", obj{"i": i}) }
	runManyCases(t, []manyCase{
		{name: "beforeSave runs per item", define: define,
			reqs:    []obj{trig(0), trig(1), trig(2), plain(0), plain(1)},
			inserts: map[string][]int{"Trig": {1, 1}, "Plain": {2}, "_SCHEMA": {1, 1}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 2, 3, 4)
				eq(t, "rejected", items[1]["error"], obj{"code": 142, "error": "not one"})
				eq(t, "changed by the trigger", field(items[0], "success.seen"), true)
			}},
		{name: "afterSave runs per item", define: define,
			reqs:    []obj{after(0), after(1), after(2)},
			inserts: map[string][]int{"After": {1, 1, 1}, "Log": {1, 1, 1}, "_SCHEMA": {1, 1}},
			check: func(t *testing.T, env *apptest.Env, items []map[string]any, _ map[string]string) {
				successes(t, items, 0, 1, 2)
				eq(t, "logs", count(t, env, "Log"), 3)
			}},
	})
}
