package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parselambda/parselambda/shared/config"
)

// The floor server: the raw driver line's database operations behind a minimal net/http server, in a
// child process of this program (childEnv=childFloor), so that its CPU is measured as a server's is.
// It parses no Parse request, checks no ACL and writes no REST JSON: what it costs per request is what
// any Go server with net/http and mongo-driver v2 pays on this machine, the part of our CPU no engine
// work can remove. It runs with the same runtime settings as our server (lambdaRuntimeEnv, GOGC=400,
// BENCH_OURS_*).
const (
	childFloor  = "floor"
	floorURI    = "BENCHCOMPARE_FLOOR_URI"
	floorDBName = "BENCHCOMPARE_FLOOR_DB"
	floorAddr   = "BENCHCOMPARE_FLOOR_ADDR"
)

// floorChild serves the floor until SIGTERM/SIGINT and prints "ready" once it listens.
func floorChild() error {
	config.TuneRuntime(os.Getenv) // GOGC=400 and the memory limit, as our server
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	d, err := newRawDriver(pingCtx, os.Getenv(floorURI), os.Getenv(floorDBName))
	cancel()
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer d.close()
	addr := os.Getenv(floorAddr)
	if err := checkLoopbackAddr(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: floorHandler(d), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Println("ready")
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkLoopbackAddr refuses a host:port that is not on loopback.
func checkLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	return checkLoopback(host)
}

// floorHandler answers one operation of the driver interface per request: /op/<name>?args.
func floorHandler(d *rawDriver) http.Handler {
	var seq atomic.Uint64
	mux := http.NewServeMux()
	intArg := func(q url.Values, k string) int { n, _ := strconv.Atoi(q.Get(k)); return n }
	reply := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}
	rnd := func() *rand.Rand { return rand.New(rand.NewPCG(seq.Add(1), 7)) }
	mux.HandleFunc("POST /op/seed", func(w http.ResponseWriter, r *http.Request) {
		ids, err := d.Seed(r.Context(), intArg(r.URL.Query(), "n"))
		reply(w, ids, err)
	})
	mux.HandleFunc("POST /op/create", func(w http.ResponseWriter, r *http.Request) {
		reply(w, true, d.Create(r.Context(), rnd(), r.URL.Query().Get("ref")))
	})
	mux.HandleFunc("GET /op/get", func(w http.ResponseWriter, r *http.Request) {
		reply(w, true, d.Get(r.Context(), r.URL.Query().Get("id")))
	})
	mux.HandleFunc("GET /op/query", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		reply(w, true, d.Query(r.Context(), intArg(q, "lo"), intArg(q, "hi")))
	})
	mux.HandleFunc("POST /op/increment", func(w http.ResponseWriter, r *http.Request) {
		reply(w, true, d.Increment(r.Context(), r.URL.Query().Get("id")))
	})
	mux.HandleFunc("POST /op/signup", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		reply(w, true, d.SignUpLogin(r.Context(), q.Get("username"), q.Get("password")))
	})
	mux.HandleFunc("POST /op/batch", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		reply(w, true, d.Batch(r.Context(), rnd(), intArg(q, "n"), q.Get("ref")))
	})
	mux.HandleFunc("GET /op/counter", func(w http.ResponseWriter, r *http.Request) {
		n, err := d.Counter(r.Context(), r.URL.Query().Get("id"))
		reply(w, n, err)
	})
	return mux
}

// startFloor starts the floor child on addr, on database dbName of the shared FerretDB.
func startFloor(ctx context.Context, addr, dbURI, dbName string) (*proc, error) {
	if err := checkLoopbackAddr(addr); err != nil {
		return nil, err
	}
	if err := checkLoopbackURL(dbURI); err != nil {
		return nil, err
	}
	env := []string{childEnv + "=" + childFloor, floorURI + "=" + dbURI, floorDBName + "=" + dbName, floorAddr + "=" + addr}
	env = append(append(env, lambdaRuntimeEnv...), oursEnvOverrides()...)
	p, _, err := startSelfChild(ctx, "floor server", env, 30*time.Second)
	return p, err
}

// floorDriver sends each operation to the floor server.
type floorDriver struct {
	base string // http://127.0.0.1:PORT/op/
	hc   *http.Client
}

var _ driver = (*floorDriver)(nil)

func newFloorDriver(addr string) *floorDriver {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	return &floorDriver{base: "http://" + addr + "/op/", hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// call runs operation op with args and decodes its answer into out (nil: discard).
func (f *floorDriver) call(ctx context.Context, method, op string, args url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, f.base+op+"?"+args.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("floor %s: %d %s", op, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (f *floorDriver) Seed(ctx context.Context, n int) ([]string, error) {
	var ids []string
	err := f.call(ctx, "POST", "seed", url.Values{"n": {strconv.Itoa(n)}}, &ids)
	return ids, err
}

func (f *floorDriver) Create(ctx context.Context, _ *rand.Rand, ref string) error {
	return f.call(ctx, "POST", "create", url.Values{"ref": {ref}}, nil)
}

func (f *floorDriver) Get(ctx context.Context, id string) error {
	return f.call(ctx, "GET", "get", url.Values{"id": {id}}, nil)
}

func (f *floorDriver) Query(ctx context.Context, lo, hi int) error {
	return f.call(ctx, "GET", "query", url.Values{"lo": {strconv.Itoa(lo)}, "hi": {strconv.Itoa(hi)}}, nil)
}

func (f *floorDriver) Increment(ctx context.Context, id string) error {
	return f.call(ctx, "POST", "increment", url.Values{"id": {id}}, nil)
}

func (f *floorDriver) SignUpLogin(ctx context.Context, username, password string) error {
	return f.call(ctx, "POST", "signup", url.Values{"username": {username}, "password": {password}}, nil)
}

func (f *floorDriver) Batch(ctx context.Context, _ *rand.Rand, n int, ref string) error {
	return f.call(ctx, "POST", "batch", url.Values{"n": {strconv.Itoa(n)}, "ref": {ref}}, nil)
}

func (f *floorDriver) Counter(ctx context.Context, id string) (int64, error) {
	var n int64
	err := f.call(ctx, "GET", "counter", url.Values{"id": {id}}, &n)
	return n, err
}
