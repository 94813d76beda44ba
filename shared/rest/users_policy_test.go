package rest_test

import (
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

func TestAccountLockout(t *testing.T) {
	env := apptest.New(t, func(c *config.Config) { c.LockoutThreshold = 3; c.LockoutDuration = time.Hour })
	if r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "lou", "password": "right"}}); r.Status != 201 {
		t.Fatalf("sign-up: %d %s", r.Status, r.Raw)
	}
	for i := 0; i < 3; i++ {
		if r := env.Do(apptest.Req{Path: "/login?username=lou&password=wrong"}); r.Code() != 101 || r.Map()["error"] != "Invalid username/password." {
			t.Fatalf("attempt %d: %d %s", i, r.Code(), r.Raw)
		}
	}
	r := env.Do(apptest.Req{Path: "/login?username=lou&password=right"})
	if r.Code() != 101 || r.Map()["error"] == "Invalid username/password." {
		t.Fatalf("locked account logged in or wrong message: %d %s", r.Code(), r.Raw)
	}
}

func TestLockoutOffByDefault(t *testing.T) {
	env := apptest.New(t, nil)
	env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "lou", "password": "right"}})
	for i := 0; i < 6; i++ {
		env.Do(apptest.Req{Path: "/login?username=lou&password=wrong"})
	}
	if r := env.Do(apptest.Req{Path: "/login?username=lou&password=right"}); r.Status != 200 {
		t.Fatalf("login after failures with lockout off: %d %s", r.Status, r.Raw)
	}
}

func TestPasswordPolicy(t *testing.T) {
	env := apptest.New(t, func(c *config.Config) {
		c.PasswordPattern = `^.{8,}$`
		c.PasswordNoUsername = true
		c.PasswordMaxHistory = 2
	})
	cases := []struct {
		name, user, pw string
		code           int
	}{
		{"too short", "pat", "short", 142},
		{"contains username", "pat", "xxpatxxxx", 142},
		{"fine", "pat", "long-enough", 0},
	}
	for _, c := range cases {
		r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": c.user, "password": c.pw}})
		if r.Code() != c.code {
			t.Fatalf("%s: want %d, got %d %s", c.name, c.code, r.Code(), r.Raw)
		}
	}
	r := env.Do(apptest.Req{Path: "/login?username=pat&password=long-enough"})
	tok, id := r.Map()["sessionToken"].(string), r.Map()["objectId"].(string)
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/users/" + id, Session: tok, Body: map[string]any{"password": "long-enough"}}); r.Code() != 142 {
		t.Fatalf("reusing the current password: %d %s", r.Code(), r.Raw)
	}
	r = env.Do(apptest.Req{Method: "PUT", Path: "/users/" + id, Session: tok, Body: map[string]any{"password": "second-password"}})
	if r.Status != 200 {
		t.Fatalf("new password: %d %s", r.Status, r.Raw)
	}
	// A password change ends the user's sessions and answers a new one, as Parse Server does.
	if r := env.Do(apptest.Req{Path: "/users/me", Session: tok}); r.Code() != 209 {
		t.Fatalf("the old session survived the password change: %d %s", r.Code(), r.Raw)
	}
	tok, _ = r.Map()["sessionToken"].(string)
	if tok == "" {
		t.Fatalf("no new session in the answer: %s", r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/users/" + id, Session: tok, Body: map[string]any{"password": "long-enough"}}); r.Code() != 142 {
		t.Fatalf("password from history: %d %s", r.Code(), r.Raw)
	}
}

func TestPasswordMaxAge(t *testing.T) {
	env := apptest.New(t, func(c *config.Config) { c.PasswordMaxAge = 24 * time.Hour })
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "old", "password": "pw"}})
	id := r.Map()["objectId"].(string)
	if r := env.Do(apptest.Req{Path: "/login?username=old&password=pw"}); r.Status != 200 {
		t.Fatalf("fresh password: %d", r.Status)
	}
	// Age the password in the database, as if changed two days ago.
	apptest.SetField(t, env.DB, "_User", id, "_password_changed_at", time.Now().Add(-48*time.Hour))
	if r := env.Do(apptest.Req{Path: "/login?username=old&password=pw"}); r.Code() != 101 {
		t.Fatalf("expired password: %d %s", r.Code(), r.Raw)
	}
}
