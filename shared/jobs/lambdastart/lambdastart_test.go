package lambdastart_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/jobs/lambdastart"
	"github.com/parselambda/parselambda/shared/rest"
)

// fakeLambda is a small stand-in for the Lambda Invoke API on loopback:
// POST /2015-03-31/functions/{name}/invocations with X-Amz-Invocation-Type: Event answers 202.
type fakeLambda struct {
	*httptest.Server
	mu       sync.Mutex
	payloads [][]byte
	invType  []string
	fnNames  []string
}

func newFakeLambda(t *testing.T, known string) *fakeLambda {
	f := &fakeLambda{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.payloads = append(f.payloads, body)
		f.invType = append(f.invType, r.Header.Get("X-Amz-Invocation-Type"))
		f.fnNames = append(f.fnNames, r.PathValue("name"))
		f.mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(403)
			return
		}
		if r.PathValue("name") != known {
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"Type":"User","Message":"Function not found: `+r.PathValue("name")+`"}`)
			return
		}
		if r.Header.Get("X-Amz-Invocation-Type") != "Event" {
			w.WriteHeader(200) // a synchronous invoke would answer the function's result
			_, _ = io.WriteString(w, `null`)
			return
		}
		w.WriteHeader(202)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLambda) client() *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(f.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

func TestLambdaStarter(t *testing.T) {
	f := newFakeLambda(t, "parse-jobs")
	s := &lambdastart.Starter{Client: f.client(), FunctionName: "parse-jobs"}
	inv := jobs.Invocation{JobName: "cleanup", Params: map[string]any{"days": 7.0}, StatusID: "abc123"}
	if err := s.Start(context.Background(), inv); err != nil {
		t.Fatalf("start: %v", err)
	}
	f.mu.Lock()
	if len(f.payloads) != 1 || f.invType[0] != "Event" || f.fnNames[0] != "parse-jobs" {
		t.Fatalf("invocations %d %v %v", len(f.payloads), f.invType, f.fnNames)
	}
	var got jobs.Invocation
	if err := json.Unmarshal(f.payloads[0], &got); err != nil || got.JobName != "cleanup" || got.StatusID != "abc123" || got.Params["days"] != 7.0 {
		t.Errorf("payload %s (%v)", f.payloads[0], err)
	}
	f.mu.Unlock()
	bad := &lambdastart.Starter{Client: f.client(), FunctionName: "missing"}
	if err := bad.Start(context.Background(), inv); err == nil {
		t.Error("starting an unknown function succeeded")
	}
}

// The whole path: POST /jobs invokes the jobs function asynchronously (fake Lambda), and the payload
// it received, given to the jobs function's handler, runs the job and records its status.
func TestJobThroughLambda(t *testing.T) {
	f := newFakeLambda(t, "parse-jobs")
	reg := cloud.NewRegistry()
	reg.Job("hello", func(ctx context.Context, req *cloud.JobRequest) (any, error) {
		return "hello " + req.Params.String("who"), nil
	})
	env := apptest.NewWith(t, nil, func(o *rest.Options) {
		o.Cloud = reg
		o.JobStarter = &lambdastart.Starter{Client: f.client(), FunctionName: "parse-jobs"}
	})
	r := env.Do(apptest.Req{Method: "POST", Path: "/jobs/hello", Master: true, Body: map[string]any{"who": "world"}})
	id := r.Header.Get("X-Parse-Job-Status-Id")
	if r.Status != 200 || id == "" {
		t.Fatalf("start: %d %s", r.Status, r.Raw)
	}
	f.mu.Lock()
	payload := f.payloads[0]
	f.mu.Unlock()
	nextCalled := false
	h := env.App.Jobs().LambdaHandler(func(ctx context.Context, raw json.RawMessage) (any, error) {
		nextCalled = true
		return "next", nil
	})
	out, err := h(context.Background(), payload)
	if err != nil || nextCalled {
		t.Fatalf("handler: %v %v next=%v", out, err, nextCalled)
	}
	st := env.Do(apptest.Req{Path: "/classes/_JobStatus/" + id, Master: true}).Map()
	if st["status"] != "succeeded" || st["message"] != "hello world" || st["source"] != "api" {
		t.Errorf("status %v", st)
	}
	if out, _ := h(context.Background(), json.RawMessage(`{"job":"hello"}`)); out != "next" || !nextCalled {
		t.Errorf("a schedule event did not reach the next handler")
	}

	// A starter that fails: the run is recorded as failed and the client is told.
	env2 := apptest.NewWith(t, nil, func(o *rest.Options) {
		o.Cloud = reg
		o.JobStarter = &lambdastart.Starter{Client: f.client(), FunctionName: "missing"}
	})
	r = env2.Do(apptest.Req{Method: "POST", Path: "/jobs/hello", Master: true})
	if r.Code() != 141 {
		t.Fatalf("failed start: %d %s", r.Status, r.Raw)
	}
	rows := env2.Do(apptest.Req{Path: "/classes/_JobStatus", Master: true}).Results()
	if len(rows) != 1 || rows[0]["status"] != "failed" || rows[0]["message"] != "The job could not be started." {
		t.Errorf("rows %v", rows)
	}
}
