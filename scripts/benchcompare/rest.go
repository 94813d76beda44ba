package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// driver runs the benchmark's operations against one target: a Parse REST server or the database.
type driver interface {
	// Seed creates n objects of benchClass (score 0..n-1, public read/write, counter 0) and the first
	// object of newClass, and answers the ids.
	Seed(ctx context.Context, n int) ([]string, error)
	Create(ctx context.Context, rnd *rand.Rand, ref string) error
	Get(ctx context.Context, id string) error
	Query(ctx context.Context, lo, hi int) error // score in [lo, hi), order -score, limit 20
	Increment(ctx context.Context, id string) error
	SignUpLogin(ctx context.Context, username, password string) error
	Batch(ctx context.Context, rnd *rand.Rand, n int, ref string) error
	Counter(ctx context.Context, id string) (int64, error)
}

const (
	benchClass = "BenchItem" // the 1,000-object class: get, query, update
	newClass   = "BenchNew"  // create and batch write here, so BenchItem stays at its size
)

// restDriver speaks the Parse REST API.
type restDriver struct {
	base   string // http://127.0.0.1:PORT/parse
	appID  string
	master string
	hc     *http.Client
}

func newRESTDriver(base, appID, master string) (*restDriver, error) {
	if err := checkLoopbackURL(base); err != nil {
		return nil, err
	}
	tr := &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &restDriver{base: base, appID: appID, master: master, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}, nil
}

// httpError is a non-2xx answer.
type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// do sends one request and decodes a 2xx JSON answer into out (when non-nil).
func (d *restDriver) do(ctx context.Context, method, path string, master bool, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-Parse-Application-Id", d.appID)
	if master {
		req.Header.Set("X-Parse-Master-Key", d.master)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		s := string(b)
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		return &httpError{status: resp.StatusCode, body: s}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: bad JSON answer: %w", method, path, err)
		}
	}
	return nil
}

var publicACL = map[string]any{"*": map[string]any{"read": true, "write": true}}

// newObject is the 9-field object of the create scenarios: strings, numbers, a boolean, a date, an
// array, an object and a pointer.
func newObject(rnd *rand.Rand, ref string) map[string]any {
	n := rnd.IntN(1_000_000)
	return map[string]any{
		"title":    "object " + strconv.Itoa(n),
		"category": []string{"red", "green", "blue", "amber"}[n%4],
		"score":    n % 1000,
		"ratio":    rnd.Float64(),
		"active":   n%2 == 0,
		"when":     map[string]any{"__type": "Date", "iso": time.UnixMilli(1_700_000_000_000 + int64(n)*1000).UTC().Format("2006-01-02T15:04:05.000Z")},
		"tags":     []any{"t" + strconv.Itoa(n%10), "t" + strconv.Itoa(n%7)},
		"meta":     map[string]any{"source": "bench", "rank": n % 100},
		"ref":      map[string]any{"__type": "Pointer", "className": benchClass, "objectId": ref},
		"ACL":      publicACL,
	}
}

// seedObject is object i of benchClass.
func seedObject(i int) map[string]any {
	return map[string]any{
		"title":   "seed " + strconv.Itoa(i),
		"score":   i,
		"counter": 0,
		"active":  i%2 == 0,
		"ACL":     publicACL,
	}
}

func (d *restDriver) Seed(ctx context.Context, n int) ([]string, error) {
	var first struct {
		ObjectID string `json:"objectId"`
	}
	// The first object alone creates the class; then batches of 50 (the smaller of the two servers'
	// batch limits).
	if err := d.do(ctx, "POST", "/classes/"+benchClass, true, seedObject(0), &first); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	ids := []string{first.ObjectID}
	for i := 1; i < n; i += 50 {
		var reqs []any
		for j := i; j < n && j < i+50; j++ {
			reqs = append(reqs, map[string]any{"method": "POST", "path": d.mount() + "/classes/" + benchClass, "body": seedObject(j)})
		}
		var out []struct {
			Success *struct {
				ObjectID string `json:"objectId"`
			} `json:"success"`
			Error any `json:"error"`
		}
		if err := d.do(ctx, "POST", "/batch", true, map[string]any{"requests": reqs}, &out); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		for _, r := range out {
			if r.Success == nil {
				return nil, fmt.Errorf("seed: batch item failed: %v", r.Error)
			}
			ids = append(ids, r.Success.ObjectID)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	if err := d.do(ctx, "POST", "/classes/"+newClass, true, newObject(rnd, ids[0]), nil); err != nil {
		return nil, fmt.Errorf("seed %s: %w", newClass, err)
	}
	return ids, nil
}

func (d *restDriver) mount() string {
	u, _ := url.Parse(d.base)
	return u.Path
}

func (d *restDriver) Create(ctx context.Context, rnd *rand.Rand, ref string) error {
	var out struct {
		ObjectID string `json:"objectId"`
	}
	if err := d.do(ctx, "POST", "/classes/"+newClass, false, newObject(rnd, ref), &out); err != nil {
		return err
	}
	if out.ObjectID == "" {
		return fmt.Errorf("create: no objectId in the answer")
	}
	return nil
}

func (d *restDriver) Get(ctx context.Context, id string) error {
	var out struct {
		ObjectID string `json:"objectId"`
	}
	if err := d.do(ctx, "GET", "/classes/"+benchClass+"/"+id, false, nil, &out); err != nil {
		return err
	}
	if out.ObjectID != id {
		return fmt.Errorf("get %s: answered objectId %q", id, out.ObjectID)
	}
	return nil
}

func (d *restDriver) Query(ctx context.Context, lo, hi int) error {
	where, _ := json.Marshal(map[string]any{"score": map[string]any{"$gte": lo, "$lt": hi}})
	q := url.Values{"where": {string(where)}, "order": {"-score"}, "limit": {"20"}}
	var out struct {
		Results []struct {
			Score float64 `json:"score"`
		} `json:"results"`
	}
	if err := d.do(ctx, "GET", "/classes/"+benchClass+"?"+q.Encode(), false, nil, &out); err != nil {
		return err
	}
	scores := make([]float64, len(out.Results))
	for i, r := range out.Results {
		scores[i] = r.Score
	}
	return checkQuery(lo, hi, scores)
}

// checkQuery checks the answer of a query: the top 20 scores of [lo, hi), descending.
func checkQuery(lo, hi int, scores []float64) error {
	want := min(20, hi-lo)
	if len(scores) != want {
		return fmt.Errorf("query [%d,%d): %d results, want %d", lo, hi, len(scores), want)
	}
	for i, s := range scores {
		if s != float64(hi-1-i) {
			return fmt.Errorf("query [%d,%d): result %d has score %v, want %d", lo, hi, i, s, hi-1-i)
		}
	}
	return nil
}

func (d *restDriver) Increment(ctx context.Context, id string) error {
	var out struct {
		Counter *float64 `json:"counter"`
	}
	if err := d.do(ctx, "PUT", "/classes/"+benchClass+"/"+id, false, map[string]any{"counter": map[string]any{"__op": "Increment", "amount": 1}}, &out); err != nil {
		return err
	}
	if out.Counter == nil {
		return fmt.Errorf("increment: the answer has no counter")
	}
	return nil
}

func (d *restDriver) SignUpLogin(ctx context.Context, username, password string) error {
	var su struct {
		SessionToken string `json:"sessionToken"`
	}
	if err := d.do(ctx, "POST", "/users", false, map[string]any{"username": username, "password": password}, &su); err != nil {
		return fmt.Errorf("sign-up: %w", err)
	}
	if su.SessionToken == "" {
		return fmt.Errorf("sign-up: no sessionToken")
	}
	var li struct {
		SessionToken string `json:"sessionToken"`
	}
	q := url.Values{"username": {username}, "password": {password}}
	if err := d.do(ctx, "GET", "/login?"+q.Encode(), false, nil, &li); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if li.SessionToken == "" {
		return fmt.Errorf("login: no sessionToken")
	}
	return nil
}

func (d *restDriver) Batch(ctx context.Context, rnd *rand.Rand, n int, ref string) error {
	reqs := make([]any, n)
	for i := range reqs {
		reqs[i] = map[string]any{"method": "POST", "path": d.mount() + "/classes/" + newClass, "body": newObject(rnd, ref)}
	}
	var out []struct {
		Success map[string]any `json:"success"`
		Error   any            `json:"error"`
	}
	if err := d.do(ctx, "POST", "/batch", false, map[string]any{"requests": reqs}, &out); err != nil {
		return err
	}
	if len(out) != n {
		return fmt.Errorf("batch: %d answers for %d requests", len(out), n)
	}
	for _, r := range out {
		if r.Success == nil || r.Success["objectId"] == nil {
			return fmt.Errorf("batch: an item failed: %v", r.Error)
		}
	}
	return nil
}

func (d *restDriver) Counter(ctx context.Context, id string) (int64, error) {
	var out struct {
		Counter float64 `json:"counter"`
	}
	if err := d.do(ctx, "GET", "/classes/"+benchClass+"/"+id, true, nil, &out); err != nil {
		return 0, err
	}
	return int64(out.Counter), nil
}

// healthy tells whether GET /health answers 200.
func (d *restDriver) healthy(ctx context.Context) bool {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return d.do(c, "GET", "/health", false, nil, nil) == nil
}
