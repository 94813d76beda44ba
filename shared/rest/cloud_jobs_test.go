package rest_test

// Jobs: POST /jobs (master key) starts a job and answers X-Parse-Job-Status-Id; the _JobStatus row
// goes running → succeeded or failed (error, panic, timeout); /cloud_code/jobs is _JobSchedule.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/jobs"
)

type jobGates struct{ started, release chan struct{} }

func jobsCode(g *jobGates) func(r *cloud.Registry) {
	return func(r *cloud.Registry) {
		r.Job("slow", func(ctx context.Context, req *cloud.JobRequest) (any, error) {
			if err := req.Message(ctx, "working on "+req.Params.String("what")); err != nil {
				return nil, err
			}
			close(g.started)
			<-g.release
			n, err := req.Client.Count(ctx, cloud.NewQuery("Item"))
			if err != nil {
				return nil, err
			}
			return "counted " + string(rune('0'+n)), nil
		}, cloud.Schedule("cron(0 3 * * ? *)", "Europe/Berlin"))
		r.Job("fails", func(ctx context.Context, req *cloud.JobRequest) (any, error) {
			return nil, errors.New("disk full")
		})
		r.Job("panics", func(ctx context.Context, req *cloud.JobRequest) (any, error) {
			panic("boom")
		})
		r.Job("hangs", func(ctx context.Context, req *cloud.JobRequest) (any, error) {
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond)
			return "too late", nil
		}, cloud.Timeout(50*time.Millisecond))
	}
}

func jobStatus(t *testing.T, env *apptest.Env, id string) map[string]any {
	t.Helper()
	r := env.Do(apptest.Req{Path: "/classes/_JobStatus/" + id, Master: true})
	if r.Status != 200 {
		t.Fatalf("status row %s: %d %s", id, r.Status, r.Raw)
	}
	return r.Map()
}

func startJob(t *testing.T, env *apptest.Env, req apptest.Req) string {
	t.Helper()
	req.Method, req.Master = "POST", true
	r := env.Do(req)
	if r.Status != 200 || len(r.Map()) != 0 {
		t.Fatalf("start job: %d %s", r.Status, r.Raw)
	}
	id := r.Header.Get("X-Parse-Job-Status-Id")
	if id == "" {
		t.Fatalf("no X-Parse-Job-Status-Id: %v", r.Header)
	}
	return id
}

func TestJobsRun(t *testing.T) {
	t.Parallel()
	g := &jobGates{started: make(chan struct{}), release: make(chan struct{})}
	env := cloudEnv(t, jobsCode(g))
	starter := env.App.JobStarter().(*jobs.GoStarter)
	env.MustCreate("Item", obj{"n": 1})
	env.MustCreate("Item", obj{"n": 2})

	id := startJob(t, env, apptest.Req{Path: "/jobs/slow", Body: obj{"what": "items"}})
	<-g.started
	st := jobStatus(t, env, id)
	eq(t, "running", obj{"jobName": st["jobName"], "status": st["status"], "source": st["source"], "message": st["message"], "params": st["params"]},
		obj{"jobName": "slow", "status": "running", "source": "api", "message": "working on items", "params": obj{"what": "items"}})
	if st["finishedAt"] != nil {
		t.Errorf("finishedAt while running: %v", st["finishedAt"])
	}
	close(g.release)
	starter.Wait()
	st = jobStatus(t, env, id)
	eq(t, "succeeded", obj{"status": st["status"], "message": st["message"]}, obj{"status": "succeeded", "message": "counted 2"})
	if fa, _ := st["finishedAt"].(map[string]any); fa == nil || fa["__type"] != "Date" {
		t.Errorf("finishedAt %v", st["finishedAt"])
	}

	for _, c := range []struct {
		req     apptest.Req
		message string
	}{
		{apptest.Req{Path: "/jobs/fails"}, "disk full"},
		{apptest.Req{Path: "/jobs", Body: obj{"jobName": "panics"}}, "panic: boom"},
		{apptest.Req{Path: "/jobs/hangs"}, "Job timed out after 50ms."},
	} {
		id := startJob(t, env, c.req)
		starter.Wait()
		st := jobStatus(t, env, id)
		if st["status"] != "failed" || st["message"] != c.message || st["finishedAt"] == nil {
			t.Errorf("%s: %v", c.req.Path, st)
		}
	}
}

func TestJobsRefused(t *testing.T) {
	runCloudCases(t, []cloudCase{
		{name: "master key required", define: jobsCode(&jobGates{}), req: apptest.Req{Method: "POST", Path: "/jobs/fails"}, status: 403},
		{name: "unknown job", define: jobsCode(&jobGates{}), req: apptest.Req{Method: "POST", Path: "/jobs/nope", Master: true}, status: 400, code: 141, errIs: "Invalid job."},
		{name: "clients cannot read _JobStatus", define: jobsCode(&jobGates{}), req: apptest.Req{Path: "/classes/_JobStatus"}, status: 400, code: 119},
	})
}

// A scheduled run (the jobs Lambda's {"job": name}) waits for the job and records source "schedule".
func TestJobsScheduledRun(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, jobsCode(&jobGates{}))
	_, err := env.App.Jobs().RunJob(context.Background(), "fails", nil)
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("RunJob: %v", err)
	}
	rows := rawAll(t, env, "_JobStatus")
	if len(rows) != 1 || rows[0]["source"] != "schedule" || rows[0]["status"] != "failed" {
		t.Errorf("rows %v", rows)
	}
	if _, err := env.App.Jobs().RunJob(context.Background(), "nope", nil); err == nil {
		t.Error("unknown job ran")
	}
}

func TestCloudCodeJobsAPI(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, jobsCode(&jobGates{}))
	r := env.Do(apptest.Req{Path: "/cloud_code/jobs/data", Master: true})
	eq(t, "data", r.JSON, obj{"in_use": arr{}, "jobs": arr{"fails", "hangs", "panics", "slow"},
		"schedules": arr{obj{"name": "_scheduleTick", "expression": "rate(1 minute)"}, obj{"name": "_maintenance", "expression": "cron(15 3 * * ? *)"},
			obj{"name": "slow", "expression": "cron(0 3 * * ? *)", "timeZone": "Europe/Berlin"}}})
	r = env.Do(apptest.Req{Method: "POST", Path: "/cloud_code/jobs", Master: true, Body: obj{"job_schedule": obj{"jobName": "nope"}}})
	if r.Code() != 141 {
		t.Errorf("undeployed job scheduled: %d %s", r.Status, r.Raw)
	}
	r = env.Do(apptest.Req{Method: "POST", Path: "/cloud_code/jobs", Master: true, Body: obj{"job_schedule": obj{"jobName": "fails", "description": "nightly", "timeOfDay": "03:00:00.000Z", "daysOfWeek": arr{1, 2}}}})
	if r.Status != 201 {
		t.Fatalf("create schedule: %d %s", r.Status, r.Raw)
	}
	id := r.Map()["objectId"].(string)
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/cloud_code/jobs/" + id, Master: true, Body: obj{"job_schedule": obj{"description": "weekly"}}}); r.Status != 200 {
		t.Fatalf("update schedule: %d %s", r.Status, r.Raw)
	}
	r = env.Do(apptest.Req{Path: "/cloud_code/jobs", Master: true})
	list, _ := r.JSON.([]any)
	if len(list) != 1 || field(list[0].(map[string]any), "description") != "weekly" || field(list[0].(map[string]any), "startAfter") == nil {
		t.Fatalf("list: %s", r.Raw)
	}
	eq(t, "in use", env.Do(apptest.Req{Path: "/cloud_code/jobs/data", Master: true}).Map()["in_use"], arr{"fails"})
	if r := env.Do(apptest.Req{Method: "DELETE", Path: "/cloud_code/jobs/" + id, Master: true}); r.Status != 200 {
		t.Fatalf("delete schedule: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Path: "/cloud_code/jobs"}); r.Status != 403 {
		t.Errorf("without master: %d", r.Status)
	}
}
