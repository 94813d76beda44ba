package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/parselambda/parselambda/shared/config"
)

// moduleRoot finds the folder of this module's go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/parselambda/parselambda\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the parselambda module (go.mod not found)")
		}
		dir = parent
	}
}

// buildServer builds ./scripts/server into dir and answers the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "parselambda-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./scripts/server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./scripts/server: %v\n%s", err, out)
	}
	return bin, nil
}

// oursSpec says how to start our server.
type oursSpec struct {
	bin       string
	addr      string // loopback host:port
	mongoURI  string // "" = the embedded database in dataDir
	dataDir   string
	dbName    string
	appID     string
	masterKey string
	pprofAddr string
	// lambdaRuntime runs the server with the runtime settings of the Lambda functions (GOMAXPROCS=1,
	// which config.RuntimeFromEnv sets inside Lambda, besides GOGC=400; and config.LambdaGODEBUG, which
	// the CDK app deploys them with), since on the external database our server stands for a function.
	// The embedded database shares the server's process, so that target keeps Go's defaults.
	lambdaRuntime bool
}

// lambdaRuntimeEnv is what lambdaRuntime adds to our server's environment: GOMAXPROCS=1, which the
// functions set themselves, and the GODEBUG the CDK app deploys them with.
var lambdaRuntimeEnv = []string{"GOMAXPROCS=1", "GODEBUG=" + config.LambdaGODEBUG}

func (s oursSpec) env() []string {
	env := []string{
		"LISTEN_ADDR=" + s.addr,
		"SERVER_URL=http://" + s.addr + "/parse",
		"APP_ID=" + s.appID,
		"MASTER_KEY=" + s.masterKey,
		"DATABASE_NAME=" + s.dbName,
	}
	if s.mongoURI != "" {
		env = append(env, "MONGODB_URI="+s.mongoURI)
	} else {
		env = append(env, "DATA_DIR="+s.dataDir)
	}
	if s.pprofAddr != "" {
		env = append(env, "PPROF_ADDR="+s.pprofAddr)
	}
	if s.lambdaRuntime {
		env = append(env, lambdaRuntimeEnv...)
	}
	// BENCH_OURS_X=v in the benchmark's environment sets X=v for our server (runtime experiments
	// such as BENCH_OURS_GOGC=200, or BENCH_OURS_GOMAXPROCS=2 against lambdaRuntime: exec keeps the
	// last value of a repeated key); the settings are recorded in the JSON results.
	return append(env, oursEnvOverrides()...)
}

// oursEnvOverrides returns X=v for every BENCH_OURS_X=v of this process's environment.
func oursEnvOverrides() []string {
	var out []string
	for _, kv := range os.Environ() {
		if rest, ok := strings.CutPrefix(kv, "BENCH_OURS_"); ok && strings.Contains(rest, "=") {
			out = append(out, rest)
		}
	}
	return out
}

// startOurs starts our server and, when wait is set, waits for /health.
func startOurs(ctx context.Context, s oursSpec, wait bool) (*proc, error) {
	if _, _, err := splitLoopback(s.addr); err != nil {
		return nil, err
	}
	if s.mongoURI != "" {
		if err := checkLoopbackURL(s.mongoURI); err != nil {
			return nil, err
		}
	}
	if s.pprofAddr != "" {
		if _, _, err := splitLoopback(s.pprofAddr); err != nil {
			return nil, err
		}
	}
	name := "our server"
	if s.mongoURI == "" {
		name += " (embedded database)"
	}
	p, err := startProc(name, "", s.env(), nil, s.bin)
	if err != nil {
		return nil, err
	}
	if !wait {
		return p, nil
	}
	d, _ := newRESTDriver("http://"+s.addr+"/parse", s.appID, s.masterKey)
	if err := p.waitFor(ctx, 30*time.Second, func() bool { return d.healthy(ctx) }); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}
