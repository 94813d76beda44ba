// Command jobs is the Lambda function (provided.al2023, bootstrap) of the jobs family: /jobs and
// /cloud_code over API Gateway HTTP API (payload 2.0), and scheduled runs of Cloud Code jobs from
// EventBridge Scheduler ({"job": "name"}) or an EventBridge rule ("Scheduled Event"); see
// functions/README.md.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parselambda/parselambda/functions/internal/boot"
)

const family = "jobs"

func main() {
	// Once per container: settings (environment + Secrets Manager), the MongoDB client, the engine.
	c := boot.Init(family)
	// POST /jobs starts a job with an asynchronous invoke of this function.
	if err := boot.UseLambdaJobStarter(context.Background(), c.Engine, os.Getenv); err != nil {
		boot.Fatal(family, err)
	}
	// Per invocation: that invoke's payload runs the job; API Gateway events go to the family's HTTP
	// handler, scheduled events ({"job": name}) to the app's Cloud Code jobs (shared/app).
	lambda.StartWithOptions(boot.JobsHandler(c.Engine, c.Log), lambda.WithEnableSIGTERM(c.Close))
}
