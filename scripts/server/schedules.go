package main

import (
	"context"
	"log/slog"
	"os"
	"strings"

	cloudcode "github.com/parselambda/parselambda/shared/app"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/rest"
)

// runSchedules runs the scheduled jobs in this process, on the schedules EventBridge Scheduler runs
// them on in AWS: the built-in ones (the minute tick that starts Parse Dashboard's _JobSchedule rows,
// the daily maintenance unless MAINTENANCE_JOBS=false) and the app's Cloud Code's. LOCAL_SCHEDULES=false
// turns it off. Runs are recorded in _JobStatus with source "schedule" (the tick's own runs are not).
func runSchedules(ctx context.Context, app *rest.App, maint jobs.Maintenance, log *slog.Logger) (*jobs.Scheduler, error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("LOCAL_SCHEDULES")), "false") {
		log.Info("scheduled jobs off (LOCAL_SCHEDULES=false)")
		return nil, nil
	}
	all := cloudcode.Cloud().AllSchedules(!maint.Disabled)
	s := &jobs.Scheduler{Log: log, Run: func(ctx context.Context, name string) error {
		_, err := app.Jobs().RunJob(ctx, name, nil)
		return err
	}}
	if err := s.Start(ctx, all); err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, j := range all {
		names[i] = j.Name + " " + j.Expression
		if j.TimeZone != "" {
			names[i] += " " + j.TimeZone
		}
	}
	log.Info("scheduled jobs run in this process", "schedules", strings.Join(names, ", "))
	return s, nil
}
