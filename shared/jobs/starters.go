package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// GoStarter runs jobs in goroutines of this process (the local server, tests).
type GoStarter struct {
	Runner *Runner
	wg     sync.WaitGroup
}

// Start runs the job in a goroutine, detached from the request.
func (g *GoStarter) Start(ctx context.Context, inv Invocation) error {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		_, _ = g.Runner.Run(context.WithoutCancel(ctx), inv)
	}()
	return nil
}

// Wait waits for the started jobs to end.
func (g *GoStarter) Wait() { g.wg.Wait() }

// Invoker is the Lambda API call a LambdaStarter makes (the SDK's *lambda.Client).
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// LambdaStarter starts a job with an asynchronous invoke (InvocationType Event) of the jobs function,
// which runs it (Runner.LambdaHandler) within its own time limit.
type LambdaStarter struct {
	Client       Invoker
	FunctionName string
}

// NewLambdaStarter builds a starter with the default AWS configuration (the function's role).
func NewLambdaStarter(ctx context.Context, functionName string, optFns ...func(*lambda.Options)) (*LambdaStarter, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: AWS configuration: %w", err)
	}
	return &LambdaStarter{Client: lambda.NewFromConfig(cfg, optFns...), FunctionName: functionName}, nil
}

// Start queues the invocation; Lambda answers 202 once it has accepted the event.
func (s *LambdaStarter) Start(ctx context.Context, inv Invocation) error {
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
