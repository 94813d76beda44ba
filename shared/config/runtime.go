package config

import (
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// The garbage collector of a request server. Go's default (GOGC=100: a collection each time the heap
// doubles its live size) suits programs with large live heaps; this engine keeps a few MB live and
// allocates per request, so with the default it spends a large share of its CPU in collections
// (measured in scripts/benchcompare: a /batch of 20 creates 2.3 → 1.7 ms of CPU, a GET 0.83 → 0.51 ms
// at concurrency 8 with GOGC=400, for about 11 MB more peak RSS). Unless the environment sets GOGC or
// GOMEMLIMIT itself (the Go runtime reads both), the server and every function run with GOGC=400
// and a soft memory limit, which makes the collector work harder only as the heap nears it.

// The scheduler of a Lambda function. A function's container serves one request at a time, and
// each request mostly waits for the database. With GOMAXPROCS above 1, every goroutine the HTTP
// stack and the MongoDB driver start while the other Ps are idle wakes a second thread, which spins
// looking for work and goes back to sleep: measured on a 2-vCPU machine (scripts/benchcompare's get
// at concurrency 1), a GET costs 0.78–0.87 ms of CPU with 2 Ps and 0.52–0.68 ms with 1. So inside
// Lambda (AWS_LAMBDA_RUNTIME_API set) the functions run with GOMAXPROCS=1 unless GOMAXPROCS is set.
// The local server keeps Go's default: it serves many clients at once, bcrypt included, and with the
// embedded database FerretDB shares its process.

// The runtime's monitor thread (sysmon) of a Lambda function. When every P is idle (GOMAXPROCS=1,
// the request waiting for the database), sysmon parks until woken. The next system call wakes it
// (a futex) and resets its polling period to 20 µs, and sysmon then takes the P away from any system
// call it sees running across two polls (a loopback write that wakes the database takes that long),
// starting a second thread that spins, finds nothing and sleeps again. A request with one database
// round trip paid about 8 sysmon wake-ups and 4 futex calls; the thread switches also leave it on
// cold caches. GODEBUG=schedtrace=N (N > 0) keeps sysmon out of that sleep: it backs off to its
// 10 ms period and stays there. Measured on a 2-vCPU machine with GOMAXPROCS=1 on the benchmark's
// FerretDB, per request at concurrency 1: system calls for a GET 22 → 9 (strace -c); CPU for a create
// 0.36 → 0.27 ms, an update 1.03 → 0.94 ms, a GET 0.52 → 0.49 ms (scripts/benchcompare -no-parse with
// BENCH_OURS_GODEBUG on and off; more in scripts/benchcompare/README.md). The price: sysmon wakes
// 100 times a second while the process is idle (a Lambda container is frozen then); the runtime
// writes one scheduler line to stderr every N ms (N is the largest the runtime accepts, 24.8 days)
// and at start when the host has been up longer than that; and a crash (an unrecovered panic or a
// fatal error) first dumps the scheduler's state, one line per goroutine, before its usual report.
// The runtime reads schedtrace only at start, so it cannot be set from inside the process: the CDK
// app puts LambdaGODEBUG in every function's environment (infra/functions.go), and
// scripts/benchcompare runs our server with it.

// LambdaGODEBUG is the GODEBUG every Lambda function is deployed with.
const LambdaGODEBUG = "schedtrace=" + sysmonTraceMS

// sysmonTraceMS is the scheduler trace period of LambdaGODEBUG in milliseconds: the largest the
// runtime accepts (an int32; it ignores a larger value, and with it the setting).
const sysmonTraceMS = "2147483647"

// DefaultGCPercent is the GOGC the engine runs with unless GOGC is set.
const DefaultGCPercent = 400

// localMemoryLimit is the soft limit of the local server (no container memory to derive it from).
const localMemoryLimit = 256 << 20

// RuntimeSettings is how TuneRuntime sets the collector; zero values leave a setting alone.
type RuntimeSettings struct {
	GCPercent   int   // 0: GOGC is set in the environment
	MemoryLimit int64 // bytes; 0: GOMEMLIMIT is set in the environment
	Procs       int   // GOMAXPROCS; 0: Go's default (outside Lambda, or GOMAXPROCS set in the environment)
}

// RuntimeFromEnv works out the collector settings: GOGC=400 unless GOGC is set; a soft memory limit
// of 75% of the Lambda function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, MB), or 256 MiB for the
// local server, unless GOMEMLIMIT is set; GOMAXPROCS=1 inside Lambda unless GOMAXPROCS is set.
func RuntimeFromEnv(getenv func(string) string) RuntimeSettings {
	var s RuntimeSettings
	if strings.TrimSpace(getenv("GOGC")) == "" {
		s.GCPercent = DefaultGCPercent
	}
	if strings.TrimSpace(getenv("GOMEMLIMIT")) == "" {
		s.MemoryLimit = localMemoryLimit
		if mb, err := strconv.ParseInt(strings.TrimSpace(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")), 10, 64); err == nil && mb > 0 && mb < math.MaxInt64/(1<<20) {
			s.MemoryLimit = mb << 20 / 4 * 3
		}
	}
	// A GOMAXPROCS the runtime ignores (not a positive integer) does not count as set.
	if n, err := strconv.Atoi(strings.TrimSpace(getenv("GOMAXPROCS"))); strings.TrimSpace(getenv("AWS_LAMBDA_RUNTIME_API")) != "" && (err != nil || n < 1) {
		s.Procs = 1
	}
	return s
}

// TuneRuntime applies RuntimeFromEnv(getenv) to this process, once at start.
func TuneRuntime(getenv func(string) string) RuntimeSettings {
	s := RuntimeFromEnv(getenv)
	if s.GCPercent > 0 {
		debug.SetGCPercent(s.GCPercent)
	}
	if s.MemoryLimit > 0 {
		debug.SetMemoryLimit(s.MemoryLimit)
	}
	if s.Procs > 0 {
		runtime.GOMAXPROCS(s.Procs)
	}
	return s
}
