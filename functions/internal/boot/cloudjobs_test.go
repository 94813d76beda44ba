package boot_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/parselambda/parselambda/functions/internal/boot"
	cloudcode "github.com/parselambda/parselambda/shared/app"
	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/jobs/lambdastart"
	"github.com/parselambda/parselambda/shared/rest"
)

// The jobs function runs the app's Cloud Code jobs: on a schedule, and from the asynchronous invoke
// that POST /jobs makes.
func TestJobsHandler(t *testing.T) {
	env := apptest.NewWith(t, nil, func(o *rest.Options) { o.Cloud = cloudcode.Cloud() })
	h := boot.JobsHandler(env.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	out, err := h(context.Background(), json.RawMessage(`{"job":"exampleStats"}`))
	if res, ok := out.(boot.JobResult); err != nil || !ok || res.Status != "succeeded" {
		t.Fatalf("scheduled run: %#v %v", out, err)
	}
	_, err = h(context.Background(), json.RawMessage(`{"job":"nope"}`))
	if !errors.Is(err, boot.ErrUnknownJob) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown job: %v", err)
	}
	id, err := env.App.Jobs().Begin(context.Background(), "exampleStats", nil, jobs.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(jobs.Invocation{JobName: "exampleStats", StatusID: id})
	if _, err := h(context.Background(), payload); err != nil {
		t.Fatalf("async run: %v", err)
	}
	st := env.Do(apptest.Req{Path: "/classes/_JobStatus/" + id, Master: true}).Map()
	if st["status"] != "succeeded" || st["source"] != "api" {
		t.Errorf("status %v", st)
	}
	var scheduled int
	for _, r := range env.Do(apptest.Req{Path: "/classes/_JobStatus", Master: true}).Results() {
		if r["source"] == "schedule" {
			scheduled++
		}
	}
	if scheduled != 1 {
		t.Errorf("%d scheduled runs recorded", scheduled)
	}
}

func TestUseLambdaJobStarter(t *testing.T) {
	env := apptest.NewWith(t, nil)
	if err := boot.UseLambdaJobStarter(context.Background(), env.App, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.App.JobStarter().(*jobs.GoStarter); !ok {
		t.Errorf("outside Lambda: %T", env.App.JobStarter())
	}
	vars := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "app-prod-jobs", "AWS_REGION": "eu-west-1"}
	if err := boot.UseLambdaJobStarter(context.Background(), env.App, func(k string) string { return vars[k] }); err != nil {
		t.Fatal(err)
	}
	if s, ok := env.App.JobStarter().(*lambdastart.Starter); !ok || s.FunctionName != "app-prod-jobs" {
		t.Errorf("in Lambda: %#v", env.App.JobStarter())
	}
}

// The schedules of the built-in jobs reach them: {"job": "_scheduleTick"} starts the due _JobSchedule
// rows (none here) and {"job": "_maintenance"} cleans up.
func TestJobsHandlerBuiltins(t *testing.T) {
	env := apptest.NewWith(t, nil, func(o *rest.Options) { o.Cloud = cloudcode.Cloud() })
	h := boot.JobsHandler(env.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, name := range []string{"_scheduleTick", "_maintenance"} {
		out, err := h(context.Background(), json.RawMessage(`{"job":"`+name+`"}`))
		if res, ok := out.(boot.JobResult); err != nil || !ok || res.Status != "succeeded" {
			t.Errorf("%s: %#v %v", name, out, err)
		}
	}
	rows := env.Do(apptest.Req{Path: "/classes/_JobStatus", Master: true}).Results()
	if len(rows) != 1 || rows[0]["jobName"] != "_maintenance" || rows[0]["status"] != "succeeded" {
		t.Errorf("statuses %v (the tick records none)", rows)
	}
}
