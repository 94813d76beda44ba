package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// Where the bcrypt share of our sign-up + login CPU comes from (Report.OursSignupSplit).
const (
	splitPprof = "pprof" // our server's CPU profile (runtime/pprof)
	splitPerf  = "perf"  // perf record -e cpu-clock
)

// bcryptShare is the share of the CPU samples of a profile whose stack is inside bcrypt (the
// golang.org/x/crypto bcrypt and blowfish packages): with a profile of our server under sign-up +
// login, what remains is the CPU of everything else those requests do. other is the number of samples
// outside bcrypt: the share of the rest is known to about ±1/√other (sampling error).
func bcryptShare(path string) (share float64, other int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return 0, 0, err
	}
	idx, count := -1, -1
	for i, st := range p.SampleType {
		switch st.Type {
		case "cpu":
			idx = i
		case "samples":
			count = i
		}
	}
	if idx < 0 || count < 0 {
		return 0, 0, fmt.Errorf("%s: not a CPU profile with sample counts", path)
	}
	var total, inBcrypt int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		total += v
		if inPackages(s, "golang.org/x/crypto/bcrypt.", "golang.org/x/crypto/blowfish.") {
			inBcrypt += v
		} else {
			other += s.Value[count]
		}
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("%s: no samples", path)
	}
	return float64(inBcrypt) / float64(total), other, nil
}

// inPackages reports whether a function of the sample's stack has one of the prefixes.
func inPackages(s *profile.Sample, prefixes ...string) bool {
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function == nil {
				continue
			}
			for _, p := range prefixes {
				if strings.HasPrefix(ln.Function.Name, p) {
					return true
				}
			}
		}
	}
	return false
}

// The pprof profile undercounts short bursts of CPU. Go's profiler uses per-thread CPU-time timers,
// and the kernel checks those only at its tick (250 Hz here): a thread that runs for 0.2 ms between
// two waits for the database is seen only when a tick happens to land in it, while bcrypt's 70 ms
// bursts are seen whole. Under sign-up + login the profile so put 1.64% of the CPU outside bcrypt
// where perf, whose cpu-clock sampler runs on a high-resolution timer, put 2.48% (session 7). Where
// perf runs, the benchmark therefore takes the split from perf, and keeps the profile's figure beside it.

// splitWithPerf samples target t's server with perf under sign-up + login for as long as the pprof
// profile of ours, and answers the share of its CPU inside bcrypt, frames told by inBcrypt.
func splitWithPerf(ctx context.Context, o *benchOpts, t *target, st *state, dataPath string, inBcrypt func(frame string) bool) (share float64, other int64, err error) {
	secs := profileSeconds(o, scSignup)
	perf, err := perfUsable()
	if err != nil {
		return 0, 0, err
	}
	if err := os.MkdirAll(filepath.Dir(dataPath), 0o755); err != nil {
		return 0, 0, err
	}
	// Only the recording runs under load; reading it afterwards would compete with the load for the CPU.
	err = underLoad(ctx, o, t, st, scSignup, secs, func() error {
		return perfRecord(ctx, perf, t.serverPID, secs, dataPath)
	})
	if err != nil {
		return 0, 0, err
	}
	share, other, err = perfBcryptShare(ctx, perf, dataPath, inBcrypt)
	if err == nil && share == 0 {
		err = errors.New("no sample in bcrypt")
	}
	if err == nil {
		o.logf("sign-up split of %s with perf (%d s) → %s: %.2f%% in bcrypt, %d samples outside", t.name, secs, dataPath, 100*share, other)
	}
	return share, other, err
}

// splitOursWithPerf makes perf's bcrypt share of our server the one the report uses, the profile's
// standing beside it. Without perf (not installed, or not allowed to sample the process with its
// kernel time) it logs why and leaves the profile's figure.
func splitOursWithPerf(ctx context.Context, o *benchOpts, rep *Report, t *target, st *state, dataPath string) {
	share, other, err := splitGoWithPerf(ctx, o, t, st, dataPath)
	if err != nil {
		o.logf("sign-up split of %s with perf: %v; the pprof profile's figure stands", t.name, err)
		return
	}
	rep.OursSignupPprofShare = rep.OursSignupBcryptShare
	rep.OursSignupBcryptShare, rep.OursSignupOtherSamples, rep.OursSignupSplit = &share, other, splitPerf
	rep.PerfData = append(rep.PerfData, dataPath)
}

// splitParseWithPerf measures Parse Server's share of CPU inside bcrypt (@node-rs/bcrypt, a native
// library) the same way, so that the rest of its sign-up + login CPU is known whole, not only its
// main thread's. Without perf, or when no sample falls in a native bcrypt (bcryptjs, JavaScript), the
// main thread's CPU stays the measure.
func splitParseWithPerf(ctx context.Context, o *benchOpts, rep *Report, t *target, st *state, dataPath string) {
	share, other, err := splitWithPerf(ctx, o, t, st, dataPath, nodeBcryptFrame)
	if err != nil {
		o.logf("sign-up split of %s with perf: %v; its main thread's CPU stays the measure", t.name, err)
		return
	}
	rep.ParseSignupBcryptShare, rep.ParseSignupOtherSamples = &share, other
	rep.PerfData = append(rep.PerfData, dataPath)
}

// splitFloorWithPerf measures the floor server's share of CPU inside bcrypt the same way: the rest is
// what the sign-up + login's database operations and HTTP cost with no Parse work at all.
func splitFloorWithPerf(ctx context.Context, o *benchOpts, rep *Report, t *target, st *state, dataPath string) {
	share, other, err := splitGoWithPerf(ctx, o, t, st, dataPath)
	if err != nil {
		o.logf("sign-up split of %s with perf: %v", t.name, err)
		return
	}
	rep.FloorSignupBcryptShare, rep.FloorSignupOtherSamples = &share, other
	rep.PerfData = append(rep.PerfData, dataPath)
}

// splitGoWithPerf is splitWithPerf for a Go server, whose bcrypt frames perf finds by their symbols.
// `go run` and `go test` strip them from the binaries they build (make bench-compare therefore runs a
// `go build` of this program, whose floor server is this binary): without them no frame could be told.
func splitGoWithPerf(ctx context.Context, o *benchOpts, t *target, st *state, dataPath string) (float64, int64, error) {
	exe := fmt.Sprintf("/proc/%d/exe", t.serverPID)
	if !hasSymbols(exe) {
		return 0, 0, fmt.Errorf("%s has no symbol table (built by go run or go test?): perf cannot tell bcrypt's frames", exe)
	}
	return splitWithPerf(ctx, o, t, st, dataPath, goBcryptFrame)
}

// hasSymbols reports whether the ELF binary at path has a symbol table.
func hasSymbols(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return f.Section(".symtab") != nil
}

var (
	// goBcryptFrame: a frame of golang.org/x/crypto's bcrypt or blowfish (our server).
	goBcryptFrame = regexp.MustCompile(`\sgolang\.org/x/crypto/(bcrypt|blowfish)\.`).MatchString
	// nodeBcryptFrame: a frame in a native bcrypt addon, such as @node-rs/bcrypt's
	// bcrypt.linux-x64-gnu.node (Parse Server); perf prints the library in parentheses.
	nodeBcryptFrame = regexp.MustCompile(`\([^()]*bcrypt[^()/]*\.node\)\s*$`).MatchString
)

// perfUsable finds perf and checks that it may sample another process with its kernel frames: as root,
// or with kernel.perf_event_paranoid ≤ 1. Otherwise perf samples user space only, without a word, and
// the split would leave out the CPU spent in system calls.
func perfUsable() (string, error) {
	perf, err := exec.LookPath("perf")
	if err != nil {
		return "", err
	}
	if os.Geteuid() != 0 {
		b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
		if err != nil {
			return "", err
		}
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || n > 1 {
			return "", fmt.Errorf("kernel.perf_event_paranoid is %s: perf would leave out the kernel's share (run as root, or set it to 1)", strings.TrimSpace(string(b)))
		}
	}
	return perf, nil
}

// perfRecord samples pid for secs seconds (cpu-clock, call graphs, kernel included) into dataPath.
// Cancelled, it stops perf the way perf expects (SIGINT), so that perf stops its own child too.
func perfRecord(ctx context.Context, perf string, pid, secs int, dataPath string) error {
	var stderr bytes.Buffer
	rec := exec.CommandContext(ctx, perf, "record", "-q", "-e", "cpu-clock", "-F", "999", "-g",
		"-p", strconv.Itoa(pid), "-o", dataPath, "--", "sleep", strconv.Itoa(secs))
	rec.Stderr = &stderr
	rec.Cancel = func() error { return rec.Process.Signal(os.Interrupt) }
	rec.WaitDelay = 5 * time.Second
	if err := rec.Run(); err != nil {
		return fmt.Errorf("perf record: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// perfBcryptShare reads what perfRecord wrote and answers the share of the CPU time in samples with
// a frame inBcrypt, and how many samples are outside.
func perfBcryptShare(ctx context.Context, perf, dataPath string, inBcrypt func(frame string) bool) (share float64, other int64, err error) {
	var stderr bytes.Buffer
	script := exec.CommandContext(ctx, perf, "script", "-i", dataPath, "-F", "period,ip,sym,dso")
	script.Stderr = &stderr
	out, err := script.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := script.Start(); err != nil {
		return 0, 0, err
	}
	st, perr := parsePerfScript(out, inBcrypt)
	_, _ = io.Copy(io.Discard, out)
	if err := script.Wait(); err != nil {
		return 0, 0, fmt.Errorf("perf script: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if perr != nil {
		return 0, 0, perr
	}
	if !st.kernel {
		return 0, 0, errors.New("perf recorded no kernel frames: the split would leave out system time")
	}
	return st.share(), st.otherSamples, nil
}

// perfStacks sums what `perf script -F period,ip,sym,dso` prints: one block per sample, its period (ns
// of CPU for cpu-clock) on the first line, then its call chain one frame a line ("ip symbol (library)"),
// blocks apart by a blank line. A sample whose call chain perf could not read has its one frame on the
// period's line.
type perfStacks struct {
	total, inBcrypt int64 // periods
	samples         int64
	otherSamples    int64 // samples outside bcrypt
	kernel          bool  // some frame is in the kernel
}

func (p perfStacks) share() float64 {
	if p.total == 0 {
		return 0
	}
	return float64(p.inBcrypt) / float64(p.total)
}

var periodLine = regexp.MustCompile(`^\s*(\d+)(?:\s+(\S.*))?\s*$`)

// parsePerfScript sums the output of `perf script -F period,ip,sym[,dso]`, a sample counting as
// bcrypt when a frame of its call chain is inBcrypt.
func parsePerfScript(r io.Reader, inBcrypt func(frame string) bool) (perfStacks, error) {
	var p perfStacks
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var period int64
	inSample, bcrypt := false, false
	end := func() {
		if !inSample {
			return
		}
		p.samples++
		p.total += period
		if bcrypt {
			p.inBcrypt += period
		} else {
			p.otherSamples++
		}
		inSample, bcrypt = false, false
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			end()
			continue
		}
		if !inSample {
			m := periodLine.FindStringSubmatch(line)
			if m == nil {
				return p, fmt.Errorf("perf script: a sample starts with %q, not its period", line)
			}
			period, _ = strconv.ParseInt(m[1], 10, 64)
			inSample = true
			if m[2] == "" {
				continue
			}
			line = m[2] // the sample's only frame
		}
		if inBcrypt(line) {
			bcrypt = true
		}
		if isKernelFrame(line) {
			p.kernel = true
		}
		if inSample && line != sc.Text() { // the one-line form: no call chain follows
			end()
		}
	}
	end()
	if err := sc.Err(); err != nil {
		return p, err
	}
	if p.samples == 0 {
		return p, errors.New("perf script: no samples")
	}
	return p, nil
}

// isKernelFrame tells a kernel frame by the library perf names for it.
func isKernelFrame(line string) bool {
	return strings.HasSuffix(strings.TrimSpace(line), "([kernel.kallsyms])")
}
