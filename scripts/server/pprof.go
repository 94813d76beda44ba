package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	runtimepprof "runtime/pprof"
	"strconv"
	"time"
)

// servePprof serves net/http/pprof on addr, which must be a loopback address (PPROF_ADDR, for profiling
// the local server, e.g. by scripts/benchcompare).
func servePprof(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("PPROF_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("PPROF_ADDR must be a loopback address, not %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", cpuProfile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux) //nolint:errcheck // lives as long as the process
	return nil
}

// cpuProfile is net/http/pprof's CPU profile (?seconds=, default 30) with a sampling rate: ?hz=
// (default 100, runtime/pprof's fixed rate). At 100 Hz, a sign-up + login scenario, 99% bcrypt, leaves
// only a few dozen samples outside bcrypt in 45 s; scripts/benchcompare asks for 250. The runtime's
// rate is set before runtime/pprof starts the profile, which then keeps it (the profile's period says
// so) and prints "runtime: cannot set cpu profile rate until previous profile has finished." on stderr.
// Linux fires CPU-time timers at its tick (CONFIG_HZ, 250 on the benchmark's machine): a rate above
// it gets no more samples, and each is counted as the shorter period, so the profile's times come out
// too low.
func cpuProfile(w http.ResponseWriter, r *http.Request) {
	secs, hz := 30, 100
	for _, p := range []struct {
		name     string
		v        *int
		min, max int
	}{{"seconds", &secs, 1, 600}, {"hz", &hz, 1, 10000}} {
		if s := r.URL.Query().Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < p.min || n > p.max {
				http.Error(w, fmt.Sprintf("%s: want an integer from %d to %d", p.name, p.min, p.max), http.StatusBadRequest)
				return
			}
			*p.v = n
		}
	}
	if hz != 100 {
		// A no-op when a profile is already running: the runtime refuses a second rate.
		runtime.SetCPUProfileRate(hz)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile"`)
	if err := runtimepprof.StartCPUProfile(w); err != nil {
		http.Error(w, "a CPU profile is already running", http.StatusConflict)
		return
	}
	select {
	case <-time.After(time.Duration(secs) * time.Second):
	case <-r.Context().Done():
	}
	runtimepprof.StopCPUProfile()
}
