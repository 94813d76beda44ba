// Command classes is the Lambda function (provided.al2023, bootstrap) of the classes family: the objects of every class: /classes, /aggregate, /purge.
// It serves API Gateway HTTP API (payload 2.0) events; see functions/README.md.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parselambda/parselambda/functions/internal/boot"
)

const family = "classes"

func main() {
	// Once per container: settings (environment + Secrets Manager), the MongoDB client, the engine.
	c := boot.Init(family)
	// Per request: the event through httpadapter.NewV2(...).ProxyWithContext into the family's handler.
	lambda.StartWithOptions(boot.HTTP(c.Engine, family), lambda.WithEnableSIGTERM(c.Close))
}
