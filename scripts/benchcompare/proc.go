package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat: 100 on every Linux
// architecture Go supports (sysconf(_SC_CLK_TCK) would need cgo).
const clockTicks = 100

// cpuSeconds is user+system CPU time of a process (all its threads) from /proc/<pid>/stat.
func cpuSeconds(pid int) (float64, bool) {
	if pid <= 0 {
		return 0, false
	}
	return statCPUSeconds(fmt.Sprintf("/proc/%d/stat", pid))
}

// mainThreadCPUSeconds is the user+system CPU time of the main thread of process pid.
func mainThreadCPUSeconds(pid int) (float64, bool) {
	if pid <= 0 {
		return 0, false
	}
	return statCPUSeconds(fmt.Sprintf("/proc/%d/task/%d/stat", pid, pid))
}

// statCPUSeconds reads utime+stime from a /proc stat file.
func statCPUSeconds(path string) (float64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(ut+st) / clockTicks, true
}

// peakRSSMB is VmHWM (peak resident set size) of a process, in MiB.
func peakRSSMB(pid int) (float64, bool) {
	if pid <= 0 {
		return 0, false
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fs := strings.Fields(rest)
			if len(fs) >= 1 {
				kb, err := strconv.ParseFloat(fs[0], 64)
				if err == nil {
					return kb / 1024, true
				}
			}
		}
	}
	return 0, false
}

// checkLoopback refuses anything but a loopback host (an IP literal or "localhost").
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing non-loopback address %q: the benchmark only runs on loopback", host)
	}
	return nil
}

// checkLoopbackURL checks the host of an http:// or mongodb:// URL.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL %q: %w", raw, err)
	}
	return checkLoopback(u.Hostname())
}

// freeAddr returns host:port of a free loopback port.
func freeAddr(host string) (string, error) {
	if err := checkLoopback(host); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// proc is a child process we started.
type proc struct {
	name    string
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{}
	waitErr error
	mu      sync.Mutex
	tail    bytes.Buffer // last output, for error messages
}

// tailWriter keeps the last 8 KiB written to it.
type tailWriter struct{ p *proc }

func (t tailWriter) Write(b []byte) (int, error) {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	t.p.tail.Write(b)
	if t.p.tail.Len() > 8<<10 {
		keep := append([]byte(nil), t.p.tail.Bytes()[t.p.tail.Len()-4<<10:]...)
		t.p.tail.Reset()
		t.p.tail.Write(keep)
	}
	return len(b), nil
}

// startProc runs name with env (added to a minimal copy of ours) in dir; extra receives its stdout
// as well when non-nil.
func startProc(name, dir string, env []string, extra io.Writer, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(childEnvBase(), env...)
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	var out io.Writer = tailWriter{p}
	if extra != nil {
		out = io.MultiWriter(out, extra)
	}
	cmd.Stdout = out
	cmd.Stderr = tailWriter{p}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// output is the last lines the process printed.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := strings.TrimSpace(p.tail.String())
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// stop sends SIGTERM to the process (only the one we started, by its id), then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitFor polls ok until it answers true, the process exits, or the timeout passes.
func (p *proc) waitFor(ctx context.Context, timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ok() {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited (%v) before it was ready:\n%s", p.name, p.waitErr, p.output())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s:\n%s", p.name, timeout, p.output())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// splitLoopback splits host:port and checks that the host is loopback.
func splitLoopback(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("bad address %q: %w", addr, err)
	}
	return host, port, checkLoopback(host)
}

// childEnvBase is the environment children start from: only what a program needs to run, so that
// the caller's MONGODB_URI, DATA_DIR and other settings never leak into a server under test.
func childEnvBase() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "USER", "GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS", "GOPROXY", "GOTOOLCHAIN"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// startSelfChild re-executes this program as a child with env (childEnv names its role) and waits
// until it prints a line "ready[ <value>]"; it answers the process and the value.
func startSelfChild(ctx context.Context, name string, env []string, timeout time.Duration) (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	pr, pw := io.Pipe()
	p, err := startProc(name, "", env, pw, self)
	if err != nil {
		return nil, "", err
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if line := sc.Text(); line == "ready" || strings.HasPrefix(line, "ready ") {
				select {
				case ready <- strings.TrimSpace(strings.TrimPrefix(line, "ready")):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr) // a line too long for the scanner must not block the child
	}()
	go func() { <-p.done; pw.Close() }()
	select {
	case v := <-ready:
		return p, v, nil
	case <-p.done:
		return nil, "", fmt.Errorf("%s exited at start (%v):\n%s", name, p.waitErr, p.output())
	case <-time.After(timeout):
		p.stop(3 * time.Second)
		return nil, "", fmt.Errorf("%s did not start:\n%s", name, p.output())
	case <-ctx.Done():
		p.stop(3 * time.Second)
		return nil, "", ctx.Err()
	}
}
