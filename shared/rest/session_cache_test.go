package rest_test

import (
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/rest"
)

func TestSessionCacheDropsRevokedTokens(t *testing.T) {
	env := apptest.NewWith(t, nil, func(o *rest.Options) { o.SessionCacheTTL = time.Hour })
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "cc", "password": "pw"}})
	tok := r.Map()["sessionToken"].(string)
	r2 := env.Do(apptest.Req{Path: "/login?username=cc&password=pw"})
	tok2 := r2.Map()["sessionToken"].(string)
	if r := env.Do(apptest.Req{Path: "/users/me", Session: tok}); r.Status != 200 {
		t.Fatalf("me: %d", r.Status)
	}
	if r := env.Do(apptest.Req{Path: "/users/me", Session: tok2}); r.Status != 200 {
		t.Fatalf("me 2: %d", r.Status)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/logout", Session: tok}); r.Status != 200 {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := env.Do(apptest.Req{Path: "/users/me", Session: tok}); r.Code() != 209 {
		t.Fatalf("cached token survived logout: %d %s", r.Code(), r.Raw)
	}
	// The other session is deleted through /sessions/:id.
	me := env.Do(apptest.Req{Path: "/sessions/me", Session: tok2})
	if r := env.Do(apptest.Req{Method: "DELETE", Path: "/sessions/" + me.Map()["objectId"].(string), Session: tok2}); r.Status != 200 {
		t.Fatalf("delete session: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Path: "/users/me", Session: tok2}); r.Code() != 209 {
		t.Fatalf("cached token survived session delete: %d", r.Code())
	}
}
