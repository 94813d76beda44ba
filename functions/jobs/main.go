// Command jobs is the Lambda function (provided.al2023, bootstrap) of the jobs family: /jobs and
// /cloud_code over API Gateway HTTP API (payload 2.0), and scheduled runs of Cloud Code jobs from
// EventBridge Scheduler ({"job": "name"}) or an EventBridge rule ("Scheduled Event"); see
// functions/README.md.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parselambda/parselambda/functions/internal/boot"
)

const family = "jobs"

func main() {
	// Once per container: settings (environment + Secrets Manager), the MongoDB client, the engine.
	c := boot.Init(family)
	// Per invocation: API Gateway events to the family's HTTP handler, scheduled events to the job
	// runner (none yet: every job is unknown until the jobs engine is wired in).
	handler := boot.Jobs(boot.HTTP(c.Engine, family), boot.NoJobs{}, c.Log)
	lambda.StartWithOptions(handler, lambda.WithEnableSIGTERM(c.Close))
}
