package main

import (
	"reflect"
	"testing"

	"github.com/parselambda/parselambda/shared/app"
)

func TestCodeJobSchedules(t *testing.T) {
	code := CodeJobSchedules()
	if len(code) != len(app.Cloud().Schedules()) || len(code) == 0 {
		t.Fatalf("code schedules %v", code)
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
