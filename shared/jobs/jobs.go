// Package jobs runs Cloud Code jobs: POST /jobs records a _JobStatus row (running) and starts the job
// asynchronously through a Starter (an asynchronous Lambda invoke of the jobs function in AWS, a
// goroutine locally); the Runner runs it and records progress messages and the final status
// (succeeded or failed, with the reason: the job's error, a panic, or its timeout). Scheduled runs
// (EventBridge Scheduler's {"job": name}, or the local Scheduler) go through the same Runner. The
// Runner also has the built-in jobs: _scheduleTick (Tick: starts the due _JobSchedule rows of Parse
// Dashboard) and _maintenance (Maintain).
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/storage"
)

// StatusCollection holds one row per job run.
const StatusCollection = "_JobStatus"

// Statuses of a run.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Sources of a run.
const (
	SourceAPI      = "api"      // POST /jobs
	SourceSchedule = "schedule" // a schedule
)

// Invocation is what a Starter hands to the runner, and the payload of the asynchronous Lambda invoke.
type Invocation struct {
	JobName  string         `json:"jobName"`
	Params   map[string]any `json:"params,omitempty"`
	StatusID string         `json:"statusId"`
}

// Starter starts a begun job without waiting for it.
type Starter interface {
	Start(ctx context.Context, inv Invocation) error
}

// Runner runs jobs of a registry and records them in _JobStatus.
type Runner struct {
	Registry *cloud.Registry
	DB       *mongo.Database
	// Client returns the in-process client jobs use (master key).
	Client func() cloud.Client
	Log    *slog.Logger
	Now    func() time.Time
	// DeadlineMargin: a job whose context has a deadline (the Lambda invocation's) is ended as failed
	// this long before it, so its status is recorded (default 3 s).
	DeadlineMargin time.Duration
	// Starter returns the starter the minute tick starts due _JobSchedule rows with (nil, or nil
	// returned: goroutines of this process).
	Starter func() Starter
	// Maintenance configures the built-in maintenance job.
	Maintenance Maintenance

	tickMu sync.Mutex
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// ErrInvalidJob is the answer for a job name no Cloud Code defines (141 "Invalid job.").
var ErrInvalidJob = parse.NewError(parse.ScriptFailed, "Invalid job.")

// Begin checks that the job exists and records its run as running; it returns the status id.
func (r *Runner) Begin(ctx context.Context, name string, params map[string]any, source string) (string, error) {
	if _, ok := r.job(name); !ok {
		return "", ErrInvalidJob
	}
	id := parse.NewObjectID()
	now := bson.NewDateTimeFromTime(r.now())
	doc := bson.D{{Key: "_id", Value: id}, {Key: "jobName", Value: name}, {Key: "source", Value: source}, {Key: "status", Value: StatusRunning}}
	if len(params) > 0 {
		p, err := encodeParams(params)
		if err != nil {
			return "", err
		}
		doc = append(doc, bson.E{Key: "params", Value: p})
	}
	doc = append(doc, bson.E{Key: "_created_at", Value: now}, bson.E{Key: "_updated_at", Value: now})
	if _, err := r.DB.Collection(StatusCollection).InsertOne(ctx, doc); err != nil {
		return "", err
	}
	return id, nil
}

func encodeParams(params map[string]any) (any, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, parse.NewError(parse.InvalidJSON, "job params must be JSON")
	}
	var m map[string]any
	d := json.NewDecoder(bytesReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, parse.NewError(parse.InvalidJSON, "job params must be JSON")
	}
	return storage.EncodeAtom(m)
}

func (r *Runner) update(ctx context.Context, id string, set bson.D) error {
	set = append(set, bson.E{Key: "_updated_at", Value: bson.NewDateTimeFromTime(r.now())})
	_, err := r.DB.Collection(StatusCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}})
	return err
}

// finish records the final status with a context of its own: the run's may have expired.
func (r *Runner) finish(ctx context.Context, id, status, message string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	set := bson.D{{Key: "status", Value: status}, {Key: "finishedAt", Value: bson.NewDateTimeFromTime(r.now())}}
	if message != "" {
		set = append(set, bson.E{Key: "message", Value: message})
	}
	if err := r.update(fctx, id, set); err != nil {
		r.log().ErrorContext(ctx, "job status not recorded", "statusId", id, "status", status, "err", err)
	}
}

// Fail records a begun run as failed (when it could not be started).
func (r *Runner) Fail(ctx context.Context, id, reason string) {
	r.finish(ctx, id, StatusFailed, reason)
}

type outcome struct {
	result any
	err    error
}

// Run runs a job to its end and records the outcome in its status row (begun first when inv has no
// StatusID). It returns the job's result, or the reason it failed.
func (r *Runner) Run(ctx context.Context, inv Invocation) (any, error) {
	def, ok := r.job(inv.JobName)
	if !ok {
		if inv.StatusID != "" {
			r.finish(ctx, inv.StatusID, StatusFailed, ErrInvalidJob.Msg)
		}
		return nil, ErrInvalidJob
	}
	id := inv.StatusID
	if id == "" {
		var err error
		if id, err = r.Begin(ctx, inv.JobName, inv.Params, SourceAPI); err != nil {
			return nil, err
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timeoutMsg string
	if t := def.Settings.Timeout; t > 0 {
		runCtx, cancel = context.WithTimeout(runCtx, t)
		defer cancel()
		timeoutMsg = fmt.Sprintf("Job timed out after %s.", t)
	}
	if dl, ok := ctx.Deadline(); ok {
		margin := r.DeadlineMargin
		if margin == 0 {
			margin = 3 * time.Second
		}
		early := dl.Add(-margin)
		if cur, has := runCtx.Deadline(); !has || early.Before(cur) {
			runCtx, cancel = context.WithDeadline(runCtx, early)
			defer cancel()
			timeoutMsg = "Job stopped: the function's time limit was reached."
		}
	}
	var client cloud.Client
	if r.Client != nil {
		client = r.Client()
	}
	params := cloud.Params{}
	for k, v := range inv.Params {
		params[k] = v
	}
	req := cloud.NewJobRequest(inv.JobName, id, params, client, r.log(), func(ctx context.Context, msg string) error {
		return r.update(ctx, id, bson.D{{Key: "message", Value: msg}})
	})
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				r.log().ErrorContext(ctx, "job panicked", "job", inv.JobName, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				done <- outcome{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		res, err := def.Handler(runCtx, req)
		done <- outcome{result: res, err: err}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-runCtx.Done():
		// The handler may still finish in its goroutine; its outcome is no longer recorded.
		if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			out = outcome{err: fmt.Errorf("job cancelled: %v", err)}
		} else {
			if timeoutMsg == "" {
				timeoutMsg = "Job timed out."
			}
			out = outcome{err: errors.New(timeoutMsg)}
		}
	}
	if out.err != nil {
		msg := out.err.Error()
		if pe, ok := parse.As(out.err); ok {
			msg = pe.Msg
		}
		r.finish(ctx, id, StatusFailed, msg)
		r.log().WarnContext(ctx, "job failed", "job", inv.JobName, "statusId", id, "err", msg)
		return nil, out.err
	}
	msg, _ := out.result.(string)
	r.finish(ctx, id, StatusSucceeded, msg)
	r.log().InfoContext(ctx, "job succeeded", "job", inv.JobName, "statusId", id)
	return out.result, nil
}

// RunJob runs a job on a schedule's behalf (source "schedule"), waiting for its end; it satisfies the
// jobs Lambda's JobRunner.
func (r *Runner) RunJob(ctx context.Context, name string, params map[string]any) (any, error) {
	if name == cloud.ScheduleTickJob {
		// Every minute: not worth a _JobStatus row each; the runs it starts have theirs.
		n, err := r.Tick(ctx)
		return fmt.Sprintf("%d scheduled jobs started", n), err
	}
	id, err := r.Begin(ctx, name, params, SourceSchedule)
	if err != nil {
		return nil, err
	}
	return r.Run(ctx, Invocation{JobName: name, Params: params, StatusID: id})
}

// LambdaHandler puts the runner in front of next, the jobs function's other handler: the payload of
// an asynchronous start ({"jobName", "params", "statusId"}) runs here, anything else (API Gateway
// requests, schedules' {"job": name}) goes to next.
func (r *Runner) LambdaHandler(next func(context.Context, json.RawMessage) (any, error)) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var inv Invocation
		if json.Unmarshal(raw, &inv) == nil && inv.JobName != "" && inv.StatusID != "" {
			res, err := r.Run(ctx, inv)
			if err != nil {
				// The failure is recorded in _JobStatus; an error here would make Lambda retry the
				// asynchronous invoke and run the job again.
				return map[string]any{"jobName": inv.JobName, "statusId": inv.StatusID, "status": StatusFailed, "error": err.Error()}, nil
			}
			return map[string]any{"jobName": inv.JobName, "statusId": inv.StatusID, "status": StatusSucceeded, "result": res}, nil
		}
		return next(ctx, raw)
	}
}
