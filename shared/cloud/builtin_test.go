package cloud_test

import (
	"testing"

	"github.com/parselambda/parselambda/shared/cloud"
)

func TestAllSchedules(t *testing.T) {
	r := cloud.NewRegistry()
	r.Job("nightly", job, cloud.Schedule("cron(0 3 * * ? *)", "Europe/Berlin"))
	r.Job("manual", job)
	got := r.AllSchedules(true)
	if len(got) != 3 || got[0].Name != cloud.ScheduleTickJob || got[0].Expression != "rate(1 minute)" || got[1].Name != cloud.MaintenanceJob ||
		got[1].Expression != "cron(15 3 * * ? *)" || got[2].Name != "nightly" {
		t.Errorf("all %v", got)
	}
	if got := r.AllSchedules(false); len(got) != 2 || got[1].Name != "nightly" {
		t.Errorf("without maintenance %v", got)
	}
	var none *cloud.Registry
	if got := none.AllSchedules(false); len(got) != 1 || !cloud.IsBuiltinJob(got[0].Name) {
		t.Errorf("nil registry %v", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a job named _maintenance was registered")
			}
		}()
		cloud.NewRegistry().Job(cloud.MaintenanceJob, job)
	}()
	for _, s := range cloud.BuiltinSchedules(true) {
		if err := (cloud.ScheduleSpec{Expression: s.Expression}).Validate(); err != nil {
			t.Error(err)
		}
	}
}
