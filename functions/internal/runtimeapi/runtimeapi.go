// Package runtimeapi is a small fake of the AWS Lambda Runtime API (2018-06-01) and of the part of the
// Extensions API (2020-01-01) that aws-lambda-go's WithEnableSIGTERM uses, so a real function binary
// (bootstrap, built with -tags lambda.norpc) can be run and invoked locally: start a Server, run the
// binary with AWS_LAMBDA_RUNTIME_API=server.Addr(), and call Invoke. No Lambda function imports it.
//
// It implements GET /runtime/invocation/next, POST /runtime/invocation/{id}/response and /error,
// POST /runtime/init/error, POST /extension/register and GET /extension/event/next (which answers a
// SHUTDOWN event once Shutdown is called, to extensions registered for it).
package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running fake Runtime API on a loopback port.
type Server struct {
	// FunctionARN is sent as Lambda-Runtime-Invoked-Function-Arn.
	FunctionARN string
	// Timeout is the invocation deadline sent to the function (default 30 s, API Gateway's limit).
	Timeout time.Duration

	ln       net.Listener
	srv      *http.Server
	queue    chan *invocation
	seq      atomic.Int64
	mu       sync.Mutex
	inflight map[string]*invocation
	initErr  *FunctionError
	initDone chan struct{} // closed on an init error
	shutdown chan struct{} // closed by Shutdown: SHUTDOWN for the extensions
	shutOnce sync.Once
	extSeq   atomic.Int64
	extMu    sync.Mutex
	extShut  map[string]bool // extension id -> registered for SHUTDOWN
}

type invocation struct {
	id      string
	payload []byte
	done    chan Result
}

// Result is the outcome of one invocation: the function's response payload, or the error it reported.
type Result struct {
	RequestID string
	Payload   []byte         // the response (nil when Err is set)
	Err       *FunctionError // the function reported an error for this invocation
}

// FunctionError is an error document posted by the function (invocation or init error).
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
	Header  string `json:"-"` // Lambda-Runtime-Function-Error-Type
	Raw     []byte `json:"-"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// ErrInit wraps the function's init error in Invoke's error.
var ErrInit = errors.New("function init failed")

// Start listens on 127.0.0.1 (a free port) and serves.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:local",
		Timeout:     30 * time.Second,
		ln:          ln,
		queue:       make(chan *invocation, 16),
		inflight:    map[string]*invocation{},
		initDone:    make(chan struct{}),
		shutdown:    make(chan struct{}),
		extShut:     map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.invokeError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.initError)
	mux.HandleFunc("POST /2020-01-01/extension/register", s.register)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", s.extensionNext)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Invoke queues payload for the function and waits for its response or error, for the function's init
// error (ErrInit), or for ctx (cancel it when the function's process exits).
func (s *Server) Invoke(ctx context.Context, payload []byte) (Result, error) {
	inv := &invocation{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq.Add(1)), payload: payload, done: make(chan Result, 1)}
	select {
	case s.queue <- inv:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-s.initDone:
		return Result{}, fmt.Errorf("%w: %v", ErrInit, s.initErr)
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// InitError returns the init error the function reported, if any.
func (s *Server) InitError() *FunctionError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

// Shutdown answers the pending event/next of the extensions registered for SHUTDOWN, as Lambda does
// before it sends SIGTERM to the function. The runtime's own /next stays pending.
func (s *Server) Shutdown() {
	s.shutOnce.Do(func() { close(s.shutdown) })
}

// Close stops the server, dropping any long poll.
func (s *Server) Close() error {
	s.Shutdown()
	return s.srv.Close()
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	var inv *invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done(): // as in Lambda, a shut-down runtime's /next never returns
		return
	}
	s.mu.Lock()
	s.inflight[inv.id] = inv
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(s.Timeout).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", s.FunctionARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
	_, _ = w.Write(inv.payload)
}

func (s *Server) take(w http.ResponseWriter, r *http.Request) (*invocation, []byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, nil, false
	}
	id := r.PathValue("id")
	s.mu.Lock()
	inv, ok := s.inflight[id]
	delete(s.inflight, id)
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`))
		return nil, nil, false
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
	return inv, body, true
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	if inv, body, ok := s.take(w, r); ok {
		inv.done <- Result{RequestID: inv.id, Payload: body}
	}
}

func (s *Server) invokeError(w http.ResponseWriter, r *http.Request) {
	if inv, body, ok := s.take(w, r); ok {
		inv.done <- Result{RequestID: inv.id, Err: decodeError(body, r.Header)}
	}
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	first := s.initErr == nil
	if first {
		s.initErr = decodeError(body, r.Header)
	}
	s.mu.Unlock()
	if first {
		close(s.initDone)
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func decodeError(body []byte, h http.Header) *FunctionError {
	e := &FunctionError{Raw: body, Header: h.Get("Lambda-Runtime-Function-Error-Type")}
	if json.Unmarshal(body, e) != nil || (e.Type == "" && e.Message == "") {
		e.Type, e.Message = e.Header, string(body)
	}
	return e
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Events []string `json:"events"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	id := fmt.Sprintf("ext-%d", s.extSeq.Add(1))
	s.extMu.Lock()
	for _, e := range body.Events {
		if e == "SHUTDOWN" {
			s.extShut[id] = true
		}
	}
	s.extMu.Unlock()
	w.Header().Set("Lambda-Extension-Identifier", id)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"functionName":"local","functionVersion":"$LATEST","handler":"bootstrap"}`))
}

// extensionNext answers SHUTDOWN after Shutdown to an extension registered for it; others (like
// aws-lambda-go's SIGTERM helper, registered for no event) wait forever, as in Lambda.
func (s *Server) extensionNext(w http.ResponseWriter, r *http.Request) {
	s.extMu.Lock()
	wantsShutdown := s.extShut[r.Header.Get("Lambda-Extension-Identifier")]
	s.extMu.Unlock()
	shutdown := s.shutdown
	if !wantsShutdown {
		shutdown = nil
	}
	select {
	case <-shutdown:
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":%d}`, time.Now().Add(500*time.Millisecond).UnixMilli())
	case <-r.Context().Done():
	}
}
