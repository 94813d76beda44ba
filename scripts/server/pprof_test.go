package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/google/pprof/profile"
)

// The CPU profile endpoint samples at the rate asked for: the profile's period is 4 ms at ?hz=250
// and 10 ms by default. Bad parameters answer 400.
func TestCPUProfileRate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := servePprof(addr); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { // something to sample
		for x := 0; ctx.Err() == nil; x++ {
			_ = fmt.Sprint(x)
		}
	}()
	get := func(q string) *http.Response { // servePprof listens before it returns
		t.Helper()
		resp, err := http.Get("http://" + addr + "/debug/pprof/profile?" + q)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, c := range []struct {
		query  string
		period int64
	}{{"seconds=1&hz=250", 4_000_000}, {"seconds=1", 10_000_000}} {
		resp := get(c.query)
		p, err := profile.Parse(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %d, not a profile: %v", c.query, resp.StatusCode, err)
		}
		if p.Period != c.period || len(p.Sample) == 0 {
			t.Errorf("%s: period %d ns, %d samples; want %d ns and samples", c.query, p.Period, len(p.Sample), c.period)
		}
	}
	for _, q := range []string{"hz=0", "hz=x", "seconds=0", "seconds=601"} {
		resp := get(q)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
}
