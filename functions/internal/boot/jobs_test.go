package boot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type stubJobs struct{ ran []string }

func (s *stubJobs) RunJob(_ context.Context, name string, params map[string]any) (any, error) {
	s.ran = append(s.ran, name)
	if name == "boom" {
		return nil, errors.New("it broke")
	}
	return map[string]any{"params": params}, nil
}

func TestJobsHandler(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var httpCalls int
	httpH := func(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		httpCalls++
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: req.RawPath}, nil
	}
	run := func(h func(context.Context, json.RawMessage) (any, error), ev string) (any, error) {
		return h(context.Background(), json.RawMessage(ev))
	}

	// No jobs defined: every scheduled run fails with ErrUnknownJob.
	h := Jobs(httpH, NoJobs{}, log)
	_, err := run(h, `{"job":"nightly"}`)
	if !errors.Is(err, ErrUnknownJob) || !strings.Contains(err.Error(), `"nightly"`) {
		t.Fatalf("unknown job: %v", err)
	}

	stub := &stubJobs{}
	h = Jobs(httpH, stub, log)
	out, err := run(h, `{"job":"cleanup","params":{"days":7}}`)
	res, ok := out.(JobResult)
	if err != nil || !ok || res.Job != "cleanup" || res.Status != "succeeded" {
		t.Fatalf("constant input: %#v %v", out, err)
	}
	if _, err := run(h, `{"job":"boom"}`); err == nil || !strings.Contains(err.Error(), "it broke") {
		t.Fatalf("failing job: %v", err)
	}
	// An EventBridge rule's Scheduled Event: detail.job, else the rule's name.
	sched := `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2025-01-01T03:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/nightly-report"],"detail":{}}`
	if _, err := run(h, sched); err != nil {
		t.Fatal(err)
	}
	if _, err := run(h, strings.Replace(sched, `"detail":{}`, `"detail":{"job":"fromDetail"}`, 1)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stub.ran, ","); got != "cleanup,boom,nightly-report,fromDetail" {
		t.Errorf("ran %s", got)
	}
	// API Gateway events go to the HTTP handler.
	out, err = run(h, `{"version":"2.0","routeKey":"POST /parse/jobs/{proxy+}","rawPath":"/parse/jobs/x","requestContext":{"http":{"method":"POST","path":"/parse/jobs/x"}}}`)
	if r, ok := out.(events.APIGatewayV2HTTPResponse); err != nil || !ok || r.Body != "/parse/jobs/x" || httpCalls != 1 {
		t.Fatalf("HTTP event: %#v %v", out, err)
	}
	// Anything else is an error.
	for _, ev := range []string{`{"detail-type":"Object Created","source":"aws.s3"}`, `[1,2]`, `{}`} {
		if _, err := run(h, ev); err == nil {
			t.Errorf("%s: no error", ev)
		}
	}
}
