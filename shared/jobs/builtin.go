package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/cloud"
)

// ScheduleCollection holds Parse Dashboard's scheduled jobs (/cloud_code/jobs).
const ScheduleCollection = "_JobSchedule"

// Maintenance configures the built-in maintenance job.
type Maintenance struct {
	// Disabled makes the job do nothing (MAINTENANCE_JOBS=false).
	Disabled bool
	// KeepDays is how long _JobStatus and _PushStatus rows are kept (default 30).
	KeepDays int
}

// job is the job called name: a built-in one (see cloud.BuiltinSchedules) or the app's.
func (r *Runner) job(name string) (*cloud.JobDef, bool) {
	switch name {
	case cloud.ScheduleTickJob:
		return &cloud.JobDef{Name: name, Handler: r.tickJob, Settings: cloud.Settings{Timeout: 50 * time.Second,
			Description: "Starts the _JobSchedule rows (Parse Dashboard's scheduled jobs) that are due."}}, true
	case cloud.MaintenanceJob:
		return &cloud.JobDef{Name: name, Handler: r.maintenanceJob, Settings: cloud.Settings{
			Description: "Deletes expired sessions and idempotency keys, and old _JobStatus and _PushStatus rows."}}, true
	}
	return r.Registry.JobNamed(name)
}

func (r *Runner) starter() Starter {
	if r.Starter != nil {
		if s := r.Starter(); s != nil {
			return s
		}
	}
	return &GoStarter{Runner: r}
}

func (r *Runner) tickJob(ctx context.Context, req *cloud.JobRequest) (any, error) {
	n, err := r.Tick(ctx)
	return fmt.Sprintf("%d scheduled jobs started", n), err
}

// Tick starts every _JobSchedule row that is due now (see DueSlot) through the job starter, so each
// run has its _JobStatus row (source "schedule"). A row's lastRun is moved to the slot it runs for by
// a conditional update on the lastRun the tick read, so of two ticks that see the same due slot only
// one starts it. It returns how many jobs it started.
func (r *Runner) Tick(ctx context.Context) (int, error) {
	// Ticks of one process take turns: the conditional update is atomic on MongoDB and DocumentDB,
	// but the embedded FerretDB (SQLite) may let two concurrent updates match the same row.
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	coll := r.DB.Collection(ScheduleCollection)
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetLimit(1000))
	if err != nil {
		return 0, err
	}
	var rows []bson.M
	if err := cur.All(ctx, &rows); err != nil {
		return 0, err
	}
	now := r.now()
	started := 0
	for _, row := range rows {
		name, _ := row["jobName"].(string)
		id := row["_id"]
		if name == "" {
			continue
		}
		if _, ok := r.job(name); !ok {
			r.log().WarnContext(ctx, "scheduled job is not deployed", "job", name, "scheduleId", id)
			continue
		}
		sr, err := ParseScheduleRow(row)
		if err != nil {
			r.log().WarnContext(ctx, "scheduled job not run: bad _JobSchedule row", "job", name, "scheduleId", id, "err", err)
			continue
		}
		slot, due := DueSlot(sr, now)
		if !due {
			continue
		}
		filter := bson.D{{Key: "_id", Value: id}, {Key: "lastRun", Value: row["lastRun"]}}
		res, err := coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{
			{Key: "lastRun", Value: float64(slot.UnixMilli())},
			{Key: "_updated_at", Value: bson.NewDateTimeFromTime(now)},
		}}})
		if err != nil {
			return started, err
		}
		if res.ModifiedCount == 0 {
			continue // another tick took this slot
		}
		params, err := scheduleParams(row["params"])
		if err != nil {
			r.log().WarnContext(ctx, "scheduled job params are not a JSON object; running without", "job", name, "scheduleId", id, "err", err)
		}
		statusID, err := r.Begin(ctx, name, params, SourceSchedule)
		if err != nil {
			return started, err
		}
		if err := r.starter().Start(ctx, Invocation{JobName: name, Params: params, StatusID: statusID}); err != nil {
			r.log().ErrorContext(ctx, "scheduled job not started", "job", name, "statusId", statusID, "err", err)
			r.Fail(ctx, statusID, "The job could not be started.")
			continue
		}
		started++
	}
	return started, nil
}

// scheduleParams reads a row's params: a JSON string (as Parse Dashboard writes it) or an object.
func scheduleParams(v any) (map[string]any, error) {
	switch p := v.(type) {
	case nil:
		return nil, nil
	case string:
		if strings.TrimSpace(p) == "" {
			return nil, nil
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			return nil, err
		}
		return m, nil
	case bson.M:
		return map[string]any(p), nil
	case map[string]any:
		return p, nil
	case bson.D:
		m := map[string]any{}
		for _, e := range p {
			m[e.Key] = e.Value
		}
		return m, nil
	}
	return nil, fmt.Errorf("params of type %T", v)
}

// MaintenanceResult is what one maintenance run deleted.
type MaintenanceResult struct {
	Sessions, IdempotencyKeys, JobStatuses, PushStatuses int64
}

func (m MaintenanceResult) String() string {
	return fmt.Sprintf("deleted %d expired sessions, %d expired idempotency keys, %d job statuses, %d push statuses",
		m.Sessions, m.IdempotencyKeys, m.JobStatuses, m.PushStatuses)
}

func (r *Runner) maintenanceJob(ctx context.Context, req *cloud.JobRequest) (any, error) {
	if r.Maintenance.Disabled {
		return "maintenance jobs are disabled (MAINTENANCE_JOBS=false)", nil
	}
	res, err := r.Maintain(ctx)
	if err != nil {
		return nil, err
	}
	return res.String(), nil
}

// Maintain deletes expired sessions (_Session.expiresAt before now), expired idempotency keys
// (_Idempotency.expire before now) and _JobStatus and _PushStatus rows created more than
// Maintenance.KeepDays days ago (running jobs' rows included: a run that old has been cut off).
func (r *Runner) Maintain(ctx context.Context) (MaintenanceResult, error) {
	var out MaintenanceResult
	now := r.now()
	keep := r.Maintenance.KeepDays
	if keep <= 0 {
		keep = 30
	}
	cutoff := bson.NewDateTimeFromTime(now.AddDate(0, 0, -keep))
	before := func(field string, t bson.DateTime) bson.D {
		return bson.D{{Key: field, Value: bson.D{{Key: "$lt", Value: t}}}}
	}
	nowDate := bson.NewDateTimeFromTime(now)
	for _, step := range []struct {
		coll   string
		filter bson.D
		n      *int64
	}{
		{"_Session", before("expiresAt", nowDate), &out.Sessions},
		{"_Idempotency", before("expire", nowDate), &out.IdempotencyKeys},
		{StatusCollection, before("_created_at", cutoff), &out.JobStatuses},
		{"_PushStatus", before("_created_at", cutoff), &out.PushStatuses},
	} {
		res, err := r.DB.Collection(step.coll).DeleteMany(ctx, step.filter)
		if err != nil {
			return out, fmt.Errorf("maintenance: %s: %w", step.coll, err)
		}
		*step.n = res.DeletedCount
	}
	return out, nil
}

// MaintenanceFromEnv reads MAINTENANCE_JOBS ("false" disables the maintenance job) and
// JOB_STATUS_KEEP_DAYS (how many days of _JobStatus and _PushStatus rows to keep, default 30).
func MaintenanceFromEnv(getenv func(string) string) (Maintenance, error) {
	m := Maintenance{KeepDays: 30}
	switch v := strings.ToLower(strings.TrimSpace(getenv("MAINTENANCE_JOBS"))); v {
	case "", "true", "1", "yes", "on":
	case "false", "0", "no", "off":
		m.Disabled = true
	default:
		return m, fmt.Errorf("MAINTENANCE_JOBS %q is not true or false", v)
	}
	if v := strings.TrimSpace(getenv("JOB_STATUS_KEEP_DAYS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return m, fmt.Errorf("JOB_STATUS_KEEP_DAYS %q is not a positive number of days", v)
		}
		m.KeepDays = n
	}
	return m, nil
}
