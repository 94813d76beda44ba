// Command invoke runs a function's real bootstrap binary (built for this machine) against a local fake
// of the Lambda Runtime API and invokes it with an event file: `make invoke FN=classes
// EVENT=testevents/classes-create.json`. With neither MONGODB_URI nor DB_SECRET_ARN set it starts an
// embedded FerretDB (in a temporary folder) for the function; APP_ID, MASTER_KEY and SERVER_URL default
// to the test events' testapp / testmaster / http://localhost:1337/parse, and without FILES_BUCKET files
// go to a temporary FILES_DIR. The function's logs go to
// stderr, the response to stdout. It is a development tool: it is not deployed and no function imports
// it (it links FerretDB).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parselambda/parselambda/functions/internal/runtimeapi"
	"github.com/parselambda/parselambda/shared/embeddb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command; environ is the environment the function inherits (before the defaults).
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	stderr = &lockedWriter{w: stderr} // the function's output is copied to it concurrently
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fn := fs.String("fn", "", "function family (functions/<fn>)")
	bin := fs.String("bin", "", "bootstrap binary (default build/host/<fn>/bootstrap)")
	var evs multiFlag
	fs.Var(&evs, "event", "event JSON file; repeat to invoke the same warm container several times")
	timeout := fs.Duration("timeout", 30*time.Second, "invocation deadline")
	raw := fs.Bool("raw", false, "print the raw response payload")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *fn == "" || len(evs) == 0 {
		fmt.Fprintln(stderr, "usage: invoke -fn <family> -event testevents/<file>.json [-event ...] [-bin path] [-timeout 30s] [-raw]")
		return 2
	}
	if *bin == "" {
		*bin = "build/host/" + *fn + "/bootstrap"
	}
	payloads := make([][]byte, len(evs))
	for i, p := range evs {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(stderr, "invoke:", err)
			return 2
		}
		if !json.Valid(b) {
			fmt.Fprintf(stderr, "invoke: %s is not JSON\n", p)
			return 2
		}
		payloads[i] = b
	}
	if _, err := os.Stat(*bin); err != nil {
		fmt.Fprintf(stderr, "invoke: %v (build it: make invoke builds build/host/<fn>/bootstrap)\n", err)
		return 2
	}

	env := newEnv(environ)
	tmp, err := os.MkdirTemp("", "parselambda-invoke-")
	if err != nil {
		fmt.Fprintln(stderr, "invoke:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if env.get("MONGODB_URI") == "" && env.get("DB_SECRET_ARN") == "" {
		db, err := embeddb.Start(embeddb.Options{Dir: filepath.Join(tmp, "db"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			fmt.Fprintln(stderr, "invoke:", err)
			return 1
		}
		defer db.Close()
		env.set("MONGODB_URI", db.URI)
		fmt.Fprintf(stderr, "invoke: embedded FerretDB at %s (temporary, removed on exit)\n", db.URI)
	}
	env.setDefault("APP_ID", "testapp")
	if env.get("PARSE_SECRET_ARN") == "" {
		env.setDefault("MASTER_KEY", "testmaster")
	}
	env.setDefault("SERVER_URL", "http://localhost:1337/parse")
	if env.get("FILES_BUCKET") == "" {
		env.setDefault("FILES_DIR", filepath.Join(tmp, "files"))
	}

	api, err := runtimeapi.Start()
	if err != nil {
		fmt.Fprintln(stderr, "invoke:", err)
		return 1
	}
	defer api.Close()
	api.Timeout = *timeout
	api.FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:parselambda-local-" + *fn
	// What Lambda sets for a provided.al2023 function.
	env.set("AWS_LAMBDA_RUNTIME_API", api.Addr())
	env.set("AWS_LAMBDA_FUNCTION_NAME", "parselambda-local-"+*fn)
	env.set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
	env.set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
	env.set("_HANDLER", "bootstrap")
	env.setDefault("AWS_REGION", "us-east-1")
	env.setDefault("PARSE_FAMILY", *fn)

	cmd := exec.Command(*bin)
	cmd.Env = env.list()
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "invoke:", err)
		return 1
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	procCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-exited:
			cancel()
		case <-procCtx.Done():
		}
	}()

	code := 0
invocations:
	for i, p := range payloads {
		start := time.Now()
		res, err := api.Invoke(procCtx, p)
		if err != nil {
			switch {
			case errors.Is(err, runtimeapi.ErrInit):
				fmt.Fprintln(stderr, "invoke: the function failed to start:", err)
			case ctx.Err() != nil:
				fmt.Fprintln(stderr, "invoke: interrupted")
			default:
				fmt.Fprintln(stderr, "invoke: the function exited before answering:", err)
			}
			code = 1
			break invocations
		}
		fmt.Fprintf(stderr, "invoke: %s answered in %v\n", evs[i], time.Since(start).Round(time.Millisecond))
		if res.Err != nil {
			fmt.Fprintf(stdout, "function error: %s\n", res.Err.Raw)
			code = 1
			continue
		}
		printResponse(stdout, res.Payload, *raw)
	}

	// Shut down as Lambda does: SHUTDOWN to the extension, SIGTERM, a grace period, SIGKILL.
	api.Shutdown()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(500 * time.Millisecond):
		_ = cmd.Process.Kill()
		<-exited
	}
	return code
}

// printResponse prints an API Gateway response as status, headers and (decoded, indented) body; any
// other payload as indented JSON.
func printResponse(w io.Writer, payload []byte, raw bool) {
	var resp struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Cookies         []string          `json:"cookies"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if raw || json.Unmarshal(payload, &resp) != nil || resp.StatusCode == 0 {
		fmt.Fprintln(w, indent(payload))
		return
	}
	fmt.Fprintf(w, "HTTP %d\n", resp.StatusCode)
	for _, k := range sortedKeys(resp.Headers) {
		fmt.Fprintf(w, "%s: %s\n", k, resp.Headers[k])
	}
	for _, c := range resp.Cookies {
		fmt.Fprintf(w, "Set-Cookie: %s\n", c)
	}
	fmt.Fprintln(w)
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	fmt.Fprintln(w, indent(body))
}

func indent(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// env is a process environment as a map (later entries of environ win).
type env struct{ kv map[string]string }

func newEnv(environ []string) *env {
	e := &env{kv: map[string]string{}}
	for _, s := range environ {
		if k, v, ok := strings.Cut(s, "="); ok {
			e.kv[k] = v
		}
	}
	return e
}

func (e *env) get(k string) string { return e.kv[k] }
func (e *env) set(k, v string)     { e.kv[k] = v }
func (e *env) setDefault(k, v string) {
	if e.kv[k] == "" {
		e.kv[k] = v
	}
}
func (e *env) list() []string {
	out := make([]string, 0, len(e.kv))
	for _, k := range sortedKeys(e.kv) {
		out = append(out, k+"="+e.kv[k])
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
