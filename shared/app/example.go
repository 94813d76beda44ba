package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parselambda/parselambda/shared/cloud"
)

// The worked example. Try it with `make run`:
//
//	curl -X POST -H 'X-Parse-Application-Id: parselambda' -d '{"name":"Ada"}' \
//	     http://localhost:1337/parse/functions/hello
//	curl -X POST -H 'X-Parse-Application-Id: parselambda' -H 'X-Parse-Master-Key: parselambda-master' \
//	     http://localhost:1337/parse/jobs/exampleStats
func init() {
	// A function: POST /functions/hello {"name": "Ada"} → {"result": "Hello, Ada!"}. The name is
	// required (142 without it); at most 30 calls a minute per user.
	cloudCode.Define("hello", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
		greeting := "Hello, " + req.Params.String("name") + "!"
		if req.User != nil {
			greeting += " You are logged in as " + req.User.String("username") + "."
		}
		return greeting, nil
	}, cloud.RequireParams("name"), cloud.Limit(30, time.Minute))

	// A beforeSave validation: a review needs 1 to 5 stars and a book; its text is trimmed.
	cloudCode.BeforeSave("ExampleReview", func(ctx context.Context, req *cloud.TriggerRequest) error {
		o := req.Object
		if stars := o.Number("stars"); stars < 1 || stars > 5 {
			return cloud.Error(cloud.ValidationError, "A review needs 1 to 5 stars.")
		}
		if book := o.Map("book"); book == nil || book["className"] != "ExampleBook" {
			return cloud.Error(cloud.ValidationError, "A review needs a book.")
		}
		if o.Dirty("text") {
			o.Set("text", strings.TrimSpace(o.String("text")))
		}
		return nil
	})

	// An afterSave counter: each new review adds one to its book's reviewCount (with the master key,
	// so the reviewer needs no write access to the book). Its errors are logged, never answered.
	cloudCode.AfterSave("ExampleReview", func(ctx context.Context, req *cloud.TriggerRequest) error {
		if req.Original != nil {
			return nil // an update, not a new review
		}
		id, _ := req.Object.Map("book")["objectId"].(string)
		book := cloud.ObjectFrom("ExampleBook", map[string]any{"objectId": id})
		book.Increment("reviewCount", 1)
		return req.Client.UseMasterKey().Save(ctx, book)
	})

	// A scheduled job: every night at 03:00 Berlin time (EventBridge Scheduler, created by the CDK
	// app from this declaration), and on demand with POST /jobs/exampleStats (master key). Its
	// progress and result are in _JobStatus.
	cloudCode.Job("exampleStats", func(ctx context.Context, req *cloud.JobRequest) (any, error) {
		c := req.Client // jobs run with the master key
		books, err := c.Count(ctx, cloud.NewQuery("ExampleBook"))
		if err != nil {
			return nil, err
		}
		if err := req.Message(ctx, fmt.Sprintf("%d books counted", books)); err != nil {
			return nil, err
		}
		reviews, err := c.Count(ctx, cloud.NewQuery("ExampleReview"))
		if err != nil {
			return nil, err
		}
		stats := cloud.NewObject("ExampleStats")
		stats.Set("books", books)
		stats.Set("reviews", reviews)
		if err := c.Save(ctx, stats); err != nil {
			return nil, err
		}
		return fmt.Sprintf("%d books, %d reviews", books, reviews), nil
	}, cloud.Schedule("cron(0 3 * * ? *)", "Europe/Berlin"), cloud.Timeout(5*time.Minute))
}
