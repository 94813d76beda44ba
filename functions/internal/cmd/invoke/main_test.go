package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parselambda/parselambda/functions/internal/fakes"
	"github.com/parselambda/parselambda/shared/embeddb"
)

// bootstrap is the classes function built for this machine, as `make invoke` builds it.
var bootstrap string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parselambda-bootstrap-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bootstrap = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, "github.com/parselambda/parselambda/functions/classes")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the classes bootstrap: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func event(name string) string { return filepath.Join("..", "..", "..", "..", "testevents", name) }

// baseEnv is a clean environment: nothing from the developer's shell reaches the function.
func baseEnv(t *testing.T, extra ...string) []string {
	dir := t.TempDir()
	return append([]string{
		"HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}, extra...)
}

func invoke(t *testing.T, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, append([]string{"-fn", "classes", "-bin", bootstrap}, args...), environ, &out, &errb)
	return code, out.String(), errb.String()
}

// TestBootstrapOnFakeRuntimeAPI runs the real classes bootstrap against the fake Runtime API, with the
// embedded FerretDB the command starts: the migration guide's create, then the JS SDK's find in the
// same warm container, then Lambda's shutdown (SIGTERM closes the MongoDB client).
func TestBootstrapOnFakeRuntimeAPI(t *testing.T) {
	code, out, errs := invoke(t, baseEnv(t), "-event", event("classes-create.json"), "-event", event("classes-find-jssdk.json"))
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{"HTTP 201", `"objectId"`, "HTTP 200", `"playerName": "Sean Plott"`, "Location: http://localhost:1337/parse/classes/GameScore/"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"embedded FerretDB", `"msg":"cold start"`, `"keys":"env"`, `"msg":"shutdown: MongoDB client closed"`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if n := strings.Count(errs, `"msg":"cold start"`); n != 1 {
		t.Errorf("%d cold starts for two invocations, want 1", n)
	}
}

// TestBootstrapWithSecrets: the real binary reads the master key and the connection string from
// Secrets Manager (the fake, over HTTP, through the SDK's AWS_ENDPOINT_URL_SECRETS_MANAGER), with no
// key or database in its plain environment.
func TestBootstrapWithSecrets(t *testing.T) {
	db, err := embeddb.Start(embeddb.Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sm := fakes.NewSecretsManager()
	srv := httptest.NewServer(sm)
	defer srv.Close()
	parseARN := sm.Put("parselambda-dev-app", `{"appId":"testapp","masterKey":"testmaster"}`)
	dbJSON, _ := json.Marshal(map[string]string{"uri": db.URI})
	dbARN := sm.Put("parselambda-dev-db", string(dbJSON))

	env := baseEnv(t,
		"PARSE_SECRET_ARN="+parseARN, "DB_SECRET_ARN="+dbARN, "DB_NAME=parse", "MONGODB_MAX_POOL_SIZE=2",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+srv.URL, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_SESSION_TOKEN=token",
		"SERVER_URL=https://abc123defg.execute-api.us-east-1.amazonaws.com/parse", "MOUNT_PATH=/parse")
	code, out, errs := invoke(t, env, "-event", event("classes-create.json"))
	if code != 0 || !strings.Contains(out, "HTTP 201") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if strings.Contains(errs, "embedded FerretDB at") {
		t.Errorf("the command started its own database although DB_SECRET_ARN was set")
	}
	if !strings.Contains(errs, `"keys":"`+parseARN+`"`) || !strings.Contains(errs, `"maxPoolSize":2`) {
		t.Errorf("cold start log: %s", errs)
	}
	if strings.Contains(errs, "testmaster") || strings.Contains(errs, db.URI) {
		t.Errorf("a secret reached the logs:\n%s", errs)
	}
	want := "GetSecretValue " + parseARN + "|GetSecretValue " + dbARN
	if got := strings.Join(sm.Calls(), "|"); got != want {
		t.Errorf("Secrets Manager calls %q, want %q", got, want)
	}
}

// TestBootstrapInitError: a configuration error is reported to the Runtime API's init/error.
func TestBootstrapInitError(t *testing.T) {
	code, out, errs := invoke(t, baseEnv(t, "DB_KIND=postgres"), "-event", event("classes-create.json"))
	if code != 1 || !strings.Contains(errs, "failed to start") || !strings.Contains(errs, "DB_KIND") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage") {
		t.Fatalf("%d %s", code, errb.String())
	}
}
