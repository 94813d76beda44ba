// Package idempotency refuses repeated requests (X-Parse-Request-Id) as Parse Server's
// idempotencyOptions do: for the writes Parse lists and the paths configured, a request id seen within
// the TTL answers 159 Duplicate request. Ids live in _Idempotency {_id, reqId, expire} with a unique
// index on reqId; expired rows are deleted here, since not every database has TTL indexes.
package idempotency

import (
	"context"
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
// /installations, /functions/X, /jobs and /jobs/X, and PUT /classes/X/id, /users/id, /installations/id.
func Eligible(method, path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch method {
	case "POST":
		switch segs[0] {
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

// Check records reqID for method and path (below the mount). It answers 159 when the id was seen
// within the TTL; requests without an id, or outside the configured paths, pass.
func (c *Checker) Check(ctx context.Context, method, path, reqID string) error {
	if !c.Enabled() || reqID == "" || !Eligible(method, path) {
		return nil
	}
	p := strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/")
	match := false
	for _, re := range c.Paths {
		if re.MatchString(p) {
			match = true
			break
		}
	}
	if !match {
		return nil
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
		return err
	}
	c.sweep(ctx, now)
	n, err := coll.CountDocuments(ctx, bson.D{{Key: "reqId", Value: reqID}})
	if err != nil {
		return err
	}
	if n > 0 {
		return parse.NewError(parse.DuplicateRequest, "Duplicate request")
	}
	doc := bson.D{
		{Key: "_id", Value: parse.NewObjectID()},
		{Key: "reqId", Value: reqID},
		{Key: "expire", Value: bson.NewDateTimeFromTime(now.Add(c.TTL))},
		{Key: "_created_at", Value: nowDate},
		{Key: "_updated_at", Value: nowDate},
	}
	if _, err := coll.InsertOne(ctx, doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return parse.NewError(parse.DuplicateRequest, "Duplicate request")
		}
		return err
	}
	return nil
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
