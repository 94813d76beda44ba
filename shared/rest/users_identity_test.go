package rest_test

// Sign-up's uniqueness checks (one query for username and email) and the new user's ACL (written in
// the insert), against the real engine and database.

import (
	"context"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
)

func TestUserIdentityChecks(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, nil)
	signUp := func(body obj) *apptest.Resp {
		return env.Do(apptest.Req{Method: "POST", Path: "/users", Body: body})
	}
	alice := signUp(obj{"username": "Alice", "password": "pw", "email": "alice@example.com"})
	bob := signUp(obj{"username": "bob", "password": "pw", "email": "bob@example.com"})
	if alice.Status != 201 || bob.Status != 201 {
		t.Fatalf("seed: %s / %s", alice.Raw, bob.Raw)
	}
	cases := []struct {
		name string
		body obj
		code int // 0: created
	}{
		{"username taken, other case", obj{"username": "ALICE", "password": "pw", "email": "new@example.com"}, 202},
		{"email taken, other case", obj{"username": "carol", "password": "pw", "email": "Alice@Example.com"}, 203},
		// The query for both may find Alice (by email) first; Bob's username must still win.
		{"username of one user, email of another", obj{"username": "bob", "password": "pw", "email": "alice@example.com"}, 202},
		{"username and email of the same user", obj{"username": "bob", "password": "pw", "email": "bob@example.com"}, 202},
		// Parse Server 7.3 reports the taken username first (checked against it).
		{"username taken, email malformed", obj{"username": "bob", "password": "pw", "email": "nope"}, 202},
		{"email malformed", obj{"username": "dave", "password": "pw", "email": "nope"}, 125},
		{"username is a regex", obj{"username": "b.b", "password": "pw", "email": "b.b@example.com"}, 0},
		{"email only differs by a regex character", obj{"username": "erin", "password": "pw", "email": "alice@example+com"}, 0},
		{"username only", obj{"username": "frank", "password": "pw"}, 0},
		// Parse Server 7.3 stores an empty email without a format check, and it is then taken.
		{"empty email", obj{"username": "gina", "password": "pw", "email": ""}, 0},
		{"empty email again", obj{"username": "hank", "password": "pw", "email": ""}, 203},
	}
	for _, c := range cases {
		before := len(rawAll(t, env, "_User"))
		r := signUp(c.body)
		after := len(rawAll(t, env, "_User"))
		if c.code == 0 {
			if r.Status != 201 || after != before+1 {
				t.Errorf("%s: want created, got %d %s (users %d → %d)", c.name, r.Status, r.Raw, before, after)
			}
			continue
		}
		if r.Code() != c.code || after != before {
			t.Errorf("%s: want code %d and no new user, got %d %s (users %d → %d)", c.name, c.code, r.Status, r.Raw, before, after)
		}
	}

	// An update checks the other users, not the user itself.
	bobID, bobToken := bob.Map()["objectId"].(string), bob.Map()["sessionToken"].(string)
	put := func(body obj) *apptest.Resp {
		return env.Do(apptest.Req{Method: "PUT", Path: "/users/" + bobID, Session: bobToken, Body: body})
	}
	if r := put(obj{"username": "BOB", "email": "BOB@example.com"}); r.Status != 200 {
		t.Errorf("renaming oneself in another case: %d %s", r.Status, r.Raw)
	}
	if r := put(obj{"email": "alice@example.com"}); r.Code() != 203 {
		t.Errorf("taking another user's email: %d %s", r.Status, r.Raw)
	}
	if r := put(obj{"username": "alice", "email": "fresh@example.com"}); r.Code() != 202 {
		t.Errorf("taking another user's username: %d %s", r.Status, r.Raw)
	}
	// So does an update.
	if r := put(obj{"username": "alice", "email": "nope"}); r.Code() != 202 {
		t.Errorf("taken username and malformed email: %d %s", r.Status, r.Raw)
	}
	if r := put(obj{"username": "bobby", "email": "nope"}); r.Code() != 125 {
		t.Errorf("malformed email: %d %s", r.Status, r.Raw)
	}
	r := env.Do(apptest.Req{Method: "GET", Path: "/users/me", Session: bobToken})
	if r.Map()["username"] != "BOB" || r.Map()["email"] != "BOB@example.com" {
		t.Errorf("after the refused updates: %s", r.Raw)
	}
}

// A new user's ACL gives the user itself read and write, added to any ACL the body or a beforeSave
// trigger sets, as Parse Server 7.3 does (checked against it).
func TestSignUpACL(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, func(r *cloud.Registry) {
		r.BeforeSave("_User", func(ctx context.Context, req *cloud.TriggerRequest) error {
			if req.Object.String("team") == "red" {
				req.Object.SetACL(map[string]any{"role:red": map[string]any{"read": true}})
			}
			return nil
		})
	})
	cases := []struct {
		name string
		body obj
		acl  func(id string) obj
	}{
		{"no ACL", obj{"username": "u1", "password": "pw"},
			func(id string) obj { return obj{id: obj{"read": true, "write": true}} }},
		{"null ACL", obj{"username": "u2", "password": "pw", "ACL": nil},
			func(id string) obj { return obj{id: obj{"read": true, "write": true}} }},
		{"public read", obj{"username": "u3", "password": "pw", "ACL": obj{"*": obj{"read": true}}},
			func(id string) obj { return obj{"*": obj{"read": true}, id: obj{"read": true, "write": true}} }},
		{"set by beforeSave", obj{"username": "u4", "password": "pw", "team": "red"},
			func(id string) obj { return obj{"role:red": obj{"read": true}, id: obj{"read": true, "write": true}} }},
	}
	for _, c := range cases {
		r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: c.body})
		if r.Status != 201 {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
			continue
		}
		id := r.Map()["objectId"].(string)
		got := env.Do(apptest.Req{Method: "GET", Path: "/users/" + id, Master: true}).Map()["ACL"]
		eq(t, c.name+": ACL", got, c.acl(id))
		if acl, set := r.Map()["ACL"]; set { // an ACL set by beforeSave is answered as stored
			eq(t, c.name+": ACL answered", acl, c.acl(id))
		}
		// The user reads itself with its own session.
		if me := env.Do(apptest.Req{Method: "GET", Path: "/users/" + id, Session: r.Map()["sessionToken"].(string)}); me.Status != 200 {
			t.Errorf("%s: the user cannot read itself: %d %s", c.name, me.Status, me.Raw)
		}
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"username": "u5", "password": "pw", "ACL": "open"}}); r.Code() != 123 {
		t.Errorf("an ACL that is not an object: %d %s", r.Status, r.Raw)
	}
}

// A sign-up with a username and an email and a login are five database commands on a warm engine:
// one query for both identity checks, the user insert (ACL included), the session insert; then the
// user read and the session insert. Parse Server needs more; each command is a round trip.
func TestSignUpLoginCommands(t *testing.T) {
	t.Parallel()
	env, take := monitoredEnv(t, nil)
	if r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"username": "warm", "password": "pw", "email": "warm@example.com"}}); r.Status != 201 {
		t.Fatalf("first sign-up: %d %s", r.Status, r.Raw)
	}
	take()
	if r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"username": "ann", "password": "pw", "email": "ann@example.com"}}); r.Status != 201 {
		t.Fatalf("sign-up: %d %s", r.Status, r.Raw)
	}
	got, _ := take()
	eq(t, "sign-up commands", got, map[string]int{"find": 1, "insert": 2})
	if r := env.Do(apptest.Req{Method: "GET", Path: "/login?username=ann&password=pw"}); r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Raw)
	}
	got, _ = take()
	eq(t, "login commands", got, map[string]int{"find": 1, "insert": 1})
}
