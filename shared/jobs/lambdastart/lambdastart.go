// Package lambdastart starts jobs in AWS: an asynchronous invoke of the jobs function. It is its own
// package so that what runs jobs in goroutines (the local server, `make run`) does not link the
// Lambda SDK.
package lambdastart

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/parselambda/parselambda/shared/jobs"
)

// Invoker is the Lambda API call a Starter makes (the SDK's *lambda.Client).
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Starter starts a job with an asynchronous invoke (InvocationType Event) of the jobs function,
// which runs it (jobs.Runner.LambdaHandler) within its own time limit.
type Starter struct {
	Client       Invoker
	FunctionName string
}

var _ jobs.Starter = (*Starter)(nil)

// New builds a starter with the default AWS configuration (the function's role).
func New(ctx context.Context, functionName string, optFns ...func(*lambda.Options)) (*Starter, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: AWS configuration: %w", err)
	}
	return &Starter{Client: lambda.NewFromConfig(cfg, optFns...), FunctionName: functionName}, nil
}

// Start queues the invocation; Lambda answers 202 once it has accepted the event.
func (s *Starter) Start(ctx context.Context, inv jobs.Invocation) error {
	payload, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	out, err := s.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(s.FunctionName),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("jobs: invoke %s: %w", s.FunctionName, err)
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("jobs: invoke %s: status %d, want 202", s.FunctionName, out.StatusCode)
	}
	return nil
}
