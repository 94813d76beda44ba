package cloud_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/parselambda/parselambda/shared/cloud"
)

func job(ctx context.Context, req *cloud.JobRequest) (any, error) { return nil, nil }

func TestSchedules(t *testing.T) {
	r := cloud.NewRegistry()
	r.Job("b", job, cloud.Schedule("rate(1 hour)", ""))
	r.Job("a", job, cloud.Schedule("cron(0 3 * * ? *)", "Europe/Berlin"))
	r.Job("manual", job)
	want := []cloud.JobSchedule{{Name: "a", Expression: "cron(0 3 * * ? *)", TimeZone: "Europe/Berlin"}, {Name: "b", Expression: "rate(1 hour)"}}
	if got := r.Schedules(); !reflect.DeepEqual(got, want) {
		t.Errorf("schedules %v", got)
	}
	if got := r.JobNames(); !reflect.DeepEqual(got, []string{"a", "b", "manual"}) {
		t.Errorf("jobs %v", got)
	}
	var nilReg *cloud.Registry
	if nilReg.Schedules() != nil || nilReg.JobNames() != nil {
		t.Error("a nil registry has jobs")
	}
}

func TestScheduleValidation(t *testing.T) {
	for expr, ok := range map[string]bool{
		"cron(0 3 * * ? *)": true, "rate(5 minutes)": true, "rate(1 day)": true, "at(2030-01-01T00:00:00)": true,
		"cron(0 3 * * *)": false, "every day": false, "rate(0 hours)": false, "rate(2 weeks)": false,
	} {
		err := cloud.ScheduleSpec{Expression: expr}.Validate()
		if (err == nil) != ok {
			t.Errorf("%q: %v", expr, err)
		}
	}
	if err := (cloud.ScheduleSpec{Expression: "rate(1 hour)", TimeZone: "not a zone"}).Validate(); err == nil {
		t.Error("bad time zone accepted")
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestRegistrationRules(t *testing.T) {
	fn := func(ctx context.Context, req *cloud.FunctionRequest) (any, error) { return nil, nil }
	r := cloud.NewRegistry()
	r.Define("f", fn)
	mustPanic(t, "duplicate function", func() { r.Define("f", fn) })
	mustPanic(t, "bad schedule", func() { r.Job("j", job, cloud.Schedule("daily", "")) })
	mustPanic(t, "trigger on _JobStatus", func() {
		r.BeforeSave("_JobStatus", func(ctx context.Context, req *cloud.TriggerRequest) error { return nil })
	})
	r.Freeze()
	mustPanic(t, "registration after freeze", func() { r.Define("g", fn) })
	if _, ok := r.Function("f"); !ok {
		t.Error("f lost")
	}
}

func TestObjectChanges(t *testing.T) {
	o := cloud.ObjectFrom("Game", map[string]any{"objectId": "x1", "score": 10.0, "tags": []any{"a"}})
	o.Increment("score", 5)
	o.AddUnique("tags", "a", "b")
	o.Unset("gone")
	o.Set("name", "n")
	if o.Number("score") != 15 || len(o.Array("tags")) != 2 || o.ID() != "x1" {
		t.Errorf("state %v", o.ToJSON())
	}
	want := map[string]any{
		"score": map[string]any{"__op": "Increment", "amount": 5.0},
		"tags":  map[string]any{"__op": "AddUnique", "objects": []any{"a", "b"}},
		"gone":  map[string]any{"__op": "Delete"},
		"name":  "n",
	}
	if got := o.Changes(); !reflect.DeepEqual(got, want) {
		t.Errorf("changes %v", got)
	}
	o.Saved(map[string]any{"updatedAt": "2030-01-01T00:00:00.000Z"})
	if len(o.Changes()) != 0 || o.UpdatedAt().Year() != 2030 {
		t.Errorf("after save %v %v", o.Changes(), o.UpdatedAt())
	}
	q := cloud.NewQuery("Game").GreaterThan("score", 1).LessThan("score", 9).Descending("score").Limit(3).Select("score")
	wantP := map[string]any{"where": map[string]any{"score": map[string]any{"$gt": 1, "$lt": 9}}, "order": "-score", "limit": 3, "keys": "score"}
	if got := q.Params(); !reflect.DeepEqual(got, wantP) {
		t.Errorf("query %v", got)
	}
}
