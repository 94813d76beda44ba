package app_test

import (
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/app"
	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/rest"
)

type obj = map[string]any

// The worked example, through the HTTP API.
func TestExample(t *testing.T) {
	env := apptest.NewWith(t, nil, func(o *rest.Options) { o.Cloud = app.Cloud() })
	r := env.Do(apptest.Req{Method: "POST", Path: "/functions/hello", Body: obj{"name": "Ada"}})
	if r.Status != 200 || r.Map()["result"] != "Hello, Ada!" {
		t.Fatalf("hello: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/functions/hello", Body: obj{}}); r.Code() != 142 {
		t.Errorf("hello without a name: %d %s", r.Status, r.Raw)
	}
	book := env.MustCreate("ExampleBook", obj{"title": "Dune"})
	bookPtr := obj{"__type": "Pointer", "className": "ExampleBook", "objectId": book}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/ExampleReview", Master: true, Body: obj{"stars": 9, "book": bookPtr}}); r.Code() != 142 {
		t.Errorf("9 stars: %d %s", r.Status, r.Raw)
	}
	for i := 0; i < 2; i++ {
		r := env.Do(apptest.Req{Method: "POST", Path: "/classes/ExampleReview", Master: true, Body: obj{"stars": 4, "book": bookPtr, "text": "  good  "}})
		if r.Status != 201 || r.Map()["text"] != "good" {
			t.Fatalf("review: %d %s", r.Status, r.Raw)
		}
	}
	if got := env.Do(apptest.Req{Path: "/classes/ExampleBook/" + book, Master: true}).Map()["reviewCount"]; got != 2.0 {
		t.Errorf("reviewCount %v", got)
	}
	r = env.Do(apptest.Req{Method: "POST", Path: "/jobs/exampleStats", Master: true})
	id := r.Header.Get("X-Parse-Job-Status-Id")
	if r.Status != 200 || id == "" {
		t.Fatalf("job: %d %s", r.Status, r.Raw)
	}
	env.App.JobStarter().(*jobs.GoStarter).Wait()
	st := env.Do(apptest.Req{Path: "/classes/_JobStatus/" + id, Master: true}).Map()
	if st["status"] != "succeeded" || st["message"] != "1 books, 2 reviews" {
		t.Errorf("job status %v", st)
	}
	s := app.Cloud().Schedules()
	if len(s) != 1 || s[0].Name != "exampleStats" || s[0].TimeZone != "Europe/Berlin" {
		t.Errorf("schedules %v", s)
	}
	if j, _ := app.Cloud().JobNamed("exampleStats"); j.Settings.Timeout != 5*time.Minute {
		t.Errorf("timeout %v", j.Settings.Timeout)
	}
}
