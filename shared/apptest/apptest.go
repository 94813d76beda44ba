// Package apptest runs the engine against the embedded database for tests: one FerretDB per test
// binary, a fresh database per test, and a small HTTP client for table-driven scenarios. Only tests
// import it.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/embeddb"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/rest"
)

var (
	once   sync.Once
	client *mongo.Client
	uri    string
	// clientOpts are the options client was built with (its write concern and retryWrites).
	clientOpts *options.ClientOptions
	caps       query.Caps
	initErr    error
	dbSeq      atomic.Int64
)

// Client returns the shared database client: MONGODB_URI when set (a real MongoDB), else an embedded
// FerretDB started once for the test binary.
func Client(tb testing.TB) (*mongo.Client, query.Caps) {
	tb.Helper()
	once.Do(func() {
		uri = os.Getenv("MONGODB_URI")
		if uri == "" {
			dir, err := os.MkdirTemp("", "parselambda-test-")
			if err != nil {
				initErr = err
				return
			}
			db, err := embeddb.Start(embeddb.Options{Dir: dir})
			if err != nil {
				initErr = err
				return
			}
			uri = db.URI
		}
		clientOpts = embeddb.ClientOptions(uri) // + the _id index monitor when embedded
		client, initErr = mongo.Connect(clientOpts)
		if initErr == nil {
			caps = rest.DetectCaps(context.Background(), client)
		}
	})
	if initErr != nil {
		tb.Fatalf("test database: %v", initErr)
	}
	return client, caps
}

// ClientOptions returns the options Client's client was built with.
func ClientOptions(tb testing.TB) *options.ClientOptions {
	tb.Helper()
	Client(tb)
	return clientOpts
}

// URI returns the address of the shared test database (started as Client starts it), for a test that
// needs a client of its own, such as one with a command monitor.
func URI(tb testing.TB) string {
	tb.Helper()
	Client(tb)
	return uri
}

// DB returns a fresh, empty database.
func DB(tb testing.TB) *mongo.Database {
	c, _ := Client(tb)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	db := c.Database(name)
	tb.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}

// Env is an engine over a fresh database.
type Env struct {
	T       testing.TB
	App     *rest.App
	DB      *mongo.Database
	Config  config.Config
	Handler http.Handler
	// Events holds the analytics events the engine wrote (CloudWatch EMF lines).
	Events *SyncBuffer
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WithFiles sets the file store (by default a folder in the test's temporary directory).
func WithFiles(s files.Store) Option { return func(o *rest.Options) { o.Files = s } }

// Option changes the engine's options in NewWith.
type Option func(*rest.Options)

// WithMail sets the mail sender.
func WithMail(s mail.Sender) Option { return func(o *rest.Options) { o.Mail = s } }

// New builds an engine over a fresh database; mod may change the configuration.
func New(tb testing.TB, mod func(*config.Config)) *Env {
	tb.Helper()
	return NewWith(tb, mod)
}

// NewWith is New with engine options.
func NewWith(tb testing.TB, mod func(*config.Config), opts ...Option) *Env {
	tb.Helper()
	_, cp := Client(tb)
	db := DB(tb)
	cfg := config.Defaults()
	cfg.AppID = "testapp"
	cfg.MasterKey = "testmaster"
	cfg.ServerURL = "http://localhost:1337/parse"
	if mod != nil {
		mod(&cfg)
	}
	ro := rest.Options{Config: cfg, DB: db, Caps: cp, SerializeWrites: cp.Name != "", Insert: rest.Inserter(cp, clientOpts), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	events := &SyncBuffer{}
	ro.Events = events
	if fs, err := files.NewDirStore(tb.TempDir()); err == nil {
		ro.Files = fs
	}
	for _, o := range opts {
		o(&ro)
	}
	app := rest.New(ro)
	return &Env{T: tb, App: app, DB: db, Config: cfg, Handler: app.Handler(), Events: events}
}

// Req describes one request.
type Req struct {
	Method  string
	Path    string // below the mount, e.g. /classes/X
	Body    any    // marshalled as JSON unless a string or []byte
	Master  bool
	Session string
	Headers map[string]string
	NoAppID bool
}

// Resp is an answer.
type Resp struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   any
}

// Map returns the body as an object (empty if it is not one).
func (r *Resp) Map() map[string]any {
	m, _ := r.JSON.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	return m
}

// Code returns the Parse error code of the answer, or 0.
func (r *Resp) Code() int {
	if f, ok := r.Map()["code"].(float64); ok {
		return int(f)
	}
	return 0
}

// Results returns the results array of a find.
func (r *Resp) Results() []map[string]any {
	arr, _ := r.Map()["results"].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		m, _ := x.(map[string]any)
		out = append(out, m)
	}
	return out
}

// Do sends a request through the handler.
func (e *Env) Do(q Req) *Resp {
	e.T.Helper()
	var body io.Reader
	switch b := q.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("marshal: %v", err)
		}
		body = bytes.NewReader(raw)
	}
	method := q.Method
	if method == "" {
		method = "GET"
	}
	req := httptest.NewRequest(method, e.Config.MountPath+q.Path, body)
	if !q.NoAppID {
		req.Header.Set("X-Parse-Application-Id", e.Config.AppID)
	}
	if q.Master {
		req.Header.Set("X-Parse-Master-Key", e.Config.MasterKey)
	}
	if q.Session != "" {
		req.Header.Set("X-Parse-Session-Token", q.Session)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range q.Headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	out := &Resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	if len(out.Raw) > 0 {
		if err := json.Unmarshal(out.Raw, &out.JSON); err != nil {
			e.T.Fatalf("%s %s: answer is not JSON: %q", method, q.Path, out.Raw)
		}
	}
	return out
}

// MustCreate creates an object with the master key and returns its id.
func (e *Env) MustCreate(class string, body map[string]any) string {
	e.T.Helper()
	r := e.Do(Req{Method: "POST", Path: "/classes/" + class, Body: body, Master: true})
	if r.Status != 201 {
		e.T.Fatalf("create %s: %d %s", class, r.Status, r.Raw)
	}
	return r.Map()["objectId"].(string)
}

// SetField sets a stored column of one document directly in the database.
func SetField(tb testing.TB, db *mongo.Database, coll, id, key string, value any) {
	tb.Helper()
	if t, ok := value.(time.Time); ok {
		value = bson.NewDateTimeFromTime(t)
	}
	_, err := db.Collection(coll).UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: key, Value: value}}}})
	if err != nil {
		tb.Fatalf("set %s.%s: %v", coll, key, err)
	}
}
