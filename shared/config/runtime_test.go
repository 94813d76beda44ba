package config

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

func TestRuntimeFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want RuntimeSettings
	}{
		{"local server", nil, RuntimeSettings{GCPercent: 400, MemoryLimit: 256 << 20}},
		{"lambda 512 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 384 << 20}},
		{"lambda 128 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 96 << 20}},
		{"bad memory size keeps the local limit", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 256 << 20}},
		{"GOGC set by the operator", map[string]string{"GOGC": "100"}, RuntimeSettings{MemoryLimit: 256 << 20}},
		{"GOMEMLIMIT set by the operator", map[string]string{"GOMEMLIMIT": "1GiB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, RuntimeSettings{GCPercent: 400}},
		{"inside Lambda: one P", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 768 << 20, Procs: 1}},
		{"inside Lambda, GOMAXPROCS set by the operator", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "GOMAXPROCS": "2"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 256 << 20}},
		{"inside Lambda, GOMAXPROCS the runtime ignores", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "GOMAXPROCS": "abc"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 256 << 20, Procs: 1}},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "100MiB"}, RuntimeSettings{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := RuntimeFromEnv(func(k string) string { return c.env[k] })
			if got != c.want {
				t.Fatalf("RuntimeFromEnv = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestTuneRuntimeSetsProcsInLambda(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		runtime.GOMAXPROCS(procs)
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	})
	runtime.GOMAXPROCS(2)
	env := map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}
	TuneRuntime(func(k string) string { return env[k] })
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS after TuneRuntime in Lambda = %d, want 1", got)
	}
	if got := debug.SetGCPercent(100); got != DefaultGCPercent {
		t.Fatalf("GOGC after TuneRuntime = %d, want %d", got, DefaultGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != 384<<20 {
		t.Fatalf("memory limit after TuneRuntime = %d, want %d", got, 384<<20)
	}
}

// The runtime parses each GODEBUG value as an int32 and drops one it cannot parse without a word, so
// a period one larger would leave sysmon's deep sleep on.
func TestLambdaGODEBUGIsOneTheRuntimeAccepts(t *testing.T) {
	key, val, ok := strings.Cut(LambdaGODEBUG, "=")
	if !ok || key != "schedtrace" || strings.Contains(val, ",") {
		t.Fatalf("LambdaGODEBUG = %q, want schedtrace=<ms>", LambdaGODEBUG)
	}
	n, err := strconv.ParseInt(val, 10, 32)
	if err != nil || n <= 0 {
		t.Fatalf("schedtrace=%s: the runtime would ignore it (%v)", val, err)
	}
	if n < 24*3600*1000 {
		t.Fatalf("schedtrace=%d ms writes a scheduler line more than once a day", n)
	}
}

// A process started with LambdaGODEBUG runs with schedtrace on: the runtime shows it by dumping its
// scheduler ("SCHED …") when the process crashes. Without it, a crash has no such dump.
func TestLambdaGODEBUGReachesTheRuntime(t *testing.T) {
	if os.Getenv("CONFIG_TEST_CRASH") == "1" {
		panic("crash on purpose")
	}
	crash := func(godebug string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestLambdaGODEBUGReachesTheRuntime$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CONFIG_TEST_CRASH=1", "GODEBUG="+godebug)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "crash on purpose") {
			t.Fatalf("the child did not crash as asked (%v):\n%s", err, out)
		}
		return string(out)
	}
	if out := crash(LambdaGODEBUG); !strings.Contains(out, "SCHED ") {
		t.Fatalf("GODEBUG=%s: no scheduler dump, so the runtime ignored it:\n%s", LambdaGODEBUG, out)
	}
	if out := crash(""); strings.Contains(out, "SCHED ") {
		t.Fatalf("without GODEBUG the crash dumped the scheduler anyway:\n%s", out)
	}
}
