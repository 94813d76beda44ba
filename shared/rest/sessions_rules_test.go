package rest_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/users"
)

func sessionDoc(t *testing.T, env *apptest.Env, token string) bson.M {
	t.Helper()
	var d bson.M
	if err := env.DB.Collection("_Session").FindOne(context.Background(), bson.D{{Key: "_session_token", Value: token}}).Decode(&d); err != nil {
		t.Fatalf("session %s: %v", token, err)
	}
	return d
}

// A legacy (hosted Parse, non-revocable) token on _User._session_token works only on
// /upgradeToRevocableSession, which trades it for a revocable session.
func TestUpgradeLegacySession(t *testing.T) {
	env := apptest.New(t, nil)
	hash, err := users.HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.DB.Collection("_User").InsertOne(context.Background(), bson.D{
		{Key: "_id", Value: "legacyUser"}, {Key: "username", Value: "old-timer"}, {Key: "_hashed_password", Value: hash},
		{Key: "_session_token", Value: "legacyTokenFromHostedParse"},
		{Key: "_rperm", Value: bson.A{"legacyUser"}}, {Key: "_wperm", Value: bson.A{"legacyUser"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := env.Do(apptest.Req{Path: "/users/me", Session: "legacyTokenFromHostedParse"}); r.Code() != 209 {
		t.Fatalf("a legacy token outside the upgrade route: want 209, got %d %s", r.Code(), r.Raw)
	}
	r := env.Do(apptest.Req{Method: "POST", Path: "/upgradeToRevocableSession", Session: "legacyTokenFromHostedParse"})
	if r.Status != 200 {
		t.Fatalf("upgrade: %d %s", r.Status, r.Raw)
	}
	tok, _ := r.Map()["sessionToken"].(string)
	if len(tok) != 34 || tok[:2] != "r:" {
		t.Fatalf("upgraded token %q", tok)
	}
	if cw, _ := r.Map()["createdWith"].(map[string]any); cw["action"] != "upgrade" {
		t.Fatalf("createdWith %v", r.Map()["createdWith"])
	}
	if me := env.Do(apptest.Req{Path: "/users/me", Session: tok}); me.Map()["objectId"] != "legacyUser" {
		t.Fatalf("me with the upgraded token: %s", me.Raw)
	}
	var u bson.M
	_ = env.DB.Collection("_User").FindOne(context.Background(), bson.D{{Key: "_id", Value: "legacyUser"}}).Decode(&u)
	if _, still := u["_session_token"]; still {
		t.Fatal("the legacy token is still on the user")
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/upgradeToRevocableSession", Session: "legacyTokenFromHostedParse"}); r.Code() != 209 {
		t.Fatalf("a second upgrade with the same legacy token: %d %s", r.Code(), r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/upgradeToRevocableSession"}); r.Code() != 101 {
		t.Fatalf("upgrade without a token: %d %s", r.Code(), r.Raw)
	}
}

func TestSessionExpiryAndExtension(t *testing.T) {
	env := apptest.New(t, func(c *config.Config) {
		c.SessionLength = 10 * 24 * time.Hour
		c.ExtendSessionOnUse = true
	})
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "ses", "password": "pw"}})
	tok := r.Map()["sessionToken"].(string)
	exp := sessionDoc(t, env, tok)["expiresAt"].(bson.DateTime).Time()
	if d := time.Until(exp); d < 9*24*time.Hour || d > 10*24*time.Hour {
		t.Fatalf("expiresAt %v is not the session length from now", exp)
	}
	// Used past half its life, the session is extended to a full length again.
	id := sessionDoc(t, env, tok)["_id"].(string)
	apptest.SetField(t, env.DB, "_Session", id, "expiresAt", time.Now().Add(24*time.Hour))
	if r := env.Do(apptest.Req{Path: "/users/me", Session: tok}); r.Status != 200 {
		t.Fatalf("me: %d", r.Status)
	}
	if d := time.Until(sessionDoc(t, env, tok)["expiresAt"].(bson.DateTime).Time()); d < 9*24*time.Hour {
		t.Fatalf("session not extended on use: %v left", d)
	}
	// Expired: 209 with Parse Server's message.
	apptest.SetField(t, env.DB, "_Session", id, "expiresAt", time.Now().Add(-time.Minute))
	r = env.Do(apptest.Req{Path: "/users/me", Session: tok})
	if r.Code() != 209 || r.Map()["error"] != "Session token is expired." {
		t.Fatalf("expired session: %d %s", r.Code(), r.Raw)
	}
}

func TestSessionsWithoutExpiry(t *testing.T) {
	env := apptest.New(t, func(c *config.Config) { c.ExpireInactiveSessions = false })
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "forever", "password": "pw"}})
	if _, has := sessionDoc(t, env, r.Map()["sessionToken"].(string))["expiresAt"]; has {
		t.Fatal("expiresAt set although EXPIRE_INACTIVE_SESSIONS is false")
	}
}
