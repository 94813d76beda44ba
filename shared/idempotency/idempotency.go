// Package idempotency handles repeated requests (X-Parse-Request-Id), as Parse Server's
// idempotencyOptions: for the writes Parse lists (and POST /batch) on the paths configured, a request
// id seen within the TTL is not run again. Its repeat answers the first request's stored answer
// (replay mode, the default) or 159 Duplicate request (error mode, Parse Server's). Ids live in
// _Idempotency {_id, reqId, expire, _caller, _response} with a unique index on reqId; expired rows are deleted
// here, since not every database has TTL indexes.
package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/parse"
)

// Collection holds the request ids.
const Collection = "_Idempotency"

// sweepEvery bounds how often one process deletes every expired id.
const sweepEvery = time.Minute

// Checker checks request ids.
type Checker struct {
	DB    *mongo.Database
	Paths []*regexp.Regexp
	TTL   time.Duration
	Log   *slog.Logger
	Now   func() time.Time
	// Mode is ModeReplay (also when empty) or ModeError.
	Mode string

	indexOnce sync.Once
	mu        sync.Mutex
	lastSweep time.Time
}

// New compiles the path patterns (as Parse Server: anchored at the start, on the path below the mount
// without its leading slash, e.g. "classes/Post" or "functions/.*").
func New(db *mongo.Database, paths []string, ttl time.Duration, log *slog.Logger) (*Checker, error) {
	c := &Checker{DB: db, TTL: ttl, Log: log}
	for _, p := range paths {
		if !strings.HasPrefix(p, "^") {
			p = "^" + p
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, err
		}
		c.Paths = append(c.Paths, re)
	}
	return c, nil
}

// Enabled tells whether any path is configured.
func (c *Checker) Enabled() bool { return c != nil && len(c.Paths) > 0 }

// Eligible tells whether a request is one of the writes Parse Server checks: POST /classes/X, /users,
// /installations, /functions/X, /jobs and /jobs/X, and PUT /classes/X/id, /users/id, /installations/id;
// and POST /batch, whose whole answer is remembered too.
func Eligible(method, path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch method {
	case "POST":
		switch segs[0] {
		case "batch":
			return len(segs) == 1
		case "classes", "functions":
			return len(segs) == 2
		case "users", "installations":
			return len(segs) == 1
		case "jobs":
			return len(segs) <= 2
		}
	case "PUT":
		switch segs[0] {
		case "classes":
			return len(segs) == 3
		case "users", "installations":
			return len(segs) == 2
		}
	}
	return false
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Stored is a first request's answer, replayed to its repeats.
type Stored struct {
	Status   int
	Body     json.RawMessage
	Location string
	Header   map[string]string
}

// Ticket is a first request's row; Done records how it ended.
type Ticket struct {
	c  *Checker
	id string
}

// Repeat modes: a repeat within the TTL answers the first request's stored answer (ModeReplay) or
// 159 Duplicate request (ModeError, Parse Server's behaviour).
const (
	ModeReplay = "replay"
	ModeError  = "error"
)

// Running is the message of a repeat that arrives while the first request has not finished.
const Running = "Duplicate request: the first request with this id has not finished yet; retry later"

func (c *Checker) replay() bool { return c.Mode != ModeError }

func (c *Checker) applies(method, path, reqID string) bool {
	if !c.Enabled() || reqID == "" || !Eligible(method, path) {
		return false
	}
	p := strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/")
	for _, re := range c.Paths {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// Begin records reqID for method and path (below the mount) before the request runs. Requests without
// an id, or outside the configured paths, pass with a nil ticket. The first request of an id gets a
// ticket, to be closed with Done. A repeat within the TTL gets the first request's stored answer in
// replay mode (159 while the first one is still running), and 159 Duplicate request in error mode.
// caller names who asks (e.g. the user id); an answer is replayed only to the same method, path and
// caller, and any other repeat of the id answers 159.
func (c *Checker) Begin(ctx context.Context, method, path, reqID, caller string) (*Ticket, *Stored, error) {
	who := method + " " + path + " " + caller
	if !c.applies(method, path, reqID) {
		return nil, nil, nil
	}
	coll := c.DB.Collection(Collection)
	c.indexOnce.Do(func() {
		_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "reqId", Value: 1}}, Options: options.Index().SetName("reqId_1").SetUnique(true)})
		if err != nil && c.Log != nil {
			c.Log.WarnContext(ctx, "idempotency: could not create the unique index on reqId", "err", err)
		}
		// MongoDB and DocumentDB expire rows themselves; FerretDB refuses TTL indexes, and the sweep below does it.
		_, _ = coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "expire", Value: 1}}, Options: options.Index().SetName("ttl").SetExpireAfterSeconds(0)})
	})
	now := c.now().UTC().Truncate(time.Millisecond)
	nowDate := bson.NewDateTimeFromTime(now)
	// An expired row of this id no longer counts.
	if _, err := coll.DeleteMany(ctx, bson.D{{Key: "reqId", Value: reqID}, {Key: "expire", Value: bson.D{{Key: "$lte", Value: nowDate}}}}); err != nil {
		return nil, nil, err
	}
	c.sweep(ctx, now)
	// Twice: a row found by the insert's duplicate key may be gone by the read (its request failed).
	for range 2 {
		if t, s, done, err := c.existing(ctx, reqID, who); done {
			return t, s, err
		}
		id := parse.NewObjectID()
		doc := bson.D{
			{Key: "_id", Value: id},
			{Key: "reqId", Value: reqID},
			{Key: "expire", Value: bson.NewDateTimeFromTime(now.Add(c.TTL))},
			{Key: "_caller", Value: who},
			{Key: "_created_at", Value: nowDate},
			{Key: "_updated_at", Value: nowDate},
		}
		_, err := coll.InsertOne(ctx, doc)
		if err == nil {
			return &Ticket{c: c, id: id}, nil, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, nil, err
		}
	}
	return nil, nil, parse.NewError(parse.DuplicateRequest, Running)
}

// storedRow is the part of a row read for a repeat.
type storedRow struct {
	Caller   string `bson:"_caller"`
	Response *struct {
		Status   int               `bson:"status"`
		Body     string            `bson:"body"`
		Location string            `bson:"location,omitempty"`
		Header   map[string]string `bson:"header,omitempty"`
	} `bson:"_response"`
}

// existing answers a repeat of reqID by who (done true), or done false when the id has no row.
func (c *Checker) existing(ctx context.Context, reqID, who string) (*Ticket, *Stored, bool, error) {
	var row storedRow
	err := c.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "reqId", Value: reqID}}).Decode(&row)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, true, err
	}
	if !c.replay() || row.Caller != who {
		return nil, nil, true, parse.NewError(parse.DuplicateRequest, "Duplicate request")
	}
	if row.Response == nil {
		return nil, nil, true, parse.NewError(parse.DuplicateRequest, Running)
	}
	r := row.Response
	return nil, &Stored{Status: r.Status, Body: json.RawMessage(r.Body), Location: r.Location, Header: r.Header}, true, nil
}

// Done records how the first request of an id ended, in replay mode: a successful (2xx) answer is
// stored on its row for the repeats; otherwise (s nil or another status) the row is deleted, so that
// a retry runs again. In error mode the row stays as it is, as in Parse Server. Done on a nil ticket
// does nothing. It runs even when ctx is cancelled (the client went away after the write).
func (t *Ticket) Done(ctx context.Context, s *Stored) error {
	if t == nil || !t.c.replay() {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	coll := t.c.DB.Collection(Collection)
	if s == nil || s.Status < 200 || s.Status > 299 {
		_, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: t.id}})
		return err
	}
	resp := bson.D{{Key: "status", Value: int32(s.Status)}, {Key: "body", Value: string(s.Body)}}
	if s.Location != "" {
		resp = append(resp, bson.E{Key: "location", Value: s.Location})
	}
	if len(s.Header) > 0 {
		resp = append(resp, bson.E{Key: "header", Value: s.Header})
	}
	set := bson.D{{Key: "_response", Value: resp}, {Key: "_updated_at", Value: bson.NewDateTimeFromTime(t.c.now())}}
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: t.id}}, bson.D{{Key: "$set", Value: set}})
	return err
}

// sweep deletes every expired id, at most once a minute per process.
func (c *Checker) sweep(ctx context.Context, now time.Time) {
	c.mu.Lock()
	if now.Sub(c.lastSweep) < sweepEvery {
		c.mu.Unlock()
		return
	}
	c.lastSweep = now
	c.mu.Unlock()
	_, err := c.DB.Collection(Collection).DeleteMany(ctx, bson.D{{Key: "expire", Value: bson.D{{Key: "$lte", Value: bson.NewDateTimeFromTime(now)}}}})
	if err != nil && !errors.Is(err, context.Canceled) && c.Log != nil {
		c.Log.WarnContext(ctx, "idempotency: sweep of expired ids failed", "err", err)
	}
}
