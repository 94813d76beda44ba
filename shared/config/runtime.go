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
