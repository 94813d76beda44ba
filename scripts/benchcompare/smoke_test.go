package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the FerretDB and floor child processes, as the program's
// binary does.
func TestMain(m *testing.M) {
	if runChildIfAsked() {
		return
	}
	os.Exit(m.Run())
}

// TestSmoke runs the benchmark in -smoke mode (our server and the raw driver, a few hundred requests)
// and checks only that every scenario completed without errors and without lost updates on ours;
// never timings.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build ./scripts/server")
	}
	o, err := parseFlags([]string{"-smoke", "-out", filepath.Join(t.TempDir(), "smoke.json")})
	if err != nil {
		t.Fatal(err)
	}
	o.log = testWriter{t}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(o.out, rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, sc := range o.scenarios {
		want[tkOurs+" "+sc] = len(o.concurrency)
		want[tkRaw+" "+sc] = len(o.concurrency)
	}
	for _, sc := range o.embeddedScenarios {
		want[tkEmbedded+" "+sc] = len(o.concurrency)
	}
	for _, sc := range o.floorScenarios {
		want[tkFloor+" "+sc] = len(o.concurrency)
	}
	for _, r := range rep.Results {
		key := r.Target + " " + r.Scenario
		want[key]--
		if r.Ops == 0 {
			t.Errorf("%s c=%d: no operation completed", key, r.Concurrency)
		}
		if r.Errors > 0 && r.Target != tkParse {
			t.Errorf("%s c=%d: %d errors, first: %s", key, r.Concurrency, r.Errors, r.FirstError)
		}
		if r.Scenario == scUpdate && r.Target != tkParse && r.Target != tkRaw && (r.Lost == nil || *r.Lost != 0) {
			t.Errorf("%s c=%d: lost updates %v", key, r.Concurrency, r.Lost)
		}
	}
	for k, n := range want {
		if n != 0 {
			t.Errorf("%s: %d runs missing", k, n)
		}
	}
	for _, c := range rep.ColdStarts {
		if c.Target != tkParse && (c.Error != "" || len(c.RunsMs) == 0) {
			t.Errorf("cold start %s: %q", c.Target, c.Error)
		}
	}
	// The sign-up profile was taken and read (its bcrypt share feeds the sign-up budget).
	if s := rep.OursSignupBcryptShare; s == nil || *s <= 0 || *s > 1 {
		t.Errorf("no bcrypt share from the sign-up profile: %v (skipped: %v)", s, rep.Skipped)
	}
	// From perf where it runs (its figure then stands beside the profile's), else from the profile.
	switch rep.OursSignupSplit {
	case splitPerf:
		if p := rep.OursSignupPprofShare; p == nil || *p <= 0 || *p > 1 {
			t.Errorf("the split came from perf, but the profile's own share is %v", p)
		}
		// The floor server (this test binary) is split the same way, for the floor of the sign-up
		// budget, when the binary has its symbols: go test strips them, go test -c keeps them.
		self, _ := os.Executable()
		p := rep.FloorSignupBcryptShare
		switch {
		case !slices.Contains(o.floorScenarios, scSignup):
		case hasSymbols(self) && (p == nil || *p <= 0 || *p >= 1):
			t.Errorf("the floor server's sign-up split: %v", p)
		case !hasSymbols(self) && p != nil:
			t.Errorf("a floor split (%v) from a binary without symbols", *p)
		}
	case splitPprof:
		if rep.OursSignupPprofShare != nil {
			t.Errorf("the split came from the profile, but a second profile share is set")
		}
	default:
		t.Errorf("the sign-up split names no sampler: %q", rep.OursSignupSplit)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b[:len(b)-min(1, len(b))]))
	return len(b), nil
}
