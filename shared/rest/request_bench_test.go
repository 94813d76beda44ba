package rest_test

// Benchmarks of one request of each kind the comparison benchmark (scripts/benchcompare) sends,
// through the whole HTTP handler on the test database: what a request costs the engine, with
// allocations. The database's time is in ns/op too, so compare allocs/op and B/op across changes. The
// embedded FerretDB runs in the test process and its allocations count; point MONGODB_URI at a
// database in another process (`EMBEDDED_DB_ADDR=127.0.0.1:27900 make run` serves one) to see the
// engine's and the driver's alone:
//
//	MONGODB_URI=mongodb://127.0.0.1:27900/ go test ./shared/rest/ -run '^$' -bench BenchmarkRequest -benchmem
//
// Measured so (2026-11-25, 2 vCPUs): get 133 allocs / 16 KB, of which the driver's FindOne is 72 /
// 7 KB; create 281 / 30 KB; update 287 / 28 KB. 2026-11-26, creates and sessions as insert commands
// (shared/dbwrite) and built-in schemas built once: create 267 / 29.2 KB → 230 / 24.4 KB; sign-up +
// login 921 / 103.6 KB → 806 / 83.0 KB (the test's httptest requests included).

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
)

func BenchmarkRequest(b *testing.B) {
	env := apptest.New(b, nil)
	acl := obj{"*": obj{"read": true, "write": true}}
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = env.MustCreate("Bench", obj{"title": fmt.Sprint("seed ", i), "score": i, "counter": 0, "ACL": acl})
	}
	hdr := func(r *http.Request) *http.Request {
		r.Header.Set("X-Parse-Application-Id", env.Config.AppID)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	serve := func(b *testing.B, r *http.Request) {
		w := httptest.NewRecorder()
		env.Handler.ServeHTTP(w, hdr(r))
		if w.Code != http.StatusOK && w.Code != http.StatusCreated {
			b.Fatalf("%s %s: %d %s", r.Method, r.URL, w.Code, w.Body)
		}
	}
	const createBody = `{"title":"x","score":7,"ratio":1.5,"done":true,"tags":["a","b"],"meta":{"k":"v"},"when":{"__type":"Date","iso":"2024-01-02T03:04:05.000Z"},"owner":{"__type":"Pointer","className":"Bench","objectId":"abc"},"ACL":{"*":{"read":true,"write":true}}}`
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			serve(b, httptest.NewRequest("POST", "/parse/classes/Bench", strings.NewReader(createBody)))
		}
	})
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		i := 0
		for b.Loop() {
			serve(b, httptest.NewRequest("GET", "/parse/classes/Bench/"+ids[i%len(ids)], nil))
			i++
		}
	})
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		i := 0
		for b.Loop() {
			serve(b, httptest.NewRequest("PUT", "/parse/classes/Bench/"+ids[i%len(ids)], strings.NewReader(`{"counter":{"__op":"Increment","amount":1}}`)))
			i++
		}
	})
	// Sign-up then login, as the comparison's sign-up+login scenario sends them: two bcrypt operations
	// (about 90 ms of CPU here) in ns/op and cpu-µs/op, few of the allocations.
	users := 0 // usernames stay unique over the runs of the sub-benchmark
	b.Run("signup+login", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			i := users
			users++
			u := fmt.Sprintf("bench-user-%d", i)
			serve(b, httptest.NewRequest("POST", "/parse/users", strings.NewReader(`{"username":"`+u+`","password":"pw-`+u+`"}`)))
			serve(b, httptest.NewRequest("GET", "/parse/login?username="+u+"&password=pw-"+u, nil))
		}
	})
	b.Run("query", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		where := `?where=` + strings.ReplaceAll(`{"score":{"$gte":10,"$lt":40}}`, `"`, `%22`) + `&order=-score&limit=20`
		for b.Loop() {
			serve(b, httptest.NewRequest("GET", "/parse/classes/Bench"+where, nil))
		}
	})
}
