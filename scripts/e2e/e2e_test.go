// Package e2e runs the Parse JS SDK suite (node --test, in this folder) against the engine served on
// loopback with the embedded database, as part of `go test ./...`.
package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	cloudcode "github.com/parselambda/parselambda/shared/app"
	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/rest"
)

func TestJSSDK(t *testing.T) {
	if _, err := os.Stat("node_modules/parse"); err != nil {
		t.Fatalf("the pinned Parse JS SDK is not installed: run `make e2e-deps` (npm ci in scripts/e2e): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed for the JS SDK suite: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/parse"
	// The app's Cloud Code (shared/app) is served: test/cloud.test.js runs its worked example.
	// Emails go to an outbox folder, as with `make run`: test/reset.test.js follows the reset link.
	outbox := t.TempDir()
	// Request ids are enforced as the idempotency issue lists (test/idempotency.test.js); repeats replay.
	env := apptest.NewWith(t, func(c *config.Config) {
		c.ServerURL = url
		c.AppName = "E2E App"
		c.IdempotencyPaths = []string{"classes/.*", "users", "installations", "functions/.*", "jobs/.*", "batch"}
	},
		func(o *rest.Options) { o.Cloud = cloudcode.Cloud() }, apptest.WithMail(&mail.Outbox{Dir: outbox}))
	srv := &http.Server{Handler: env.Handler}
	go srv.Serve(ln)
	defer srv.Close()
	files, _ := filepath.Glob("test/*.test.js")
	if len(files) == 0 {
		t.Fatal("no JS tests found")
	}
	cmd := exec.Command(node, append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.Env = append(os.Environ(),
		"PARSE_SERVER_URL="+url,
		"PARSE_APP_ID="+env.Config.AppID,
		"PARSE_MASTER_KEY="+env.Config.MasterKey,
		"E2E_NO_CLIENT_CLASS_CREATION=1",
		"E2E_CLOUD_EXAMPLE=1",
		"E2E_IDEMPOTENCY=replay",
		"E2E_OUTBOX_DIR="+outbox,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("JS SDK suite failed: %v\n%s", err, out)
	}
	t.Logf("%s", lastLines(out, 12))
}

func lastLines(b []byte, n int) []byte {
	cnt := 0
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			cnt++
			if cnt > n {
				return b[i+1:]
			}
		}
	}
	return b
}
