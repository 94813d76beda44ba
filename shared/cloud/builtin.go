package cloud

// Built-in jobs: the engine declares them for every deployment, next to the app's own jobs. Their
// names start with "_", which the app's Cloud Code should not use.
const (
	// ScheduleTickJob runs every minute and starts the _JobSchedule rows (Parse Dashboard's scheduled
	// jobs) that are due.
	ScheduleTickJob = "_scheduleTick"
	// MaintenanceJob deletes expired sessions and idempotency keys and old _JobStatus and
	// _PushStatus rows, once a day.
	MaintenanceJob = "_maintenance"
)

// Schedules of the built-in jobs (UTC).
const (
	ScheduleTickExpression = "rate(1 minute)"
	MaintenanceExpression  = "cron(15 3 * * ? *)"
)

// IsBuiltinJob tells whether name is a built-in job.
func IsBuiltinJob(name string) bool { return name == ScheduleTickJob || name == MaintenanceJob }

// BuiltinSchedules are the schedules of the built-in jobs; maintenance false (MAINTENANCE_JOBS=false,
// the CDK context's maintenanceJobs=false) leaves out the maintenance job.
func BuiltinSchedules(maintenance bool) []JobSchedule {
	out := []JobSchedule{{Name: ScheduleTickJob, Expression: ScheduleTickExpression}}
	if maintenance {
		out = append(out, JobSchedule{Name: MaintenanceJob, Expression: MaintenanceExpression})
	}
	return out
}

// AllSchedules are every schedule a deployment runs: the built-in jobs' (BuiltinSchedules) and then
// the app's (Schedules). The CDK app creates one EventBridge schedule per entry; the local server
// runs them in-process.
func (r *Registry) AllSchedules(maintenance bool) []JobSchedule {
	return append(BuiltinSchedules(maintenance), r.Schedules()...)
}
