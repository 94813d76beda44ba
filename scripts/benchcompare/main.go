// Command benchcompare compares our server with the real Parse Server 7.3 on the same database
// (issue #9): the same closed-loop REST scenarios against each, on loopback, with requests/s,
// latency percentiles, server CPU per request (the database process counted apart), peak RSS,
// errors and lost updates, plus a raw mongo-driver line (the floor) and cold starts.
//
//	make bench-compare                          # full comparison (about 10 minutes on 2 cores)
//	go run ./scripts/benchcompare -smoke        # a few hundred requests: ours and the raw driver only
//
// One FerretDB 1.24.2 process (this binary re-executed as a child, so its CPU is counted separately)
// serves every target, each in its own database. Parse Server is installed with npm on demand into
// a temporary folder; without node/npm its comparison is skipped with a message. Everything listens
// on loopback; the program refuses any other address. See README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// benchOpts are the program's settings (its flags).
type benchOpts struct {
	requests          int           // operations per scenario per concurrency (measured)
	duration          time.Duration // time cap per scenario per concurrency
	warmup            int           // warm-up operations before each measured run
	warmupDur         time.Duration // time cap of a warm-up
	objects           int           // size of the queried class
	counters          int           // objects the update scenario increments
	batchSize         int
	concurrency       []int
	scenarios         []string
	embeddedScenarios []string // run against our server with its embedded database
	floorScenarios    []string // run against the floor server (floor.go)
	coldRuns          int
	host              string
	out               string
	parseDir          string
	smoke             bool
	withParse         bool
	noParse           bool
	keep              bool
	profiles          []string // target:scenario pairs to CPU-profile (our server, PPROF_ADDR)
	profileSeconds    int
	dbDelay           time.Duration // every database reply held back this long (delayReplies)
	dbIDIndex         bool          // index _id in the shared FerretDB's tables after each target seeds
	log               io.Writer
}

func (o *benchOpts) logf(format string, args ...any) {
	if o.log != nil {
		fmt.Fprintf(o.log, "benchcompare: "+format+"\n", args...)
	}
}

func defaultOpts() *benchOpts {
	return &benchOpts{
		requests: 1000, duration: 15 * time.Second, warmup: 30, warmupDur: 3 * time.Second,
		objects: 1000, counters: 4, batchSize: 20, concurrency: []int{1, 8},
		scenarios: allScenarios, embeddedScenarios: []string{scGet}, floorScenarios: allScenarios, coldRuns: 5,
		host: "127.0.0.1", out: "bench-results/latest.json",
		parseDir:       filepath.Join(os.TempDir(), "parselambda-benchcompare-parse-server-"+parseServerVersion),
		profileSeconds: 15, log: os.Stderr,
	}
}

// smokeOpts makes o a quick functional run: a few hundred requests in all.
func smokeOpts(o *benchOpts) {
	o.smoke = true
	o.requests, o.duration, o.warmup, o.warmupDur = 12, 10*time.Second, 3, 5*time.Second
	o.objects, o.coldRuns = 100, 1
	o.profileSeconds = 5
}

func parseFlags(args []string) (*benchOpts, error) {
	o := defaultOpts()
	fs := flag.NewFlagSet("benchcompare", flag.ContinueOnError)
	smoke := fs.Bool("smoke", false, "quick functional run (a few hundred requests; ours and the raw driver only, Parse Server with -with-parse)")
	fs.BoolVar(&o.withParse, "with-parse", false, "in -smoke mode, also run Parse Server")
	fs.BoolVar(&o.noParse, "no-parse", false, "skip Parse Server")
	requests := fs.Int("requests", 0, "measured operations per scenario and concurrency (default 1000; smoke 12)")
	duration := fs.Duration("duration", 0, "time cap per scenario and concurrency (default 15s; smoke 10s)")
	warmup := fs.Int("warmup", -1, "warm-up operations before each measured run (default 30; smoke 3)")
	objects := fs.Int("objects", 0, "objects in the queried class (default 1000; smoke 100)")
	coldRuns := fs.Int("cold-runs", -1, "cold starts per server (median; default 5, smoke 1; 0 skips them)")
	conc := fs.String("concurrency", "1,8", "comma-separated client concurrencies")
	scen := fs.String("scenarios", strings.Join(allScenarios, ","), "scenarios to run")
	emb := fs.String("embedded-scenarios", scGet, "scenarios also run against our server on its embedded database (\"\" for none)")
	floor := fs.String("floor-scenarios", strings.Join(allScenarios, ","), "scenarios also run against the floor server: the raw driver line behind a minimal net/http server, for its CPU (\"\" for none)")
	fs.StringVar(&o.host, "host", o.host, "loopback address every process listens on")
	fs.StringVar(&o.out, "out", o.out, "JSON results file")
	fs.StringVar(&o.parseDir, "parse-dir", o.parseDir, "folder where parse-server is installed with npm (reused across runs)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (databases, logs)")
	prof := fs.String("profile", "", "CPU-profile our server: comma-separated target:scenario pairs (targets ours, ours-embedded), at the highest concurrency; files next to -out")
	fs.DurationVar(&o.dbDelay, "db-delay", 0, "hold every database reply back this long in a proxy in front of the shared FerretDB (every target on it, cold starts included; not the embedded database); the wait costs no CPU: per-request CPU as a function of the wait")
	fs.BoolVar(&o.dbIDIndex, "db-id-index", false, "after each target has seeded its class, give every table of its database on the shared FerretDB the _id index our embedded database keeps itself (embeddb.IndexFolder): a filter of _id alone then reads one row, as on MongoDB and DocumentDB, while any other filter still decodes every document (cold starts are not affected)")
	profSecs := fs.Int("profile-seconds", 0, "length of each CPU profile in seconds (default 15; smoke 5)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *smoke {
		smokeOpts(o)
	}
	if *profSecs > 0 {
		o.profileSeconds = *profSecs
	}
	if *requests > 0 {
		o.requests = *requests
	}
	if *duration > 0 {
		o.duration = *duration
	}
	if *warmup >= 0 {
		o.warmup = *warmup
	}
	if *objects > 0 {
		o.objects = *objects
	}
	if *coldRuns >= 0 {
		o.coldRuns = *coldRuns
	}
	if o.objects < o.counters+1 {
		return nil, fmt.Errorf("-objects must be at least %d", o.counters+1)
	}
	o.concurrency = nil
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-concurrency: bad value %q", s)
		}
		o.concurrency = append(o.concurrency, n)
	}
	var err error
	if o.scenarios, err = scenarioList(*scen); err != nil {
		return nil, err
	}
	if o.embeddedScenarios, err = scenarioList(*emb); err != nil {
		return nil, err
	}
	if o.floorScenarios, err = scenarioList(*floor); err != nil {
		return nil, err
	}
	if err := checkLoopback(o.host); err != nil {
		return nil, err
	}
	if *prof != "" {
		for _, p := range strings.Split(*prof, ",") {
			tk, sc, ok := strings.Cut(strings.TrimSpace(p), ":")
			if !ok || (tk != "ours" && tk != "ours-embedded") || !slices.Contains(allScenarios, sc) {
				return nil, fmt.Errorf("-profile: %q is not target:scenario with target ours or ours-embedded", p)
			}
			o.profiles = append(o.profiles, tk+":"+sc)
		}
	}
	return o, nil
}

func scenarioList(s string) ([]string, error) {
	var out []string
	for _, x := range strings.Split(s, ",") {
		x = strings.TrimSpace(x)
		if x == "" {
			continue
		}
		if !slices.Contains(allScenarios, x) {
			return nil, fmt.Errorf("unknown scenario %q (have %s)", x, strings.Join(allScenarios, ", "))
		}
		out = append(out, x)
	}
	// Keep the canonical order.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(allScenarios, a) - slices.Index(allScenarios, b) })
	return slices.Compact(out), nil
}

func main() {
	if runChildIfAsked() {
		return
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if rep != nil {
		rep.Command = strings.Join(append([]string{os.Args[0]}, os.Args[1:]...), " ")
		printReport(os.Stdout, rep)
		if werr := writeJSON(o.out, rep); werr != nil {
			fmt.Fprintln(os.Stderr, "benchcompare:", werr)
		} else {
			fmt.Printf("\nJSON: %s\n", o.out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

func writeJSON(path string, rep *Report) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
