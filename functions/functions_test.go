// Package functions_test checks the Lambda functions as a whole: one main per family, what they link,
// and every event in testevents/ replayed through its function's handler.
package functions_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/functions/internal/boot"
	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/families"
)

const module = "github.com/parselambda/parselambda"

// TestOneFunctionPerFamily: functions/<name>/main.go for exactly the families of shared/families, each
// serving its own family, and the Makefile's FAMILIES list (what `make build` builds) in step.
func TestOneFunctionPerFamily(t *testing.T) {
	want := map[string]bool{}
	var names []string
	for _, f := range families.All {
		want[f.Name] = true
		names = append(names, f.Name)
		src, err := os.ReadFile(filepath.Join(f.Name, "main.go"))
		if err != nil {
			t.Errorf("family %s has no function: %v", f.Name, err)
			continue
		}
		if !strings.Contains(string(src), "const family = \""+f.Name+"\"") {
			t.Errorf("functions/%s/main.go does not serve family %q", f.Name, f.Name)
		}
	}
	dirs, _ := os.ReadDir(".")
	for _, d := range dirs {
		if d.IsDir() && d.Name() != "internal" && !want[d.Name()] {
			t.Errorf("functions/%s is not a family of shared/families", d.Name())
		}
	}
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FAMILIES\s*:=\s*(.*)$`).FindSubmatch(mk)
	if m == nil || strings.Join(strings.Fields(string(m[1])), " ") != strings.Join(names, " ") {
		t.Errorf("Makefile FAMILIES %q, want %q", m, strings.Join(names, " "))
	}
}

// TestFunctionsLinkNoTestCode: what each function binary links, as `make build` builds it (linux/arm64,
// -tags lambda.norpc): no FerretDB (or its SQLite), no test harness, no fakes, no CDK, no testing.
func TestFunctionsLinkNoTestCode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	forbidden := []string{
		"github.com/FerretDB/", "modernc.org/sqlite", "modernc.org/libc",
		"testing", "net/http/httptest", "github.com/stretchr/testify",
		module + "/shared/apptest", module + "/shared/embeddb",
		module + "/functions/internal/fakes", module + "/functions/internal/runtimeapi", module + "/functions/internal/cmd",
		"github.com/johannesboyne/gofakes3", "github.com/aws/aws-cdk-go", "github.com/aws/jsii-runtime-go", "github.com/cdklabs/",
	}
	args := []string{"list", "-tags", "lambda.norpc", "-f", "{{.ImportPath}}\t{{.Name}}\t{{join .Deps \" \"}}"}
	for _, f := range families.All {
		args = append(args, module+"/functions/"+f.Name)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) != 3 {
			continue
		}
		pkg, name, deps := parts[0], parts[1], strings.Fields(parts[2])
		seen++
		if name != "main" {
			t.Errorf("%s is package %s, not main", pkg, name)
		}
		has := map[string]bool{}
		var linked []string
		for _, d := range deps {
			has[d] = true
			for _, bad := range forbidden {
				if d == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(d, bad)) || strings.HasPrefix(d, bad+"/") {
					linked = append(linked, d)
				}
			}
		}
		if len(linked) > 0 {
			if len(linked) > 5 {
				linked = append(linked[:5], "...")
			}
			t.Errorf("%s links what a Lambda function must not (go list -deps %s): %s", pkg, pkg, strings.Join(linked, ", "))
		}
		// The check means something only if the list is complete: the Lambda runtime and the engine are there.
		for _, must := range []string{"github.com/aws/aws-lambda-go/lambda", "github.com/awslabs/aws-lambda-go-api-proxy/httpadapter", module + "/shared/rest", "go.mongodb.org/mongo-driver/v2/mongo"} {
			if !has[must] {
				t.Errorf("%s does not link %s", pkg, must)
			}
		}
	}
	if seen != len(families.All) {
		t.Fatalf("go list described %d functions, want %d:\n%s", seen, len(families.All), out)
	}
}

// sessionToken is the token in the testevents that send X-Parse-Session-Token.
const sessionToken = "r:5e8c2b1f0a9d4c7e8f6a3b2c1d0e9f8a"

// answer is an invocation's outcome.
type answer struct {
	fnErr  error // the function failed the invocation
	status int
	header map[string]string
	body   any
	raw    string
}

func (a answer) obj() map[string]any {
	m, _ := a.body.(map[string]any)
	return m
}

// expectation checks one event's answer; seed prepares the database.
type expectation struct {
	seed  []string // events replayed first (their answers must be 2xx)
	login bool     // sign up (users-signup) and give the session the events' token
	check func(t *testing.T, a answer)
	then  func(t *testing.T, r *replayer, a answer) // more requests after the event
}

func status(want int, more func(t *testing.T, a answer)) func(t *testing.T, a answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		if a.fnErr != nil || a.status != want {
			t.Fatalf("got %d %s (function error %v), want %d", a.status, a.raw, a.fnErr, want)
		}
		if more != nil {
			more(t, a)
		}
	}
}

// parseAnswer accepts a success (2xx, a JSON object or array) or a Parse error ({code, error}): for
// routes the engine does not serve yet. Tighten as the families land.
func parseAnswer(t *testing.T, a answer) {
	t.Helper()
	if a.fnErr != nil {
		t.Fatalf("function error: %v", a.fnErr)
	}
	if a.status >= 200 && a.status < 300 && a.body != nil {
		t.Logf("answered %d", a.status)
		return
	}
	code, okCode := a.obj()["code"].(float64)
	msg, okMsg := a.obj()["error"].(string)
	if a.status < 400 || !okCode || !okMsg || msg == "" {
		t.Fatalf("neither a success nor a Parse error: %d %s", a.status, a.raw)
	}
	t.Logf("answered %d with Parse error %d: %s", a.status, int(code), msg)
}

func hasString(keys ...string) func(t *testing.T, a answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		for _, k := range keys {
			if s, _ := a.obj()[k].(string); s == "" {
				t.Errorf("no %s in %s", k, a.raw)
			}
		}
	}
}

func results(n int, check func(t *testing.T, r []any)) func(t *testing.T, a answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		r, ok := a.obj()["results"].([]any)
		if !ok || (n >= 0 && len(r) != n) {
			t.Fatalf("want %d results: %s", n, a.raw)
		}
		if check != nil {
			check(t, r)
		}
	}
}

func unknownJob(t *testing.T, a answer) {
	t.Helper()
	if a.fnErr == nil || !strings.Contains(a.fnErr.Error(), "unknown job") || !strings.Contains(a.fnErr.Error(), `"cleanup"`) {
		t.Fatalf("want the unknown job error for cleanup, got %v (%s)", a.fnErr, a.raw)
	}
}

var expectations = map[string]expectation{
	"rest-health.json": {check: status(200, func(t *testing.T, a answer) {
		if a.obj()["status"] != "ok" {
			t.Errorf("health: %s", a.raw)
		}
	})},
	"rest-serverinfo.json": {check: status(200, hasString("parseServerVersion"))},
	// The migration guide's first request.
	"classes-create.json": {check: status(201, hasString("objectId", "createdAt"))},
	// The JS SDK's find: text/plain POST with _method GET and the keys in the body.
	"classes-find-jssdk.json": {seed: []string{"classes-create.json"}, check: status(200, results(1, func(t *testing.T, r []any) {
		if o, _ := r[0].(map[string]any); o["playerName"] != "Sean Plott" || o["score"] != float64(1337) {
			t.Errorf("result %v", r[0])
		}
	}))},
	"classes-find-session.json": {seed: []string{"classes-create.json"}, login: true, check: status(200, results(1, nil))},
	"users-signup.json":         {check: status(201, hasString("objectId", "createdAt", "sessionToken"))},
	"users-me.json": {login: true, check: status(200, func(t *testing.T, a answer) {
		if a.obj()["username"] != "cooldude6" || a.obj()["sessionToken"] != sessionToken {
			t.Errorf("me: %s", a.raw)
		}
	})},
	"sessions-me.json": {login: true, check: status(200, func(t *testing.T, a answer) {
		if a.obj()["sessionToken"] != sessionToken {
			t.Errorf("session: %s", a.raw)
		}
	})},
	// The JS SDK's upload by a logged-in user: the raw bytes, base64-encoded by API Gateway.
	"files-upload.json": {login: true, check: status(201, func(t *testing.T, a answer) {
		name, _ := a.obj()["name"].(string)
		url, _ := a.obj()["url"].(string)
		if !strings.HasSuffix(name, "pic.png") || !strings.HasPrefix(url, "http://localhost:1337/parse/files/testapp/") {
			t.Errorf("upload: %s", a.raw)
		}
	}), then: downloadUpload},
	"roles-create.json":         {check: status(201, hasString("objectId"))},
	"installations-create.json": {check: status(201, hasString("objectId"))},
	"schemas-list.json":         {seed: []string{"classes-create.json"}, check: status(200, results(-1, nil))},
	"batch-create.json": {seed: []string{"classes-create.json"}, check: status(200, func(t *testing.T, a answer) {
		arr, _ := a.body.([]any)
		if len(arr) != 2 {
			t.Fatalf("batch: %s", a.raw)
		}
		for _, x := range arr {
			if s, _ := x.(map[string]any)["success"].(map[string]any); s == nil || s["objectId"] == nil {
				t.Errorf("batch item %v", x)
			}
		}
	})},
	// Families whose engine routes are not all there yet.
	"functions-call.json":       {check: parseAnswer},
	"jobs-start.json":           {check: parseAnswer},
	"push-send.json":            {check: parseAnswer},
	"config-get.json":           {check: parseAnswer},
	"jobs-scheduled-event.json": {check: unknownJob},
	"jobs-scheduler-input.json": {check: unknownJob},
}

// downloadUpload fetches the uploaded file through the files function: binary answers leave the
// function base64-encoded, and must be the bytes the upload event carried.
func downloadUpload(t *testing.T, r *replayer, a answer) {
	var up events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(readEvent(t, "files-upload.json"), &up); err != nil {
		t.Fatal(err)
	}
	sent, err := base64.StdEncoding.DecodeString(up.Body)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(a.obj()["url"].(string), "http://localhost:1337")
	get := up
	get.RawPath, get.Body, get.IsBase64Encoded = path, "", false
	get.RequestContext.HTTP.Method, get.RequestContext.HTTP.Path = "GET", path
	get.Headers = map[string]string{"host": up.Headers["host"]}
	raw, _ := json.Marshal(get)
	out, err := r.handlers["files"].Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	got := []byte(resp.Body)
	if resp.IsBase64Encoded {
		got, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	if resp.StatusCode != 200 || !resp.IsBase64Encoded || !bytes.Equal(got, sent) {
		t.Fatalf("download %s: %d base64=%v, %d bytes (want the %d uploaded)", path, resp.StatusCode, resp.IsBase64Encoded, len(got), len(sent))
	}
	if ct := resp.Headers["Content-Type"]; ct != "image/png" {
		t.Errorf("download Content-Type %q", ct)
	}
}

// replayer runs events through the functions' handlers, composed as in the mains, over one fresh
// database of the test harness.
type replayer struct {
	t        *testing.T
	db       *mongo.Database
	handlers map[string]lambda.Handler
}

func newReplayer(t *testing.T) *replayer {
	t.Helper()
	_, caps := apptest.Client(t)
	clientOpts := apptest.ClientOptions(t)
	db := apptest.DB(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := map[string]string{"APP_ID": "testapp", "MASTER_KEY": "testmaster", "SERVER_URL": "http://localhost:1337/parse",
		"MONGODB_URI": "mongodb://apptest.invalid/", "FILES_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	s, err := boot.Load(context.Background(), getenv, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := boot.NewServices(context.Background(), getenv, s.Config, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	app := boot.Engine(s.Config, boot.Database{DB: db, Caps: caps, Client: clientOpts}, svc, log)
	r := &replayer{t: t, db: db, handlers: map[string]lambda.Handler{}}
	for _, f := range families.All {
		if f.Name == "jobs" {
			r.handlers[f.Name] = lambda.NewHandler(boot.JobsHandler(app, log))
		} else {
			r.handlers[f.Name] = lambda.NewHandler(boot.HTTP(app, f.Name))
		}
	}
	return r
}

func familyOf(file string) string {
	name, _, _ := strings.Cut(filepath.Base(file), "-")
	return name
}

func readEvent(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testevents", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (r *replayer) invoke(file string, payload []byte) answer {
	r.t.Helper()
	h, ok := r.handlers[familyOf(file)]
	if !ok {
		r.t.Fatalf("%s: no function %q (events are named <family>-<what>.json)", file, familyOf(file))
	}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		return answer{fnErr: err}
	}
	a := answer{raw: string(out)}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		r.t.Fatalf("%s: not an HTTP API response: %s", file, out)
	}
	if resp.IsBase64Encoded {
		r.t.Fatalf("%s: JSON answer sent base64-encoded", file)
	}
	a.status, a.header, a.raw = resp.StatusCode, resp.Headers, resp.Body
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &a.body); err != nil {
			r.t.Fatalf("%s: body is not JSON: %q", file, resp.Body)
		}
		if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
			r.t.Errorf("%s: Content-Type %q", file, ct)
		}
	}
	return a
}

// login signs up the users-signup.json user and gives its session the testevents' token.
func (r *replayer) login() {
	r.t.Helper()
	a := r.invoke("users-signup.json", readEvent(r.t, "users-signup.json"))
	tok, _ := a.obj()["sessionToken"].(string)
	if a.status != 201 || tok == "" {
		r.t.Fatalf("sign-up for the session events: %d %s", a.status, a.raw)
	}
	res, err := r.db.Collection("_Session").UpdateOne(context.Background(), bson.D{{Key: "_session_token", Value: tok}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "_session_token", Value: sessionToken}}}})
	if err != nil || res.ModifiedCount != 1 {
		r.t.Fatalf("set the session token: %v %+v", err, res)
	}
}

func TestReplayEvents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testevents", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		seen[filepath.Base(f)] = true
	}
	var missing []string
	for name := range expectations {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("expected events missing from testevents/: %v", missing)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			exp, ok := expectations[name]
			if !ok {
				t.Fatalf("testevents/%s has no expectation in TestReplayEvents", name)
			}
			r := newReplayer(t)
			if exp.login {
				r.login()
			}
			for _, s := range exp.seed {
				if a := r.invoke(s, readEvent(t, s)); a.fnErr != nil || a.status/100 != 2 {
					t.Fatalf("seed %s: %d %s %v", s, a.status, a.raw, a.fnErr)
				}
			}
			a := r.invoke(name, readEvent(t, name))
			exp.check(t, a)
			if exp.then != nil {
				exp.then(t, r, a)
			}
		})
	}
}
