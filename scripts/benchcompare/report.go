package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Report is everything one run measured (written as JSON).
type Report struct {
	StartedAt  time.Time    `json:"startedAt"`
	Command    string       `json:"command"`
	Machine    Machine      `json:"machine"`
	Settings   Settings     `json:"settings"`
	Targets    []TargetInfo `json:"targets"`
	Results    []Result     `json:"results"`
	ColdStarts []ColdStart  `json:"coldStarts,omitempty"`
	Bcrypt     []BcryptTime `json:"bcrypt,omitempty"`
	Budgets    []Budget     `json:"budgets,omitempty"`
	Profiles   []string     `json:"profiles,omitempty"`
	// OursSignupBcryptShare is the share of our server's CPU spent in bcrypt under sign-up + login,
	// at the highest concurrency, from the sampler OursSignupSplit names (signup.go): "perf" (perf
	// record, cpu-clock) where perf runs, else "pprof" (our server's CPU profile).
	OursSignupBcryptShare *float64 `json:"oursSignupBcryptShare,omitempty"`
	// OursSignupOtherSamples is how many samples of that sampler are outside bcrypt: the CPU of the
	// rest is known to about ±1/√n.
	OursSignupOtherSamples int64  `json:"oursSignupOtherSamples,omitempty"`
	OursSignupSplit        string `json:"oursSignupSplit,omitempty"`
	// OursSignupPprofShare is the pprof profile's share when perf gave the figure above: the pprof
	// figure is kept to show how far the two samplers differ (signup.go).
	OursSignupPprofShare *float64 `json:"oursSignupPprofShare,omitempty"`
	// ParseSignupBcryptShare is Parse Server's share of CPU inside its native bcrypt under sign-up +
	// login, from perf, when perf runs; else its main thread's CPU stands for the rest (a lower bound).
	ParseSignupBcryptShare  *float64 `json:"parseSignupBcryptShare,omitempty"`
	ParseSignupOtherSamples int64    `json:"parseSignupOtherSamples,omitempty"`
	// FloorSignupBcryptShare is the floor server's, from perf, when ours came from perf too.
	FloorSignupBcryptShare  *float64 `json:"floorSignupBcryptShare,omitempty"`
	FloorSignupOtherSamples int64    `json:"floorSignupOtherSamples,omitempty"`
	// PerfData are perf's sample files (perf report -i FILE).
	PerfData []string `json:"perfData,omitempty"`
	Skipped  []string `json:"skipped,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemoryMB int    `json:"memoryMB"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	Node     string `json:"node,omitempty"`
	LoadAvg  string `json:"loadAvgAtStart"`
	LoadEnd  string `json:"loadAvgAtEnd,omitempty"`
	Database string `json:"database"`
}

// Settings are the load parameters of the run.
type Settings struct {
	Requests    int      `json:"requestsPerRun"`
	DurationCap string   `json:"durationCapPerRun"`
	Warmup      int      `json:"warmupOps"`
	Objects     int      `json:"objects"`
	Counters    int      `json:"incrementedObjects"`
	BatchSize   int      `json:"batchSize"`
	Concurrency []int    `json:"concurrency"`
	ColdRuns    int      `json:"coldStartRuns"`
	Smoke       bool     `json:"smoke"`
	Units       []string `json:"scenarioUnits"`
	OursEnv     []string `json:"oursEnvOverrides,omitempty"` // BENCH_OURS_* settings
	DBDelay     string   `json:"dbReplyDelay,omitempty"`     // -db-delay
	DBIDIndex   bool     `json:"dbIdIndex,omitempty"`        // -db-id-index
}

// TargetInfo names a target and where its CPU is counted.
type TargetInfo struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Note string `json:"note"`
}

// Budget is one of issue #9's targets, judged on this run.
type Budget struct {
	Name   string `json:"name"`
	Status string `json:"status"` // met, MISSED, info, n/a
	Detail string `json:"detail"`
}

func newReport(o *benchOpts) *Report {
	r := &Report{StartedAt: time.Now().UTC()}
	r.Machine = Machine{
		CPU: cpuModel(), Cores: runtime.NumCPU(), MemoryMB: memTotalMB(),
		Kernel:   strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		Go:       runtime.Version(),
		LoadAvg:  loadAvg(),
		Database: "FerretDB 1.24.2 (SQLite), one separate process; each target has its own database",
	}
	r.Settings = Settings{
		Requests: o.requests, DurationCap: o.duration.String(), Warmup: o.warmup, Objects: o.objects,
		Counters: o.counters, BatchSize: o.batchSize, Concurrency: o.concurrency, ColdRuns: o.coldRuns, Smoke: o.smoke,
		OursEnv: oursEnvOverrides(),
	}
	if o.dbDelay > 0 {
		r.Settings.DBDelay = o.dbDelay.String()
		r.Machine.Database += "; every reply held back " + o.dbDelay.String() + " by a proxy (-db-delay)"
	}
	if o.dbIDIndex {
		r.Settings.DBIDIndex = true
		r.Machine.Database += "; each target's tables get the _id index of our embedded database after seeding (-db-id-index)"
	}
	for _, sc := range allScenarios {
		r.Settings.Units = append(r.Settings.Units, sc+": "+scenarioUnit[sc])
	}
	return r
}

func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	return strings.Join(f[:min(3, len(f))], " ")
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotalMB() int {
	for _, line := range strings.Split(readFile("/proc/meminfo"), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb / 1024
		}
	}
	return 0
}

func (r *Report) skip(msg string) { r.Skipped = append(r.Skipped, msg) }

func (r *Report) addTarget(t *target) {
	note := "server CPU: the server process; database CPU: the FerretDB process"
	switch {
	case t.key == tkOurs:
		note += "; run with the Lambda functions' runtime settings (" + strings.Join(lambdaRuntimeEnv, " ") + ", GOGC=400 as everywhere)" + overridesNote()
	case t.embedded:
		note = "server CPU includes the embedded database (same process)"
	case t.key == tkFloor:
		note = "the raw driver line's operations behind a minimal net/http server (floor.go; it reads no JSON body and writes no document), a child process with our server's runtime settings" + overridesNote() + "; server CPU: that process"
	case t.serverPID == 0:
		note = "no server: the database operations our server sends, straight from the benchmark with mongo-driver v2; database CPU only"
	}
	r.Targets = append(r.Targets, TargetInfo{Key: t.key, Name: t.name, Note: note})
}

// overridesNote names the BENCH_OURS_* settings that override the runtime settings, if any.
func overridesNote() string {
	if ov := oursEnvOverrides(); len(ov) > 0 {
		return ", then BENCH_OURS_*: " + strings.Join(ov, " ")
	}
	return ""
}

// result finds the result of target key for scenario sc at concurrency c.
func (r *Report) result(key, sc string, c int) *Result {
	for i := range r.Results {
		x := &r.Results[i]
		if x.Target == key && x.Scenario == sc && x.Concurrency == c {
			return x
		}
	}
	return nil
}

func (r *Report) cold(key string) *ColdStart {
	for i := range r.ColdStarts {
		if r.ColdStarts[i].Target == key {
			return &r.ColdStarts[i]
		}
	}
	return nil
}

// evaluate judges issue #9's budgets on this run's numbers.
func (r *Report) evaluate() {
	r.Budgets = nil
	concs := r.Settings.Concurrency
	hiC := slices.Max(concs)
	add := func(name, status, detail string) {
		r.Budgets = append(r.Budgets, Budget{Name: name, Status: status, Detail: detail})
	}
	status := func(ok bool, any bool) string {
		switch {
		case !any:
			return "n/a"
		case ok:
			return "met"
		}
		return "MISSED"
	}

	// 1. Server CPU per request ≤ 0.1× Parse Server's.
	{
		ok, any := true, false
		var parts []string
		for _, sc := range cpuScenarios {
			var cs []string
			for _, c := range concs {
				a, b := r.result(tkOurs, sc, c), r.result(tkParse, sc, c)
				if a == nil || b == nil || a.ServerCPU == nil || b.ServerCPU == nil || *b.ServerCPU == 0 {
					continue
				}
				x := *a.ServerCPU / *b.ServerCPU
				any = true
				mark := ""
				if x > 0.1 {
					ok, mark = false, "!"
				}
				if f := r.result(tkFloor, sc, c); f != nil && f.ServerCPU != nil {
					mark += fmt.Sprintf(" (floor %.3f×)", *f.ServerCPU / *b.ServerCPU)
				}
				cs = append(cs, fmt.Sprintf("c%d %.3f×%s", c, x, mark))
			}
			if len(cs) > 0 {
				parts = append(parts, sc+" "+strings.Join(cs, " "))
			}
		}
		add("server CPU per request ≤ 0.1× Parse Server's (create/get/query/update/batch; floor: net/http + driver alone)", status(ok, any), strings.Join(parts, "; "))
	}
	// 2. Sign-up + login: bcrypt apart. Measured inside each server, not by subtracting bcrypt timed
	// apart (one bcrypt operation's CPU moves by several ms, more than the budget): each server's CPU
	// per sign-up + login × the share of its CPU sampled outside bcrypt (signup.go: perf where it runs,
	// else our pprof profile). Parse Server's perf share is used only against ours from perf: the pprof
	// profile undercounts our rest. Otherwise the CPU of its main thread stands for its rest: node runs
	// the JavaScript there while the hashing runs on libuv's thread pool.
	{
		var parts []string
		for _, b := range r.Bcrypt {
			parts = append(parts, fmt.Sprintf("%s: hash %.1f ms, compare %.1f ms (CPU, timed apart)", b.Impl, b.HashMs, b.CompareMs))
		}
		share := r.OursSignupBcryptShare
		if share != nil {
			d := fmt.Sprintf("ours in bcrypt: %.2f%% of its CPU under sign-up+login (%s)", 100**share, r.OursSignupSplit)
			if n := r.OursSignupOtherSamples; n > 0 {
				d += fmt.Sprintf("; %d samples outside bcrypt, so the rest is known to ±%.0f%% (sampling error)", n, 100/math.Sqrt(float64(n)))
			}
			if p := r.OursSignupPprofShare; p != nil {
				d += fmt.Sprintf("; the pprof profile put %.2f%% in bcrypt", 100**p)
			}
			parts = append(parts, d)
		}
		psShare := r.ParseSignupBcryptShare
		if psShare != nil {
			d := fmt.Sprintf("Parse Server in bcrypt: %.2f%% of its CPU (perf)", 100**psShare)
			if n := r.ParseSignupOtherSamples; n > 0 {
				d += fmt.Sprintf("; %d samples outside bcrypt, ±%.0f%%", n, 100/math.Sqrt(float64(n)))
			}
			parts = append(parts, d)
		}
		ok, any := true, false
		for _, c := range concs {
			a, b := r.result(tkOurs, scSignup, c), r.result(tkParse, scSignup, c)
			if a == nil || a.ServerCPU == nil {
				continue
			}
			line := fmt.Sprintf("c%d CPU per sign-up+login: ours %.1f ms", c, *a.ServerCPU)
			if b != nil && b.ServerCPU != nil {
				line += fmt.Sprintf(", Parse Server %.1f ms", *b.ServerCPU)
			}
			if share == nil || b == nil {
				parts = append(parts, line)
				continue
			}
			ours := *a.ServerCPU * (1 - *share)
			var ps float64
			var how string
			switch {
			case psShare != nil && b.ServerCPU != nil && r.OursSignupSplit == splitPerf: // both from perf
				ps, how = *b.ServerCPU*(1-*psShare), fmt.Sprintf("Parse Server %.2f ms", *b.ServerCPU*(1-*psShare))
				if b.MainThreadCPU != nil {
					how += fmt.Sprintf(" (its main thread %.2f ms)", *b.MainThreadCPU)
				}
			case b.MainThreadCPU != nil:
				ps, how = *b.MainThreadCPU, fmt.Sprintf("Parse Server ≥ %.2f ms (main thread)", *b.MainThreadCPU)
			}
			if ps > 0 {
				x := ours / ps
				any = true
				mark := ""
				if x > 0.1 {
					ok, mark = false, "!"
				}
				line += fmt.Sprintf("; without bcrypt: ours %.2f ms, %s = %.2f×%s", ours, how, x, mark)
				if fs, f := r.FloorSignupBcryptShare, r.result(tkFloor, scSignup, c); fs != nil && f != nil && f.ServerCPU != nil {
					floor := *f.ServerCPU * (1 - *fs)
					line += fmt.Sprintf(" (floor %.2f ms = %.2f×)", floor, floor/ps)
				}
			}
			parts = append(parts, line)
		}
		add("sign-up+login: bcrypt timed apart; the rest of the server CPU ≤ 0.1× Parse Server's", status(ok, any), strings.Join(parts, "; "))
	}
	// 3. Client GET throughput on the embedded database ≥ 20× Parse Server's.
	{
		ok, any := true, false
		var parts []string
		for _, c := range concs {
			a, b := r.result(tkEmbedded, scGet, c), r.result(tkParse, scGet, c)
			if a == nil || b == nil || b.OpsPerSec == 0 {
				continue
			}
			x := a.OpsPerSec / b.OpsPerSec
			any = true
			mark := ""
			if x < 20 {
				ok, mark = false, "!"
			}
			parts = append(parts, fmt.Sprintf("c%d %.0f vs %.1f req/s = %.1f×%s", c, a.OpsPerSec, b.OpsPerSec, x, mark))
		}
		add("client GET throughput, ours on the embedded DB ≥ 20× Parse Server's", status(ok, any), strings.Join(parts, "; "))
	}
	// 4. Lost updates at the highest concurrency.
	{
		a := r.result(tkOurs, scUpdate, hiC)
		detail := ""
		ok, any := true, a != nil && a.Lost != nil
		if any {
			ok = *a.Lost == 0 && a.Errors == 0
			detail = fmt.Sprintf("ours c%d: %d lost of %d acknowledged increments", hiC, *a.Lost, *a.Acked)
			if b := r.result(tkParse, scUpdate, hiC); b != nil && b.Lost != nil {
				detail += fmt.Sprintf(" (Parse Server: %d lost of %d)", *b.Lost, *b.Acked)
			}
		}
		add(fmt.Sprintf("0 lost updates at concurrency %d", hiC), status(ok, any), detail)
	}
	// 5. p99 ≤ 1.2× the raw driver's.
	{
		ok, any := true, false
		var parts []string
		for _, sc := range allScenarios {
			var cs []string
			for _, c := range concs {
				a, b := r.result(tkOurs, sc, c), r.result(tkRaw, sc, c)
				if a == nil || b == nil || b.P99ms == 0 {
					continue
				}
				x := a.P99ms / b.P99ms
				any = true
				mark := ""
				if x > 1.2 {
					ok, mark = false, "!"
				}
				if f := r.result(tkFloor, sc, c); f != nil {
					mark += fmt.Sprintf(" (floor %.2f×)", f.P99ms/b.P99ms)
				}
				cs = append(cs, fmt.Sprintf("c%d %.2f×%s", c, x, mark))
			}
			if len(cs) > 0 {
				parts = append(parts, sc+" "+strings.Join(cs, " "))
			}
		}
		add("p99 ≤ 1.2× the raw driver op", status(ok, any), strings.Join(parts, "; ")+" (sign-up+login: the raw line hashes and compares the password with the same bcrypt, as the requests must)")
	}
	// 6. Cold start.
	{
		ok, any := true, false
		var parts []string
		for _, k := range []string{tkEmbedded, tkOurs, tkParse} {
			c := r.cold(k)
			if c == nil {
				continue
			}
			if c.Error != "" {
				parts = append(parts, k+": error")
				if k != tkParse {
					ok, any = false, true
				}
				continue
			}
			mark := ""
			if k != tkParse {
				any = true
				if c.MedianMs > 35 {
					ok, mark = false, "!"
				}
			}
			parts = append(parts, fmt.Sprintf("%s %.1f ms%s", targetNames[k], c.MedianMs, mark))
		}
		add("cold start ≤ 35 ms to the first read (median; ours embedded and external)", status(ok, any), strings.Join(parts, "; "))
	}
	// 7. RSS under load with the external database.
	{
		peak, any := 0.0, false
		for _, x := range r.Results {
			if x.Target == tkOurs && x.PeakRSSMB != nil {
				peak, any = max(peak, *x.PeakRSSMB), true
			}
		}
		detail := fmt.Sprintf("ours (external DB) peak RSS %.1f MB", peak)
		for _, k := range []string{tkEmbedded, tkParse} {
			p := 0.0
			for _, x := range r.Results {
				if x.Target == k && x.PeakRSSMB != nil {
					p = max(p, *x.PeakRSSMB)
				}
			}
			if p > 0 {
				detail += fmt.Sprintf("; %s %.1f MB", targetNames[k], p)
			}
		}
		add("≤ 64 MB RSS under load, external DB", status(peak <= 64, any), detail)
	}
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return num(a/b) + "×"
}

func optNum(p *float64) string {
	if p == nil {
		return "-"
	}
	return num(*p)
}

// printReport writes the table, the cold starts, bcrypt, the budgets and what was skipped.
func printReport(w io.Writer, r *Report) {
	m := r.Machine
	fmt.Fprintf(w, "\nbenchcompare: %s; %d cores, %s, %d MB; %s; load average %s at start, %s at end\n", m.CPU, m.Cores, m.Kernel, m.MemoryMB, m.Go+nodeSuffix(m.Node), m.LoadAvg, m.LoadEnd)
	fmt.Fprintf(w, "database: %s\n", m.Database)
	s := r.Settings
	fmt.Fprintf(w, "load: closed loop, ≤%d ops or %s per scenario and concurrency after %d warm-up ops; %d-object class\n", s.Requests, s.DurationCap, s.Warmup, s.Objects)
	fmt.Fprintf(w, "CPU = user+system seconds per 1,000 ops (/proc/<pid>/stat); RSS = VmHWM; ratios = this row ÷ Parse Server (÷PS) or ÷ raw driver; latencies in ms\n")
	fmt.Fprintf(w, "ours = scripts/server on the shared FerretDB with the Lambda functions' runtime settings (%s); ours (embedded DB) keeps Go's defaults; floor = the raw line's operations behind a minimal net/http server with the same settings (no JSON body read, no document written)\n", strings.Join(lambdaRuntimeEnv, " "))
	if len(s.OursEnv) > 0 {
		fmt.Fprintf(w, "our server's environment also had: %s (BENCH_OURS_*)\n", strings.Join(s.OursEnv, " "))
	}
	fmt.Fprintln(w)
	head := fmt.Sprintf("%-13s %2s  %-20s %8s %8s %8s %8s %8s %8s %6s %4s %5s │ %8s %8s %8s %8s", "scenario", "c", "server", "ops/s", "p50", "p90", "p99", "srvCPU", "dbCPU", "RSS MB", "err", "lost", "ops/s÷PS", "p99÷PS", "CPU÷PS", "p99÷raw")
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, strings.Repeat("─", len([]rune(head))))
	order := []string{tkParse, tkOurs, tkEmbedded, tkRaw, tkFloor}
	for _, sc := range allScenarios {
		printed := false
		for _, c := range s.Concurrency {
			for _, k := range order {
				x := r.result(k, sc, c)
				if x == nil {
					continue
				}
				printed = true
				srv, db, rss := optNum(x.ServerCPU), optNum(x.DBCPU), optNum(x.PeakRSSMB)
				if k == tkEmbedded {
					db = "in srv"
				}
				lost := "-"
				if x.Lost != nil {
					lost = fmt.Sprint(*x.Lost)
				}
				rOps, rP99, rCPU, rRaw := "", "", "", ""
				if k == tkOurs || k == tkEmbedded || k == tkFloor {
					if p := r.result(tkParse, sc, c); p != nil {
						rOps, rP99 = ratio(x.OpsPerSec, p.OpsPerSec), ratio(x.P99ms, p.P99ms)
						if x.ServerCPU != nil && p.ServerCPU != nil {
							rCPU = ratio(*x.ServerCPU, *p.ServerCPU)
						}
					}
					if raw := r.result(tkRaw, sc, c); raw != nil {
						rRaw = ratio(x.P99ms, raw.P99ms)
					}
				}
				fmt.Fprintf(w, "%-13s %2d  %-20s %8s %8s %8s %8s %8s %8s %6s %4d %5s │ %8s %8s %8s %8s\n",
					sc, c, targetNames[k], num(x.OpsPerSec), num(x.P50ms), num(x.P90ms), num(x.P99ms), srv, db, rss, x.Errors, lost, rOps, rP99, rCPU, rRaw)
			}
		}
		if printed {
			fmt.Fprintln(w)
		}
	}
	for _, x := range r.Results {
		if x.Errors > 0 {
			fmt.Fprintf(w, "errors: %s %s c=%d: %d, first: %s\n", targetNames[x.Target], x.Scenario, x.Concurrency, x.Errors, x.FirstError)
		}
	}
	if len(r.ColdStarts) > 0 {
		fmt.Fprintln(w, "cold start (exec → first successful client GET of an object; median):")
		for _, c := range r.ColdStarts {
			name := targetNames[c.Target]
			if c.Target == tkOurs {
				name += " (external FerretDB)"
			}
			if c.Error != "" {
				fmt.Fprintf(w, "  %-34s error: %s\n", name, c.Error)
				continue
			}
			runs := make([]string, len(c.RunsMs))
			for i, v := range c.RunsMs {
				runs[i] = num(v)
			}
			line := fmt.Sprintf("  %-34s %8s ms   runs %s", name, num(c.MedianMs), strings.Join(runs, " "))
			if p := r.cold(tkParse); p != nil && c.Target != tkParse && p.Error == "" && p.MedianMs > 0 {
				line += "   ÷PS " + ratio(c.MedianMs, p.MedianMs)
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(r.Bcrypt) > 0 {
		fmt.Fprintln(w, "bcrypt, cost 10 (median CPU time; sign-up does one hash, login one compare):")
		for _, b := range r.Bcrypt {
			fmt.Fprintf(w, "  %-40s hash %6.1f ms   compare %6.1f ms   spread %5.1f ms\n", b.Impl, b.HashMs, b.CompareMs, b.SpreadMs)
		}
	}
	if len(r.Budgets) > 0 {
		fmt.Fprintln(w, "\nbudgets (issue #9), this run:")
		for _, b := range r.Budgets {
			fmt.Fprintf(w, "  [%-6s] %s\n           %s\n", b.Status, b.Name, b.Detail)
		}
	}
	for _, p := range r.Profiles {
		fmt.Fprintf(w, "CPU profile: %s   (go tool pprof -top %s)\n", p, p)
	}
	for _, p := range r.PerfData {
		fmt.Fprintf(w, "perf samples: %s   (perf report -i %s)\n", p, p)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "NOTE: %s\n", s)
	}
}

func nodeSuffix(n string) string {
	if n == "" {
		return ""
	}
	return ", node " + n
}
