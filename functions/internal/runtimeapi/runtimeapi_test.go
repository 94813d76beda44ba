package runtimeapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runtime plays a function's side of the protocol with plain HTTP.
type runtime struct {
	t    *testing.T
	base string
}

func (r runtime) next() (id string, payload string) {
	r.t.Helper()
	resp, err := http.Get(r.base + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		r.t.Fatalf("next: %d", resp.StatusCode)
	}
	dl, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil || time.UnixMilli(dl).Before(time.Now()) {
		r.t.Fatalf("deadline header %q", resp.Header.Get("Lambda-Runtime-Deadline-Ms"))
	}
	return resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), string(b)
}

func (r runtime) post(path, body string, header map[string]string) int {
	r.t.Helper()
	req, _ := http.NewRequest("POST", r.base+path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestProtocol(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rt := runtime{t: t, base: "http://" + s.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Extension registration (aws-lambda-go's WithEnableSIGTERM) and its event/next, answered on Shutdown.
	register := func(events string) string {
		req, _ := http.NewRequest("POST", rt.base+"/2020-01-01/extension/register", strings.NewReader(`{"events":`+events+`}`))
		req.Header.Set("Lambda-Extension-Name", "ext")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Lambda-Extension-Identifier") == "" {
			t.Fatalf("register: %v %v", resp, err)
		}
		resp.Body.Close()
		return resp.Header.Get("Lambda-Extension-Identifier")
	}
	extNext := func(id string, out chan<- string) {
		req, _ := http.NewRequest("GET", rt.base+"/2020-01-01/extension/event/next", nil)
		req.Header.Set("Lambda-Extension-Identifier", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out <- string(b)
	}
	shut, never := make(chan string, 1), make(chan string, 1)
	go extNext(register(`["SHUTDOWN"]`), shut)
	go extNext(register(`[]`), never) // aws-lambda-go's WithEnableSIGTERM helper

	go func() {
		id, p := rt.next()
		rt.post("/2018-06-01/runtime/invocation/"+id+"/response", "echo:"+p, nil)
		id, _ = rt.next()
		rt.post("/2018-06-01/runtime/invocation/"+id+"/error", `{"errorMessage":"job \"x\": unknown job","errorType":"wrapError"}`, map[string]string{"Lambda-Runtime-Function-Error-Type": "wrapError"})
	}()
	r, err := s.Invoke(ctx, []byte(`{"a":1}`))
	if err != nil || string(r.Payload) != `echo:{"a":1}` || r.Err != nil || r.RequestID == "" {
		t.Fatalf("first: %+v %v", r, err)
	}
	r, err = s.Invoke(ctx, []byte(`{}`))
	if err != nil || r.Err == nil || r.Err.Type != "wrapError" || !strings.Contains(r.Err.Message, "unknown job") {
		t.Fatalf("second: %+v %v", r, err)
	}
	if code := rt.post("/2018-06-01/runtime/invocation/nope/response", "x", nil); code != 400 {
		t.Errorf("unknown request id: %d", code)
	}

	// An init error ends a pending Invoke.
	go rt.post("/2018-06-01/runtime/init/error", `{"errorMessage":"no database","errorType":"InitError"}`, nil)
	_, err = s.Invoke(ctx, []byte(`{}`))
	if !errors.Is(err, ErrInit) || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("init error: %v", err)
	}

	s.Shutdown()
	select {
	case ev := <-shut:
		if !strings.Contains(ev, `"SHUTDOWN"`) {
			t.Fatalf("extension event: %s", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no SHUTDOWN event")
	}
	select {
	case ev := <-never:
		t.Fatalf("an extension registered for no event got %q", ev)
	case <-time.After(100 * time.Millisecond):
	}
}
