package jobs

import (
	"bytes"
	"context"
	"sync"
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
