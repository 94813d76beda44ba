package rest_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
)

// idp is a local stand-in for Apple's and Google's key endpoints and Facebook's Graph API.
type idp struct {
	key *rsa.PrivateKey
	srv *httptest.Server
}

func newIDP(t *testing.T) *idp {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: k}
	mux := http.NewServeMux()
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("/graph/me", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("access_token") {
		case "fb-good", "fb-other-app":
			_ = json.NewEncoder(w).Encode(map[string]any{"id": "fb-user-1"})
		default:
			w.WriteHeader(400)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": "Invalid OAuth access token."}})
		}
	})
	mux.HandleFunc("/graph/app", func(w http.ResponseWriter, r *http.Request) {
		app := "fb-app-1"
		if r.URL.Query().Get("access_token") == "fb-other-app" {
			app = "someone-else"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": app})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) token(t *testing.T, claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(head))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return head + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAuthProviders(t *testing.T) {
	p := newIDP(t)
	env := apptest.New(t, func(c *config.Config) {
		c.AppleClientIDs = []string{"com.example.app"}
		c.AppleKeysURL = p.srv.URL + "/keys"
		c.GoogleClientIDs = []string{"google-client"}
		c.GoogleKeysURL = p.srv.URL + "/keys"
		c.FacebookAppIDs = []string{"fb-app-1"}
		c.FacebookGraphURL = p.srv.URL + "/graph"
	})
	exp := time.Now().Add(time.Hour).Unix()
	apple := func(sub, aud, iss string, exp int64) string {
		return p.token(t, map[string]any{"sub": sub, "aud": aud, "iss": iss, "exp": exp})
	}
	signUp := func(ad map[string]any) *apptest.Resp {
		return env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"authData": ad}})
	}
	cases := []struct {
		name   string
		ad     map[string]any
		status int
		code   int
	}{
		{"apple good", map[string]any{"apple": map[string]any{"id": "a1", "token": apple("a1", "com.example.app", "https://appleid.apple.com", exp)}}, 201, 0},
		{"apple again logs in", map[string]any{"apple": map[string]any{"id": "a1", "token": apple("a1", "com.example.app", "https://appleid.apple.com", exp)}}, 200, 0},
		{"apple wrong audience", map[string]any{"apple": map[string]any{"id": "a2", "token": apple("a2", "other", "https://appleid.apple.com", exp)}}, 404, 101},
		{"apple wrong issuer", map[string]any{"apple": map[string]any{"id": "a2", "token": apple("a2", "com.example.app", "https://evil", exp)}}, 404, 101},
		{"apple expired", map[string]any{"apple": map[string]any{"id": "a2", "token": apple("a2", "com.example.app", "https://appleid.apple.com", time.Now().Add(-time.Minute).Unix())}}, 404, 101},
		{"apple subject mismatch", map[string]any{"apple": map[string]any{"id": "a2", "token": apple("a3", "com.example.app", "https://appleid.apple.com", exp)}}, 404, 101},
		{"apple forged signature", map[string]any{"apple": map[string]any{"id": "a2", "token": apple("a2", "com.example.app", "https://appleid.apple.com", exp)[:40] + "x.y.z"}}, 404, 101},
		{"google good", map[string]any{"google": map[string]any{"id": "g1", "id_token": p.token(t, map[string]any{"sub": "g1", "aud": "google-client", "iss": "accounts.google.com", "exp": exp})}}, 201, 0},
		{"facebook good", map[string]any{"facebook": map[string]any{"id": "fb-user-1", "access_token": "fb-good"}}, 201, 0},
		{"facebook other app", map[string]any{"facebook": map[string]any{"id": "fb-user-1", "access_token": "fb-other-app"}}, 404, 101},
		{"facebook bad token", map[string]any{"facebook": map[string]any{"id": "fb-user-1", "access_token": "nope"}}, 404, 101},
		{"unknown provider", map[string]any{"myspace": map[string]any{"id": "x"}}, 400, 252},
	}
	for _, c := range cases {
		r := signUp(c.ad)
		if r.Status != c.status || r.Code() != c.code {
			t.Errorf("%s: want %d/%d, got %d %s", c.name, c.status, c.code, r.Status, r.Raw)
		}
	}
}

func TestAuthDataLinkAndUnlink(t *testing.T) {
	p := newIDP(t)
	env := apptest.New(t, func(c *config.Config) {
		c.FacebookAppIDs = []string{"fb-app-1"}
		c.FacebookGraphURL = p.srv.URL + "/graph"
	})
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "linker", "password": "pw"}})
	id, tok := r.Map()["objectId"].(string), r.Map()["sessionToken"].(string)
	link := map[string]any{"authData": map[string]any{"facebook": map[string]any{"id": "fb-user-1", "access_token": "fb-good"}}}
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/users/" + id, Session: tok, Body: link}); r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Raw)
	}
	// Logging in with the linked provider finds the same user.
	r = env.Do(apptest.Req{Method: "POST", Path: "/users", Body: link})
	if r.Status != 200 || r.Map()["objectId"] != id {
		t.Fatalf("login with linked facebook: %d %s", r.Status, r.Raw)
	}
	// Another user cannot link the same account.
	r2 := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "other", "password": "pw"}})
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/users/" + r2.Map()["objectId"].(string), Session: r2.Map()["sessionToken"].(string), Body: link}); r.Code() != 208 {
		t.Fatalf("second link: want 208, got %d %s", r.Code(), r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "PUT", Path: "/users/" + id, Session: tok, Body: map[string]any{"authData": map[string]any{"facebook": nil}}}); r.Status != 200 {
		t.Fatalf("unlink: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Path: "/users/me", Session: tok}); r.Map()["authData"] != nil {
		t.Fatalf("authData after unlink: %s", r.Raw)
	}
}

func TestAnonymousCanBeSwitchedOff(t *testing.T) {
	env := apptest.New(t, func(c *config.Config) { c.EnableAnonymousUsers = false })
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"authData": map[string]any{"anonymous": map[string]any{"id": "x1"}}}})
	if r.Code() != 252 {
		t.Fatalf("anonymous sign-up while disabled: %d %s", r.Code(), r.Raw)
	}
}
