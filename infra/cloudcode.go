package main

import (
	"github.com/parselambda/parselambda/shared/app"
)

// CodeJobSchedules are the schedules of the built-in jobs (the minute tick that starts Parse
// Dashboard's _JobSchedule rows, and the daily maintenance job unless maintenance is false) and those
// the app's Cloud Code declares next to its jobs (cloud.Schedule in shared/app): the CDK app deploys
// one EventBridge schedule per scheduled job, so a schedule is written in one place.
func CodeJobSchedules(maintenance bool) []JobSchedule {
	var out []JobSchedule
	for _, s := range app.Cloud().AllSchedules(maintenance) {
		out = append(out, JobSchedule{Name: s.Name, Expression: s.Expression, TimeZone: s.TimeZone})
	}
	return out
}

// MergeJobSchedules is the code's schedules with the context's jobSchedules applied: an entry of the
// context replaces the code's schedule of the same name (another expression or time zone for a
// stage), adds a schedule for a job the code does not schedule, or, with "disabled": true, removes it.
func MergeJobSchedules(code, context []JobSchedule) []JobSchedule {
	byName := map[string]int{}
	var out []JobSchedule
	for _, j := range code {
		byName[j.Name] = len(out)
		out = append(out, j)
	}
	for _, j := range context {
		if i, ok := byName[j.Name]; ok {
			out[i] = j
			continue
		}
		byName[j.Name] = len(out)
		out = append(out, j)
	}
	kept := out[:0]
	for _, j := range out {
		if !j.Disabled {
			kept = append(kept, j)
		}
	}
	return kept
}
