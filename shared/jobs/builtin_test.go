package jobs_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/rest"
)

// A _JobSchedule row written as Parse Dashboard writes it runs on the minute tick, once per slot.
func TestScheduleTick(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []float64
	reg := cloud.NewRegistry()
	reg.Job("report", func(ctx context.Context, req *cloud.JobRequest) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, req.Params.Number("x"))
		return "reported", nil
	})
	env := apptest.NewWith(t, nil, func(o *rest.Options) { o.Cloud = reg })
	runner := env.App.Jobs()
	now := time.Date(2026, 11, 25, 10, 2, 0, 0, time.UTC)
	runner.Now = func() time.Time { return now }
	wait := func() { env.App.JobStarter().(*jobs.GoStarter).Wait() }

	r := env.Do(apptest.Req{Method: "POST", Path: "/cloud_code/jobs", Master: true, Body: map[string]any{"job_schedule": map[string]any{
		"jobName": "report", "params": `{"x": 7}`, "startAfter": "2026-11-25T10:00:00.000Z", "repeatMinutes": 5,
	}}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	// Not deployed: refused by the API already; one in the future: not due.
	env.Do(apptest.Req{Method: "POST", Path: "/cloud_code/jobs", Master: true, Body: map[string]any{"job_schedule": map[string]any{
		"jobName": "report", "startAfter": "2026-12-01T00:00:00.000Z", "timeOfDay": "03:00:00", "daysOfWeek": []any{1, 2},
	}}})

	if n, err := runner.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("first tick: %d %v", n, err)
	}
	wait()
	if n, _ := runner.Tick(ctx); n != 0 {
		t.Errorf("same slot ran again: %d", n)
	}
	// The next slot (10:05): two ticks at once start it once.
	now = now.Add(4 * time.Minute)
	var wg sync.WaitGroup
	var total int
	var tmu sync.Mutex
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := runner.Tick(ctx)
			if err != nil {
				t.Error(err)
			}
			tmu.Lock()
			total += n
			tmu.Unlock()
		}()
	}
	wg.Wait()
	wait()
	if total != 1 {
		t.Errorf("concurrent ticks started %d runs", total)
	}
	// The scheduled tick (RunJob, as the jobs Lambda runs it) records no status of its own.
	if _, err := runner.RunJob(ctx, cloud.ScheduleTickJob, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != 2 || got[0] != 7 {
		t.Errorf("runs %v", got)
	}
	mu.Unlock()
	rows := env.Do(apptest.Req{Path: "/classes/_JobStatus", Master: true}).Results()
	if len(rows) != 2 {
		t.Fatalf("statuses %v", rows)
	}
	for _, row := range rows {
		if row["jobName"] != "report" || row["source"] != "schedule" || row["status"] != "succeeded" {
			t.Errorf("status %v", row)
		}
	}
	sched := env.Do(apptest.Req{Path: "/cloud_code/jobs", Master: true})
	var all []map[string]any
	if err := json.Unmarshal(sched.Raw, &all); err != nil {
		t.Fatal(err)
	}
	var first map[string]any
	for _, s := range all {
		if s["repeatMinutes"] != nil {
			first = s
		}
	}
	if first == nil || first["lastRun"] != float64(time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC).UnixMilli()) {
		t.Errorf("lastRun: %s", sched.Raw)
	}
}

// The maintenance job deletes what has expired or is old, and nothing else.
func TestMaintenance(t *testing.T) {
	ctx := context.Background()
	env := apptest.NewWith(t, nil, func(o *rest.Options) { o.Maintenance = jobs.Maintenance{KeepDays: 10} })
	now := time.Now().UTC()
	date := func(d time.Duration) bson.DateTime { return bson.NewDateTimeFromTime(now.Add(d)) }
	day := 24 * time.Hour
	insert := func(coll string, docs ...bson.D) {
		for _, d := range docs {
			if _, err := env.DB.Collection(coll).InsertOne(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	insert("_Session", bson.D{{Key: "_id", Value: "s1"}, {Key: "_session_token", Value: "r:old"}, {Key: "expiresAt", Value: date(-time.Hour)}},
		bson.D{{Key: "_id", Value: "s2"}, {Key: "_session_token", Value: "r:new"}, {Key: "expiresAt", Value: date(day)}})
	insert("_Idempotency", bson.D{{Key: "_id", Value: "i1"}, {Key: "reqId", Value: "a"}, {Key: "expire", Value: date(-time.Minute)}},
		bson.D{{Key: "_id", Value: "i2"}, {Key: "reqId", Value: "b"}, {Key: "expire", Value: date(time.Minute)}})
	insert("_JobStatus", bson.D{{Key: "_id", Value: "j1"}, {Key: "jobName", Value: "x"}, {Key: "_created_at", Value: date(-11 * day)}},
		bson.D{{Key: "_id", Value: "j2"}, {Key: "jobName", Value: "x"}, {Key: "_created_at", Value: date(-9 * day)}})
	insert("_PushStatus", bson.D{{Key: "_id", Value: "p1"}, {Key: "_created_at", Value: date(-30 * day)}},
		bson.D{{Key: "_id", Value: "p2"}, {Key: "_created_at", Value: date(-time.Hour)}})

	r := env.Do(apptest.Req{Method: "POST", Path: "/jobs/" + cloud.MaintenanceJob, Master: true})
	id := r.Header.Get("X-Parse-Job-Status-Id")
	if r.Status != 200 || id == "" {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	env.App.JobStarter().(*jobs.GoStarter).Wait()
	st := env.Do(apptest.Req{Path: "/classes/_JobStatus/" + id, Master: true}).Map()
	want := "deleted 1 expired sessions, 1 expired idempotency keys, 1 job statuses, 1 push statuses"
	if st["status"] != "succeeded" || st["message"] != want {
		t.Errorf("status %v", st)
	}
	for coll, left := range map[string]string{"_Session": "s2", "_Idempotency": "i2", "_PushStatus": "p2"} {
		var docs []bson.M
		cur, err := env.DB.Collection(coll).Find(ctx, bson.D{})
		if err != nil || cur.All(ctx, &docs) != nil || len(docs) != 1 || docs[0]["_id"] != left {
			t.Errorf("%s left %v (%v)", coll, docs, err)
		}
	}
	if n, _ := env.DB.Collection("_JobStatus").CountDocuments(ctx, bson.D{{Key: "_id", Value: "j1"}}); n != 0 {
		t.Error("old job status kept")
	}

	// Disabled: it runs and deletes nothing.
	off := apptest.NewWith(t, nil, func(o *rest.Options) { o.Maintenance = jobs.Maintenance{Disabled: true} })
	insert2 := bson.D{{Key: "_id", Value: "s1"}, {Key: "_session_token", Value: "r:old"}, {Key: "expiresAt", Value: date(-time.Hour)}}
	if _, err := off.DB.Collection("_Session").InsertOne(ctx, insert2); err != nil {
		t.Fatal(err)
	}
	res, err := off.App.Jobs().RunJob(ctx, cloud.MaintenanceJob, nil)
	if err != nil || res != "maintenance jobs are disabled (MAINTENANCE_JOBS=false)" {
		t.Errorf("disabled: %v %v", res, err)
	}
	if n, _ := off.DB.Collection("_Session").CountDocuments(ctx, bson.D{}); n != 1 {
		t.Error("disabled maintenance deleted a session")
	}
}

func TestMaintenanceFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if m, err := jobs.MaintenanceFromEnv(env(nil)); err != nil || m.Disabled || m.KeepDays != 30 {
		t.Errorf("default %+v %v", m, err)
	}
	if m, err := jobs.MaintenanceFromEnv(env(map[string]string{"MAINTENANCE_JOBS": "false", "JOB_STATUS_KEEP_DAYS": "7"})); err != nil || !m.Disabled || m.KeepDays != 7 {
		t.Errorf("off %+v %v", m, err)
	}
	if _, err := jobs.MaintenanceFromEnv(env(map[string]string{"MAINTENANCE_JOBS": "maybe"})); err == nil {
		t.Error("maybe accepted")
	}
	if _, err := jobs.MaintenanceFromEnv(env(map[string]string{"JOB_STATUS_KEEP_DAYS": "-1"})); err == nil {
		t.Error("-1 days accepted")
	}
}
