package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario names, in the order they run.
const (
	scCreate = "create"
	scGet    = "get"
	scQuery  = "query"
	scUpdate = "update"
	scSignup = "signup+login"
	scBatch  = "batch"
)

var allScenarios = []string{scCreate, scGet, scQuery, scUpdate, scSignup, scBatch}

// cpuScenarios are those of the server CPU budget (≤ 0.1× Parse Server's).
var cpuScenarios = []string{scCreate, scGet, scQuery, scUpdate, scBatch}

// scenarioUnit says what one operation of a scenario is.
var scenarioUnit = map[string]string{
	scCreate: "POST /classes (9 fields), as a client",
	scGet:    "GET /classes/:id, as a client (public-read object)",
	scQuery:  "GET /classes?where={score range}&order=-score&limit=20, as a client",
	scUpdate: "PUT Increment on one of a few objects, as a client",
	scSignup: "POST /users then GET /login (2 requests, 2 bcrypt operations)",
	scBatch:  "POST /batch of 20 creates, as a client",
}

// target is one system under test.
type target struct {
	key       string // parse, ours, ours-embedded, raw
	name      string
	drv       driver
	serverPID int         // 0: no server process (the raw driver)
	dbPID     int         // the database process; 0 when the database runs inside the server
	embedded  bool        // the database runs inside the server process
	db        *ferretProc // the shared database, for a target on it
	dbName    string      // its database there
	userSeq   atomic.Int64
}

// state is what the scenarios of one target share.
type state struct {
	ids      []string // benchClass objects
	counters []string // the objects the update scenario increments
	acked    []atomic.Int64
}

// Result is the measurement of one scenario at one concurrency on one target.
type Result struct {
	Target      string   `json:"target"`
	Scenario    string   `json:"scenario"`
	Concurrency int      `json:"concurrency"`
	Ops         int      `json:"ops"`
	Seconds     float64  `json:"seconds"`
	OpsPerSec   float64  `json:"opsPerSec"`
	P50ms       float64  `json:"p50ms"`
	P90ms       float64  `json:"p90ms"`
	P99ms       float64  `json:"p99ms"`
	MaxMs       float64  `json:"maxMs"`
	ServerCPU   *float64 `json:"serverCpuSecPer1kOps,omitempty"` // server process user+system seconds per 1,000 operations
	DBCPU       *float64 `json:"dbCpuSecPer1kOps,omitempty"`     // database process, per 1,000 operations
	// MainThreadCPU is Parse Server's main thread alone (node runs the JavaScript there; bcrypt runs
	// on libuv's thread pool), per 1,000 operations.
	MainThreadCPU *float64 `json:"mainThreadCpuSecPer1kOps,omitempty"`
	PeakRSSMB     *float64 `json:"serverPeakRssMB,omitempty"` // VmHWM of the server process after this scenario
	Errors        int      `json:"errors"`
	FirstError    string   `json:"firstError,omitempty"`
	Acked         *int64   `json:"ackedIncrements,omitempty"`
	Lost          *int64   `json:"lostUpdates,omitempty"`
}

// loadOut is what one closed-loop run measured.
type loadOut struct {
	lat      []time.Duration
	errors   int
	firstErr string
	elapsed  time.Duration
}

// runLoad runs op from conc closed-loop workers until maxOps operations were issued or maxDur passed.
func runLoad(ctx context.Context, conc, maxOps int, maxDur time.Duration, seed uint64, op func(ctx context.Context, rnd *rand.Rand, i int) error) loadOut {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		out      loadOut
		wg       sync.WaitGroup
		deadline = time.Now().Add(maxDur)
	)
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(w)))
			var lat []time.Duration
			errs, first := 0, ""
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= maxOps {
					break
				}
				t0 := time.Now()
				err := op(ctx, rnd, i)
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			out.lat = append(out.lat, lat...)
			out.errors += errs
			if out.firstErr == "" {
				out.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	return out
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

// scenarioOp is one operation of scenario sc.
func scenarioOp(sc string, t *target, st *state, o *benchOpts) func(ctx context.Context, rnd *rand.Rand, i int) error {
	d := t.drv
	ref := func(rnd *rand.Rand) string { return st.ids[rnd.IntN(len(st.ids))] }
	switch sc {
	case scCreate:
		return func(ctx context.Context, rnd *rand.Rand, i int) error { return d.Create(ctx, rnd, ref(rnd)) }
	case scGet:
		return func(ctx context.Context, rnd *rand.Rand, i int) error { return d.Get(ctx, ref(rnd)) }
	case scQuery:
		window := min(200, len(st.ids))
		return func(ctx context.Context, rnd *rand.Rand, i int) error {
			lo := rnd.IntN(len(st.ids) - window + 1)
			return d.Query(ctx, lo, lo+window)
		}
	case scUpdate:
		return func(ctx context.Context, rnd *rand.Rand, i int) error {
			k := i % len(st.counters)
			if err := d.Increment(ctx, st.counters[k]); err != nil {
				return err
			}
			st.acked[k].Add(1)
			return nil
		}
	case scSignup:
		return func(ctx context.Context, rnd *rand.Rand, i int) error {
			u := "bench-" + t.key + "-" + strconv.FormatInt(t.userSeq.Add(1), 10)
			return d.SignUpLogin(ctx, u, "pw-"+u)
		}
	case scBatch:
		return func(ctx context.Context, rnd *rand.Rand, i int) error {
			return d.Batch(ctx, rnd, o.batchSize, ref(rnd))
		}
	}
	panic("unknown scenario " + sc)
}

// measure runs scenario sc at concurrency conc on t: a warm-up, then the measured run.
func measure(ctx context.Context, t *target, st *state, o *benchOpts, sc string, conc int) (Result, error) {
	op := scenarioOp(sc, t, st, o)
	var before []int64
	if sc == scUpdate {
		before = make([]int64, len(st.counters))
		for k, id := range st.counters {
			v, err := t.drv.Counter(ctx, id)
			if err != nil {
				return Result{}, fmt.Errorf("%s: read counter: %w", t.name, err)
			}
			before[k] = v
			st.acked[k].Store(0)
		}
	}
	seed := uint64(conc)*1000 + uint64(slices.Index(allScenarios, sc))
	if o.warmup > 0 {
		runLoad(ctx, conc, max(o.warmup, conc), o.warmupDur, seed+7, op)
	}
	cpu0, okS := cpuSeconds(t.serverPID)
	db0, okD := cpuSeconds(t.dbPID)
	main0, okM := mainThreadCPUSeconds(t.serverPID)
	out := runLoad(ctx, conc, o.requests, o.duration, seed, op)
	cpu1, okS2 := cpuSeconds(t.serverPID)
	db1, okD2 := cpuSeconds(t.dbPID)
	main1, okM2 := mainThreadCPUSeconds(t.serverPID)
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	slices.Sort(out.lat)
	r := Result{
		Target: t.key, Scenario: sc, Concurrency: conc, Ops: len(out.lat),
		Seconds: out.elapsed.Seconds(), Errors: out.errors, FirstError: out.firstErr,
		P50ms: percentile(out.lat, 0.50), P90ms: percentile(out.lat, 0.90), P99ms: percentile(out.lat, 0.99),
	}
	if len(out.lat) > 0 {
		r.MaxMs = float64(out.lat[len(out.lat)-1].Microseconds()) / 1000
		r.OpsPerSec = float64(r.Ops) / r.Seconds
		if okS && okS2 {
			v := (cpu1 - cpu0) / float64(r.Ops) * 1000
			r.ServerCPU = &v
		}
		if okD && okD2 {
			v := (db1 - db0) / float64(r.Ops) * 1000
			r.DBCPU = &v
		}
		if t.key == tkParse && okM && okM2 {
			v := (main1 - main0) / float64(r.Ops) * 1000
			r.MainThreadCPU = &v
		}
	}
	if v, ok := peakRSSMB(t.serverPID); ok {
		r.PeakRSSMB = &v
	}
	if sc == scUpdate {
		var acked, gained int64
		for k, id := range st.counters {
			v, err := t.drv.Counter(ctx, id)
			if err != nil {
				return Result{}, fmt.Errorf("%s: read counter: %w", t.name, err)
			}
			acked += st.acked[k].Load()
			gained += v - before[k]
		}
		lost := acked - gained
		r.Acked, r.Lost = &acked, &lost
	}
	return r, nil
}
