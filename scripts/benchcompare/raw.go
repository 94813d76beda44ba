package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/bcrypt"

	"github.com/parselambda/parselambda/shared/dbwrite"
	"github.com/parselambda/parselambda/shared/users"
)

// rawDriver sends the database operations that our server sends for each scenario straight to the
// database with mongo-driver v2, in Parse Server's storage format: the floor of what a server can do.
// Sign-up and login hash and compare the password as our server does (bcrypt is also timed on its
// own line).
type rawDriver struct {
	client *mongo.Client
	db     *mongo.Database
	locks  sync.Map
	// insert writes creates, users and sessions as our server does on FerretDB: as insert commands
	// (shared/dbwrite; rest.Inserter's ByCommand is true there).
	insert dbwrite.Inserter
}

func newRawDriver(ctx context.Context, uri, dbName string) (*rawDriver, error) {
	if err := checkLoopbackURL(uri); err != nil {
		return nil, err
	}
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(64))
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx, nil); err != nil {
		_ = c.Disconnect(ctx)
		return nil, err
	}
	return &rawDriver{client: c, db: c.Database(dbName), insert: dbwrite.Inserter{ByCommand: true}}, nil
}

func (r *rawDriver) close() { _ = r.client.Disconnect(context.Background()) }

// newID is a Parse-style 10-character object id.
func newID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [10]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

func token() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "r:" + hex.EncodeToString(b[:])
}

func now() bson.DateTime {
	return bson.NewDateTimeFromTime(time.Now().UTC().Truncate(time.Millisecond))
}

// stored adds the ACL columns and timestamps of a public read/write object.
func stored(d bson.D) bson.D {
	t := now()
	return append(d,
		bson.E{Key: "_rperm", Value: bson.A{"*"}},
		bson.E{Key: "_wperm", Value: bson.A{"*"}},
		bson.E{Key: "_acl", Value: bson.D{{Key: "*", Value: bson.D{{Key: "r", Value: true}, {Key: "w", Value: true}}}}},
		bson.E{Key: "_created_at", Value: t},
		bson.E{Key: "_updated_at", Value: t},
	)
}

func rawNewObject(rnd *mrand.Rand, ref string) bson.D {
	n := rnd.IntN(1_000_000)
	return stored(bson.D{
		{Key: "_id", Value: newID()},
		{Key: "title", Value: "object " + strconv.Itoa(n)},
		{Key: "category", Value: []string{"red", "green", "blue", "amber"}[n%4]},
		{Key: "score", Value: int64(n % 1000)},
		{Key: "ratio", Value: rnd.Float64()},
		{Key: "active", Value: n%2 == 0},
		{Key: "when", Value: bson.NewDateTimeFromTime(time.UnixMilli(1_700_000_000_000 + int64(n)*1000))},
		{Key: "tags", Value: bson.A{"t" + strconv.Itoa(n%10), "t" + strconv.Itoa(n%7)}},
		{Key: "meta", Value: bson.D{{Key: "source", Value: "bench"}, {Key: "rank", Value: int64(n % 100)}}},
		{Key: "_p_ref", Value: benchClass + "$" + ref},
	})
}

func (r *rawDriver) Seed(ctx context.Context, n int) ([]string, error) {
	ids := make([]string, n)
	docs := make([]any, n)
	for i := range docs {
		ids[i] = newID()
		docs[i] = stored(bson.D{{Key: "_id", Value: ids[i]}, {Key: "title", Value: "seed " + strconv.Itoa(i)}, {Key: "score", Value: i}, {Key: "counter", Value: 0}, {Key: "active", Value: i%2 == 0}})
	}
	if _, err := r.db.Collection(benchClass).InsertMany(ctx, docs); err != nil {
		return nil, err
	}
	return ids, nil
}

func (r *rawDriver) Create(ctx context.Context, rnd *mrand.Rand, ref string) error {
	return r.insert.InsertOne(ctx, r.db.Collection(newClass), rawNewObject(rnd, ref))
}

func (r *rawDriver) Get(ctx context.Context, id string) error {
	doc, err := r.db.Collection(benchClass).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if err != nil {
		return err
	}
	if got, ok := doc.Lookup("_id").StringValueOK(); !ok || got != id {
		return fmt.Errorf("get %s: wrong document", id)
	}
	return nil
}

func (r *rawDriver) Query(ctx context.Context, lo, hi int) error {
	filter := bson.D{
		{Key: "score", Value: bson.D{{Key: "$gte", Value: lo}, {Key: "$lt", Value: hi}}},
		{Key: "_rperm", Value: bson.D{{Key: "$in", Value: bson.A{nil, "*"}}}},
	}
	cur, err := r.db.Collection(benchClass).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "score", Value: -1}}).SetLimit(20))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	var scores []float64
	for cur.Next(ctx) {
		var x any
		if err := cur.Current.Lookup("score").Unmarshal(&x); err != nil {
			return err
		}
		scores = append(scores, toFloat(x))
	}
	if err := cur.Err(); err != nil {
		return err
	}
	return checkQuery(lo, hi, scores)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return -1
}

// Increment is what our server does on a database that does not update atomically (FerretDB): one
// update at a time per object in the process, the ACL read by _id, then findOneAndUpdate by _id.
func (r *rawDriver) Increment(ctx context.Context, id string) error {
	m, _ := r.locks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	coll := r.db.Collection(benchClass)
	if _, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: "_wperm", Value: 1}})).Raw(); err != nil {
		return err
	}
	_, err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "counter", Value: 1}}}, {Key: "$set", Value: bson.D{{Key: "_updated_at", Value: now()}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Raw()
	return err
}

func (r *rawDriver) newSession(ctx context.Context, userID, createdWith string) error {
	t := now()
	return r.insert.InsertOne(ctx, r.db.Collection("_Session"), bson.D{
		{Key: "_id", Value: newID()},
		{Key: "_session_token", Value: token()},
		{Key: "_p_user", Value: "_User$" + userID},
		{Key: "createdWith", Value: bson.D{{Key: "action", Value: createdWith}, {Key: "authProvider", Value: "password"}}},
		{Key: "restricted", Value: false},
		{Key: "expiresAt", Value: bson.NewDateTimeFromTime(time.Now().Add(365 * 24 * time.Hour))},
		{Key: "_created_at", Value: t},
		{Key: "_updated_at", Value: t},
	})
}

func (r *rawDriver) SignUpLogin(ctx context.Context, username, password string) error {
	usersColl := r.db.Collection("_User")
	err := usersColl.FindOne(ctx, bson.D{{Key: "username", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(username) + "$"}, {Key: "$options", Value: "i"}}}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if err == nil {
		return fmt.Errorf("sign-up: username %q taken", username)
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return err
	}
	// A sign-up cannot be answered without hashing the password, nor a login without comparing it:
	// the floor includes both, with the library and cost our server uses.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), users.BcryptCost)
	if err != nil {
		return err
	}
	id := newID()
	t := now()
	if err := r.insert.InsertOne(ctx, usersColl, bson.D{
		{Key: "_id", Value: id}, {Key: "username", Value: username}, {Key: "_hashed_password", Value: string(hash)},
		{Key: "_rperm", Value: bson.A{id}}, {Key: "_wperm", Value: bson.A{id}},
		{Key: "_acl", Value: bson.D{{Key: id, Value: bson.D{{Key: "r", Value: true}, {Key: "w", Value: true}}}}},
		{Key: "_created_at", Value: t}, {Key: "_updated_at", Value: t},
	}); err != nil {
		return err
	}
	if err := r.newSession(ctx, id, "signup"); err != nil {
		return err
	}
	u, err := usersColl.FindOne(ctx, bson.D{{Key: "username", Value: username}}).Raw()
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	stored, _ := u.Lookup("_hashed_password").StringValueOK()
	if err := bcrypt.CompareHashAndPassword([]byte(stored), []byte(password)); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return r.newSession(ctx, id, "login")
}

// Batch is what our server does for a /batch of creates of one class on FerretDB: one unordered
// insert command, sent with RunCommand (dbwrite.Inserter; on MongoDB it uses InsertMany for its
// retryable writes).
func (r *rawDriver) Batch(ctx context.Context, rnd *mrand.Rand, n int, ref string) error {
	docs := make([]any, n)
	for i := range docs {
		docs[i] = rawNewObject(rnd, ref)
	}
	return r.insert.InsertMany(ctx, r.db.Collection(newClass), docs)
}

func (r *rawDriver) Counter(ctx context.Context, id string) (int64, error) {
	var doc bson.M
	if err := r.db.Collection(benchClass).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		return 0, err
	}
	f := toFloat(doc["counter"])
	if f < 0 {
		return 0, errors.New("counter missing")
	}
	return int64(f), nil
}
