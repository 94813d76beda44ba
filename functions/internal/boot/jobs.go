package boot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// JobRunner runs a Cloud Code job by name. The jobs engine will provide one; until then NoJobs knows no
// job.
type JobRunner interface {
	RunJob(ctx context.Context, name string, params map[string]any) (any, error)
}

// ErrUnknownJob is returned (wrapped) for a job name that no Cloud Code defines.
var ErrUnknownJob = errors.New("unknown job")

// NoJobs is the JobRunner of a deployment without Cloud Code jobs.
type NoJobs struct{}

// RunJob fails: there are no jobs.
func (NoJobs) RunJob(context.Context, string, map[string]any) (any, error) {
	return nil, fmt.Errorf("%w: no Cloud Code job is defined with that name", ErrUnknownJob)
}

// JobResult is the jobs function's answer to a scheduled invocation.
type JobResult struct {
	Job    string `json:"job"`
	Status string `json:"status"` // "succeeded"
	Result any    `json:"result,omitempty"`
}

// jobsEvent holds the fields that tell the jobs function's events apart.
type jobsEvent struct {
	// API Gateway HTTP API (payload 2.0).
	RequestContext struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
	// A schedule's constant input: EventBridge Scheduler (as the CDK app sets it up) or a rule target.
	Job    string         `json:"job"`
	Params map[string]any `json:"params"`
	// An EventBridge rule's own event.
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Resources  []string `json:"resources"`
	Detail     struct {
		Job    string         `json:"job"`
		Params map[string]any `json:"params"`
	} `json:"detail"`
}

// Jobs is the jobs function's handler: API Gateway events go to the HTTP handler (the /jobs routes);
// a scheduled invocation runs the job it names and fails (so Lambda records a failed invocation and
// the schedule's retry policy applies) when the job fails or is unknown. A job is named by
//   - a constant input {"job": "name", "params": {...}} (EventBridge Scheduler, or a rule's input), or
//   - an EventBridge "Scheduled Event": detail.job, else the name of the rule that fired
//     ("arn:aws:events:...:rule/<name>").
func Jobs(httpHandler HTTPHandler, jobs JobRunner, log *slog.Logger) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var ev jobsEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("jobs: the event is not a JSON object: %w", err)
		}
		if ev.RequestContext.HTTP.Method != "" {
			var req events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, fmt.Errorf("jobs: bad API Gateway event: %w", err)
			}
			return httpHandler(ctx, req)
		}
		name, params := ev.Job, ev.Params
		if name == "" && ev.DetailType == "Scheduled Event" {
			name, params = ev.Detail.Job, ev.Detail.Params
			if name == "" && len(ev.Resources) > 0 {
				if i := strings.LastIndex(ev.Resources[0], "rule/"); i >= 0 {
					name = ev.Resources[0][i+len("rule/"):]
				}
			}
		}
		if name == "" {
			err := errors.New(`jobs: the event names no job: want an API Gateway request, {"job": "name"} or an EventBridge Scheduled Event`)
			log.Error("job not run", "err", err.Error(), "source", ev.Source, "detailType", ev.DetailType)
			return nil, err
		}
		log.Info("job started", "job", name, "source", ev.Source)
		res, err := jobs.RunJob(ctx, name, params)
		if err != nil {
			log.Error("job failed", "job", name, "err", err.Error(), "unknown", errors.Is(err, ErrUnknownJob))
			return nil, fmt.Errorf("job %q: %w", name, err)
		}
		log.Info("job succeeded", "job", name)
		return JobResult{Job: name, Status: "succeeded", Result: res}, nil
	}
}
