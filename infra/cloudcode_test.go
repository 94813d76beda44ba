package main

import (
	"reflect"
	"testing"

	"github.com/parselambda/parselambda/shared/app"
)

func TestCodeJobSchedules(t *testing.T) {
	code := CodeJobSchedules(true)
	if len(code) != 2+len(app.Cloud().Schedules()) || len(app.Cloud().Schedules()) == 0 {
		t.Fatalf("code schedules %v", code)
	}
	// The built-in jobs come first: the minute tick and the daily maintenance (UTC).
	if code[0] != (JobSchedule{Name: "_scheduleTick", Expression: "rate(1 minute)"}) ||
		code[1] != (JobSchedule{Name: "_maintenance", Expression: "cron(15 3 * * ? *)"}) {
		t.Errorf("built-in schedules %v", code[:2])
	}
	if off := CodeJobSchedules(false); len(off) != len(code)-1 || off[0].Name != "_scheduleTick" || off[1].Name == "_maintenance" {
		t.Errorf("maintenance off %v", off)
	}
	for _, j := range code {
		if err := j.validate(); err != nil {
			t.Errorf("%v", err)
		}
	}
	got := MergeJobSchedules(
		[]JobSchedule{{Name: "a", Expression: "rate(1 hour)"}, {Name: "b", Expression: "rate(1 day)"}, {Name: "c", Expression: "rate(2 days)"}},
		[]JobSchedule{{Name: "b", Expression: "cron(0 3 * * ? *)", TimeZone: "Europe/Paris"}, {Name: "c", Disabled: true}, {Name: "d", Expression: "rate(5 minutes)"}},
	)
	want := []JobSchedule{{Name: "a", Expression: "rate(1 hour)"}, {Name: "b", Expression: "cron(0 3 * * ? *)", TimeZone: "Europe/Paris"}, {Name: "d", Expression: "rate(5 minutes)"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged %v", got)
	}
}
