package boot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/jobs/lambdastart"
	"github.com/parselambda/parselambda/shared/rest"
)

// CloudJobs runs the app's Cloud Code jobs (shared/app, through the engine's job runner, which records
// them in _JobStatus with source "schedule") for scheduled invocations.
func CloudJobs(app *rest.App) JobRunner { return cloudJobs{app.Jobs()} }

type cloudJobs struct{ r *jobs.Runner }

func (c cloudJobs) RunJob(ctx context.Context, name string, params map[string]any) (any, error) {
	res, err := c.r.RunJob(ctx, name, params)
	if errors.Is(err, jobs.ErrInvalidJob) {
		return nil, fmt.Errorf("%w: no Cloud Code job is defined with that name", ErrUnknownJob)
	}
	return res, err
}

// JobsHandler is the jobs function's handler: the asynchronous invocations POST /jobs makes
// ({"jobName", "params", "statusId"}) run the job; API Gateway requests and schedules go to Jobs.
func JobsHandler(app *rest.App, log *slog.Logger) func(context.Context, json.RawMessage) (any, error) {
	return app.Jobs().LambdaHandler(Jobs(HTTP(app, "jobs"), CloudJobs(app), log))
}

// UseLambdaJobStarter makes POST /jobs start jobs with an asynchronous invoke (InvocationType Event)
// of the jobs function: JOBS_FUNCTION_NAME, else this function (AWS_LAMBDA_FUNCTION_NAME). Outside
// Lambda (neither set) jobs keep running in goroutines.
func UseLambdaJobStarter(ctx context.Context, app *rest.App, getenv func(string) string) error {
	name := getenv("JOBS_FUNCTION_NAME")
	if name == "" {
		name = getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	if name == "" {
		return nil
	}
	s, err := lambdastart.New(ctx, name)
	if err != nil {
		return err
	}
	app.SetJobStarter(s)
	return nil
}
