package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/parselambda/parselambda/shared/embeddb"
	"github.com/parselambda/parselambda/shared/users"
)

const (
	benchAppID     = "benchapp"
	benchMasterKey = "bench-master-key"
)

// Target keys.
const (
	tkParse    = "parse"
	tkOurs     = "ours"
	tkEmbedded = "ours-embedded"
	tkRaw      = "raw"
	tkFloor    = "floor"
)

var targetNames = map[string]string{
	tkParse:    "Parse Server " + parseServerVersion,
	tkOurs:     "ours",
	tkEmbedded: "ours (embedded DB)",
	tkRaw:      "raw mongo-driver",
	tkFloor:    "floor: net/http+drv",
}

// run does the whole comparison. The report is answered even with an error, holding what was measured.
func run(ctx context.Context, o *benchOpts) (*Report, error) {
	rep := newReport(o)
	work, err := os.MkdirTemp("", "benchcompare-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		o.logf("temporary folder kept: %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	o.logf("building ./scripts/server")
	bin, err := buildServer(ctx, work)
	if err != nil {
		return rep, err
	}

	ferret, err := startFerret(ctx, filepath.Join(work, "ferret"), o.host)
	if err != nil {
		return rep, err
	}
	defer ferret.stop(10 * time.Second)
	o.logf("FerretDB 1.24.2 (pid %d) at %s", ferret.pid(), ferret.uri)
	if o.dbDelay > 0 {
		if err := ferret.delayReplies(ctx, o.host, o.dbDelay); err != nil {
			return rep, err
		}
		o.logf("every database reply is held back %s by a proxy at %s", o.dbDelay, ferret.uri)
	}

	// Parse Server: installed on demand, skipped with a message when it cannot run here.
	var pi *parseInstall
	switch {
	case o.noParse:
		rep.skip("Parse Server: skipped (-no-parse)")
	case o.smoke && !o.withParse:
		rep.skip("Parse Server: skipped in -smoke mode (add -with-parse)")
	default:
		pi, err = ensureParse(ctx, o.parseDir, o.logf)
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			rep.skip("Parse Server: comparison SKIPPED: " + err.Error())
			o.logf("%s", rep.Skipped[len(rep.Skipped)-1])
			pi = nil
		} else {
			rep.Machine.Node = pi.node
		}
	}

	// bcrypt, reported apart from sign-up+login.
	bt := goBcryptTime(bcryptRuns)
	rep.Bcrypt = append(rep.Bcrypt, bt)
	if pi != nil {
		if bt, err := pi.bcryptTime(ctx, bcryptRuns); err == nil {
			rep.Bcrypt = append(rep.Bcrypt, bt)
		} else {
			o.logf("Parse Server bcrypt timing: %v", err)
		}
	}

	// The targets, one at a time on the shared database.
	if pi != nil {
		if err := runParse(ctx, o, rep, pi, ferret); err != nil {
			return rep, err
		}
	}
	if err := runOurs(ctx, o, rep, bin, ferret, work, false); err != nil {
		return rep, err
	}
	if len(o.embeddedScenarios) > 0 {
		if err := runOurs(ctx, o, rep, bin, ferret, work, true); err != nil {
			return rep, err
		}
	}
	if err := runRaw(ctx, o, rep, ferret); err != nil {
		return rep, err
	}
	if len(o.floorScenarios) > 0 {
		if err := runFloor(ctx, o, rep, ferret); err != nil {
			return rep, err
		}
	}

	// Cold starts.
	if o.coldRuns > 0 {
		for _, cs := range coldStarters(o, pi, bin, ferret, work) {
			o.logf("cold start: %s, %d runs", cs.name, o.coldRuns)
			c := measureColdStart(ctx, cs, o.coldRuns, o.logf)
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			rep.ColdStarts = append(rep.ColdStarts, c)
		}
	}
	rep.evaluate()
	rep.Machine.LoadEnd = loadAvg()
	return rep, nil
}

// bcryptRuns is how many hashes and how many compares each bcrypt timing takes.
const bcryptRuns = 9

// goBcryptTime times our bcrypt (the cost shared/users uses) in CPU time of the calling thread, the
// measure the server's CPU per request is in (wall time on a busy 2-core machine swings by ±10%).
func goBcryptTime(n int) BcryptTime {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var hashes, compares []float64
	h, _ := bcrypt.GenerateFromPassword([]byte("warm-up"), users.BcryptCost)
	// Hashes and compares alternate, so that a drift of the machine shows in both alike.
	for i := range n {
		t := threadCPU()
		h, _ = bcrypt.GenerateFromPassword([]byte("password-"+strconv.Itoa(i)), users.BcryptCost)
		hashes = append(hashes, float64((threadCPU()-t).Microseconds())/1000)
		t = threadCPU()
		_ = bcrypt.CompareHashAndPassword(h, []byte("password-"+strconv.Itoa(i)))
		compares = append(compares, float64((threadCPU()-t).Microseconds())/1000)
	}
	slices.Sort(hashes)
	slices.Sort(compares)
	all := append(slices.Clone(hashes), compares...)
	return BcryptTime{Impl: "golang.org/x/crypto/bcrypt (ours)", HashMs: hashes[n/2], CompareMs: compares[n/2], SpreadMs: slices.Max(all) - slices.Min(all)}
}

func runParse(ctx context.Context, o *benchOpts, rep *Report, pi *parseInstall, ferret *ferretProc) error {
	addr, err := freeAddr(o.host)
	if err != nil {
		return err
	}
	o.logf("starting Parse Server %s on %s", parseServerVersion, addr)
	p, err := pi.start(ctx, addr, ferret.dbURI("bench_parse"), benchAppID, benchMasterKey, true)
	if err != nil {
		rep.skip("Parse Server: comparison SKIPPED: it did not start: " + err.Error())
		o.logf("%s", rep.Skipped[len(rep.Skipped)-1])
		return nil
	}
	defer p.stop(10 * time.Second)
	d, err := newRESTDriver("http://"+addr+"/parse", benchAppID, benchMasterKey)
	if err != nil {
		return err
	}
	t := &target{key: tkParse, name: targetNames[tkParse], drv: d, serverPID: p.pid(), dbPID: ferret.pid(), db: ferret, dbName: "bench_parse"}
	var split func(*state) error
	if slices.Contains(o.scenarios, scSignup) {
		// Its share of CPU in bcrypt, as ours is measured (signup.go).
		split = func(st *state) error {
			splitParseWithPerf(ctx, o, rep, t, st, perfDataPath(o, tkParse, scSignup))
			return nil
		}
	}
	return runTarget(ctx, o, rep, t, o.scenarios, split)
}

func runOurs(ctx context.Context, o *benchOpts, rep *Report, bin string, ferret *ferretProc, work string, embedded bool) error {
	addr, err := freeAddr(o.host)
	if err != nil {
		return err
	}
	key := tkOurs
	spec := oursSpec{bin: bin, addr: addr, dbName: "bench_ours", appID: benchAppID, masterKey: benchMasterKey}
	scenarios := o.scenarios
	if embedded {
		key = tkEmbedded
		spec.dataDir = filepath.Join(work, "ours-embedded")
		scenarios = o.embeddedScenarios
	} else {
		spec.mongoURI = ferret.dbURI("bench_ours")
		spec.lambdaRuntime = true
	}
	var profiles []string
	for _, p := range o.profiles {
		if tk, sc, _ := cutProfile(p); tk == key && slices.Contains(scenarios, sc) {
			profiles = append(profiles, sc)
		}
	}
	// Sign-up + login is always profiled on the external database: the profile splits our CPU into
	// bcrypt and everything else, for the sign-up budget.
	if !embedded && slices.Contains(scenarios, scSignup) && !slices.Contains(profiles, scSignup) {
		profiles = append(profiles, scSignup)
	}
	if len(profiles) > 0 {
		if spec.pprofAddr, err = freeAddr(o.host); err != nil {
			return err
		}
	}
	o.logf("starting %s on %s", targetNames[key], addr)
	p, err := startOurs(ctx, spec, true)
	if err != nil {
		return err
	}
	defer p.stop(10 * time.Second)
	d, err := newRESTDriver("http://"+addr+"/parse", benchAppID, benchMasterKey)
	if err != nil {
		return err
	}
	t := &target{key: key, name: targetNames[key], drv: d, serverPID: p.pid(), dbPID: ferret.pid(), embedded: embedded}
	if embedded {
		t.dbPID = 0
	} else {
		t.db, t.dbName = ferret, spec.dbName
	}
	var prof func(st *state) error
	if len(profiles) > 0 {
		prof = func(st *state) error {
			for _, sc := range profiles {
				path := profilePath(o, key, sc)
				o.logf("CPU profile of %s under %s (%d s) → %s", t.name, sc, profileSeconds(o, sc), path)
				if err := captureProfile(ctx, o, t, st, sc, spec.pprofAddr, path); err != nil {
					rep.skip(fmt.Sprintf("profile %s:%s: %v", key, sc, err))
					o.logf("profile %s:%s: %v", key, sc, err)
					continue
				}
				rep.Profiles = append(rep.Profiles, path)
				if sc == scSignup && !embedded {
					if share, other, err := bcryptShare(path); err == nil {
						rep.OursSignupBcryptShare, rep.OursSignupOtherSamples, rep.OursSignupSplit = &share, other, splitPprof
					} else {
						o.logf("bcrypt share of %s: %v", path, err)
					}
					splitOursWithPerf(ctx, o, rep, t, st, perfDataPath(o, key, sc))
				}
			}
			return nil
		}
	}
	return runTarget(ctx, o, rep, t, scenarios, prof)
}

// runFloor measures the floor server (floor.go): the raw line's operations behind net/http.
func runFloor(ctx context.Context, o *benchOpts, rep *Report, ferret *ferretProc) error {
	addr, err := freeAddr(o.host)
	if err != nil {
		return err
	}
	o.logf("starting the floor server on %s", addr)
	p, err := startFloor(ctx, addr, ferret.dbURI("bench_floor"), "bench_floor")
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rep.skip("floor server: SKIPPED: it did not start: " + err.Error())
		o.logf("%s", rep.Skipped[len(rep.Skipped)-1])
		return nil
	}
	defer p.stop(10 * time.Second)
	t := &target{key: tkFloor, name: targetNames[tkFloor], drv: newFloorDriver(addr), serverPID: p.pid(), dbPID: ferret.pid(), db: ferret, dbName: "bench_floor"}
	var split func(*state) error
	if slices.Contains(o.floorScenarios, scSignup) && rep.OursSignupSplit == splitPerf {
		// Its CPU outside bcrypt: what the same database operations cost with no Parse work (signup.go).
		split = func(st *state) error {
			splitFloorWithPerf(ctx, o, rep, t, st, perfDataPath(o, tkFloor, scSignup))
			return nil
		}
	}
	return runTarget(ctx, o, rep, t, o.floorScenarios, split)
}

func runRaw(ctx context.Context, o *benchOpts, rep *Report, ferret *ferretProc) error {
	d, err := newRawDriver(ctx, ferret.dbURI("bench_raw"), "bench_raw")
	if err != nil {
		return err
	}
	defer d.close()
	t := &target{key: tkRaw, name: targetNames[tkRaw], drv: d, dbPID: ferret.pid(), db: ferret, dbName: "bench_raw"}
	return runTarget(ctx, o, rep, t, o.scenarios, nil)
}

// runTarget seeds the target and measures its scenarios at each concurrency.
func runTarget(ctx context.Context, o *benchOpts, rep *Report, t *target, scenarios []string, after func(*state) error) error {
	t0 := time.Now()
	ids, err := t.drv.Seed(ctx, o.objects)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	o.logf("%s: seeded %d objects in %.1f s", t.name, len(ids), time.Since(t0).Seconds())
	if o.dbIDIndex && t.db != nil {
		n, err := embeddb.IndexFolder(ctx, t.db.dir, t.dbName)
		if err != nil {
			return fmt.Errorf("%s: -db-id-index: %w", t.name, err)
		}
		o.logf("%s: _id index on the %d tables of database %s", t.name, n, t.dbName)
	}
	st := &state{ids: ids}
	for k := range o.counters {
		st.counters = append(st.counters, ids[k*len(ids)/o.counters])
	}
	st.acked = make([]atomic.Int64, len(st.counters))
	rep.addTarget(t)
	for _, sc := range scenarios {
		for _, c := range o.concurrency {
			r, err := measure(ctx, t, st, o, sc, c)
			if err != nil {
				return err
			}
			rep.Results = append(rep.Results, r)
			o.logf("%s", resultLine(t, r))
		}
	}
	if after != nil {
		if err := after(st); err != nil {
			return err
		}
	}
	return nil
}

func resultLine(t *target, r Result) string {
	s := fmt.Sprintf("%-20s %-13s c=%d  %6d ops  %8.1f ops/s  p50 %7.2f  p99 %7.2f ms", t.name, r.Scenario, r.Concurrency, r.Ops, r.OpsPerSec, r.P50ms, r.P99ms)
	if r.ServerCPU != nil {
		s += fmt.Sprintf("  cpu %.2f s/1k", *r.ServerCPU)
	}
	if r.DBCPU != nil {
		s += fmt.Sprintf("  db %.2f s/1k", *r.DBCPU)
	}
	if r.Errors > 0 {
		s += fmt.Sprintf("  ERRORS %d (%s)", r.Errors, r.FirstError)
	}
	if r.Lost != nil {
		s += fmt.Sprintf("  lost %d of %d", *r.Lost, *r.Acked)
	}
	return s
}

func cutProfile(p string) (string, string, bool) { return strings.Cut(p, ":") }

func profilePath(o *benchOpts, key, sc string) string {
	name := "cpu-" + key + "-" + sc + ".pprof"
	if sc == scSignup {
		name = "cpu-" + key + "-signup.pprof"
	}
	return filepath.Join(filepath.Dir(o.out), name)
}

// perfDataPath is where perf's samples of target key under scenario sc go (signup.go).
func perfDataPath(o *benchOpts, key, sc string) string {
	return strings.TrimSuffix(profilePath(o, key, sc), ".pprof") + ".perf.data"
}

// profileSeconds is the length of the profile of scenario sc: three times -profile-seconds for
// sign-up + login (not in -smoke), where only ~1.5% of the samples fall outside bcrypt and the rest of
// the CPU is read from those.
func profileSeconds(o *benchOpts, sc string) int {
	if sc == scSignup && !o.smoke {
		return 3 * o.profileSeconds
	}
	return o.profileSeconds
}

// profileHz is the sampling rate of our server's CPU profiles: 2.5 times runtime/pprof's 100 Hz, so that
// the sign-up + login profile, 99% bcrypt, has over a hundred samples outside bcrypt (its sampling error
// ±1/√n falls from ±13–18% to about ±8%). It is the most this machine's kernel delivers: CPU-time timers
// fire at its tick, 250 Hz here; asked for more, the profile still gets 250 samples a second, each
// counted as a shorter period, so its times come out too low (the shares stay right).
const profileHz = 250

// captureProfile runs scenario sc at the highest concurrency while it fetches a CPU profile from our
// server's pprof listener (scripts/server serves one on PPROF_ADDR).
func captureProfile(ctx context.Context, o *benchOpts, t *target, st *state, sc, pprofAddr, path string) error {
	secs := profileSeconds(o, sc)
	return underLoad(ctx, o, t, st, sc, secs, func() error { return fetchProfile(ctx, pprofAddr, secs, path) })
}

// underLoad runs scenario sc against t at the highest concurrency, from before fn starts until it
// returns.
func underLoad(ctx context.Context, o *benchOpts, t *target, st *state, sc string, secs int, fn func() error) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runLoad(lctx, slices.Max(o.concurrency), 1<<30, time.Duration(secs+2)*time.Second, 99, scenarioOp(sc, t, st, o))
	}()
	defer func() { cancel(); <-done }()
	return fn()
}

// fetchProfile saves a CPU profile of secs seconds from a pprof listener at path.
func fetchProfile(ctx context.Context, pprofAddr string, secs int, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d&hz=%d", pprofAddr, secs, profileHz)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: time.Duration(secs+30) * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("our server serves no pprof on PPROF_ADDR (scripts/server needs the PPROF_ADDR listener): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// coldStarters are the servers whose cold start is measured.
func coldStarters(o *benchOpts, pi *parseInstall, bin string, ferret *ferretProc, work string) []coldStarter {
	var out []coldStarter
	addr := func() string {
		a, err := freeAddr(o.host)
		if err != nil {
			panic(err) // a loopback port is always available; o.host was checked
		}
		return a
	}
	if pi != nil {
		a := addr()
		out = append(out, coldStarter{key: tkParse, name: targetNames[tkParse], base: "http://" + a + "/parse", appID: benchAppID, masterKey: benchMasterKey,
			start: func(ctx context.Context, wait bool) (*proc, error) {
				return pi.start(ctx, a, ferret.dbURI("cold_parse"), benchAppID, benchMasterKey, wait)
			}})
	}
	ae := addr()
	emb := oursSpec{bin: bin, addr: ae, dataDir: filepath.Join(work, "cold-embedded"), dbName: "cold", appID: benchAppID, masterKey: benchMasterKey}
	out = append(out, coldStarter{key: tkEmbedded, name: targetNames[tkEmbedded], base: "http://" + ae + "/parse", appID: benchAppID, masterKey: benchMasterKey,
		start: func(ctx context.Context, wait bool) (*proc, error) { return startOurs(ctx, emb, wait) }})
	ax := addr()
	ext := oursSpec{bin: bin, addr: ax, mongoURI: ferret.dbURI("cold_ours"), dbName: "cold_ours", appID: benchAppID, masterKey: benchMasterKey, lambdaRuntime: true}
	out = append(out, coldStarter{key: tkOurs, name: targetNames[tkOurs] + " (external FerretDB)", base: "http://" + ax + "/parse", appID: benchAppID, masterKey: benchMasterKey,
		start: func(ctx context.Context, wait bool) (*proc, error) { return startOurs(ctx, ext, wait) }})
	return out
}

// threadCPU is the user+system CPU time of the calling OS thread (getrusage RUSAGE_THREAD, Linux).
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
