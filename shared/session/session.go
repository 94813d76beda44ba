// Package session is Parse's revocable sessions in _Session: tokens "r:" + 32 hex, createdWith,
// installationId, expiresAt, with Parse Server's rules for length, expiry and extension on use.
package session

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/dbwrite"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

// Collection holds the sessions.
const Collection = "_Session"

// Rules are the session settings.
type Rules struct {
	Length           time.Duration
	ExpireInactive   bool
	ExtendOnUse      bool
	RevokeOnPassword bool
	Now              func() time.Time
}

// Store reads and writes sessions.
type Store struct {
	DB    *mongo.Database
	Rules Rules
	// Insert writes new sessions (dbwrite.Inserter).
	Insert dbwrite.Inserter

	gen atomic.Uint64 // bumped whenever sessions are removed, so caches of resolved tokens drop
}

// Invalidate marks sessions as changed (call it after removing sessions another way).
func (s *Store) Invalidate() { s.gen.Add(1) }

// Generation changes whenever this store removes sessions.
func (s *Store) Generation() uint64 { return s.gen.Load() }

func (s *Store) now() time.Time {
	if s.Rules.Now != nil {
		return s.Rules.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// NewToken makes a revocable session token.
func NewToken() string { return "r:" + parse.RandomHex(16) }

// Created is a new session.
type Created struct {
	ID, Token string
	Doc       bson.D
}

// Create stores a session for userID. action is signup, login, upgrade or create; provider is
// password, anonymous, masterkey or an auth provider's name. Other sessions of the user with the same
// installation id are removed, as Parse Server does.
func (s *Store) Create(ctx context.Context, userID, action, provider, installationID string) (*Created, error) {
	now := s.now()
	c := &Created{ID: parse.NewObjectID(), Token: NewToken()}
	doc := bson.D{
		{Key: "_id", Value: c.ID},
		{Key: "_session_token", Value: c.Token},
		{Key: "_p_user", Value: "_User$" + userID},
		{Key: "createdWith", Value: bson.D{{Key: "action", Value: action}, {Key: "authProvider", Value: provider}}},
	}
	if installationID != "" {
		s.gen.Add(1)
		doc = append(doc, bson.E{Key: "installationId", Value: installationID})
		if _, err := s.DB.Collection(Collection).DeleteMany(ctx, bson.D{{Key: "_p_user", Value: "_User$" + userID}, {Key: "installationId", Value: installationID}}); err != nil {
			return nil, err
		}
	}
	if s.Rules.ExpireInactive {
		doc = append(doc, bson.E{Key: "expiresAt", Value: bson.NewDateTimeFromTime(now.Add(s.Rules.Length))})
	}
	doc = append(doc, bson.E{Key: "_created_at", Value: bson.NewDateTimeFromTime(now)}, bson.E{Key: "_updated_at", Value: bson.NewDateTimeFromTime(now)})
	if err := s.Insert.InsertOne(ctx, s.DB.Collection(Collection), doc); err != nil {
		return nil, err
	}
	c.Doc = doc
	return c, nil
}

// Session is a resolved token.
type Session struct {
	ID     string
	UserID string
	Doc    bson.M
}

// Lookup resolves a revocable token: 209 when unknown or expired. A token that is not revocable
// (no "r:") is a legacy hosted-Parse token: only /upgradeToRevocableSession accepts those.
func (s *Store) Lookup(ctx context.Context, token string) (*Session, error) {
	var d bson.M
	err := s.DB.Collection(Collection).FindOne(ctx, bson.D{{Key: "_session_token", Value: token}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if exp, ok := d["expiresAt"].(bson.DateTime); ok {
		if exp.Time().Before(now) {
			return nil, parse.NewError(parse.InvalidSessionToken, "Session token is expired.")
		}
		if s.Rules.ExtendOnUse && s.Rules.ExpireInactive && exp.Time().Sub(now) < s.Rules.Length/2 {
			_, _ = s.DB.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: d["_id"]}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "expiresAt", Value: bson.NewDateTimeFromTime(now.Add(s.Rules.Length))}, {Key: "_updated_at", Value: bson.NewDateTimeFromTime(now)}}}})
		}
	}
	up, _ := d["_p_user"].(string)
	_, uid, found := strings.Cut(up, "$")
	if !found || uid == "" {
		return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
	}
	id, _ := d["_id"].(string)
	return &Session{ID: id, UserID: uid, Doc: d}, nil
}

// DeleteToken removes the session with token.
func (s *Store) DeleteToken(ctx context.Context, token string) (bool, error) {
	defer s.gen.Add(1)
	res, err := s.DB.Collection(Collection).DeleteOne(ctx, bson.D{{Key: "_session_token", Value: token}})
	if err != nil {
		return false, err
	}
	return res.DeletedCount > 0, nil
}

// RevokeOthers removes the user's sessions except the one with keepToken.
func (s *Store) RevokeOthers(ctx context.Context, userID, keepToken string) error {
	defer s.gen.Add(1)
	f := bson.D{{Key: "_p_user", Value: "_User$" + userID}}
	if keepToken != "" {
		f = append(f, bson.E{Key: "_session_token", Value: bson.D{{Key: "$ne", Value: keepToken}}})
	}
	_, err := s.DB.Collection(Collection).DeleteMany(ctx, f)
	return err
}

// JSON renders a session document as REST JSON.
func JSON(doc bson.D) map[string]any {
	m := bson.M{}
	for _, e := range doc {
		m[e.Key] = e.Value
	}
	return storage.Decode(sessionClass, m, nil)
}

var sessionClass = schema.SystemClass(Collection)
