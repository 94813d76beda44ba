// Package authproviders validates third-party authData: anonymous, Apple and Google (ID tokens
// verified against the provider's JSON Web Keys: signature, audience, issuer, expiry and subject) and
// Facebook (the access token checked against the Graph API, restricted to the configured app ids).
// A provider is off unless configured; the provider endpoints' base URLs are configurable so tests use
// local stand-ins.
package authproviders

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/parselambda/parselambda/shared/parse"
)

// Provider checks the authData a client sends for one provider.
type Provider interface {
	Validate(ctx context.Context, data map[string]any) error
}

// Anonymous accepts any non-empty id.
type Anonymous struct{}

// Validate checks the id.
func (Anonymous) Validate(_ context.Context, data map[string]any) error {
	if id, _ := data["id"].(string); id == "" {
		return parse.NewError(parse.UnsupportedService, "anonymous authData needs an id")
	}
	return nil
}

func invalid(provider, msg string) error {
	return parse.Errorf(parse.ObjectNotFound, "%s auth is invalid for this user: %s", provider, msg)
}

// JWKS fetches and caches a provider's signing keys.
type JWKS struct {
	URL    string
	Client *http.Client
	TTL    time.Duration

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

func (j *JWKS) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ttl := j.TTL
	if ttl == 0 {
		ttl = time.Hour
	}
	if k, ok := j.keys[kid]; ok && time.Since(j.fetched) < ttl {
		return k, nil
	}
	if err := j.fetch(ctx); err != nil {
		return nil, err
	}
	k, ok := j.keys[kid]
	if !ok {
		return nil, errors.New("unknown key id")
	}
	return k, nil
}

func (j *JWKS) fetch(ctx context.Context) error {
	c := j.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("keys endpoint answered %d", res.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kid, Kty, N, E string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&set); err != nil {
		return err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	j.keys, j.fetched = keys, time.Now()
	return nil
}

// Claims are the ID-token claims checked here.
type Claims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud any    `json:"aud"` // a string or a list
	Exp int64  `json:"exp"`
}

// VerifyRS256 checks an RS256 JWT's signature with keys and returns its claims.
func VerifyRS256(ctx context.Context, token string, keys *JWKS) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("bad header")
	}
	var h struct{ Alg, Kid string }
	if err := json.Unmarshal(hb, &h); err != nil || h.Alg != "RS256" {
		return nil, errors.New("unsupported algorithm")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("bad signature encoding")
	}
	k, err := keys.key(ctx, h.Kid)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig); err != nil {
		return nil, errors.New("bad signature")
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errors.New("bad payload")
	}
	var c Claims
	if err := json.Unmarshal(pb, &c); err != nil {
		return nil, errors.New("bad payload")
	}
	return &c, nil
}

func (c *Claims) hasAudience(allowed []string) bool {
	var auds []string
	switch a := c.Aud.(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				auds = append(auds, s)
			}
		}
	}
	for _, a := range auds {
		for _, w := range allowed {
			if a == w {
				return true
			}
		}
	}
	return false
}

// IDToken validates OpenID Connect ID tokens (Apple, Google).
type IDToken struct {
	Name       string
	Keys       *JWKS
	Issuers    []string
	Audiences  []string // the app's client ids
	TokenField []string // authData keys holding the token, in order of preference
	Now        func() time.Time
}

// Validate checks the token's signature, issuer, audience, expiry and subject (= authData.id).
func (p *IDToken) Validate(ctx context.Context, data map[string]any) error {
	id, _ := data["id"].(string)
	if id == "" {
		return invalid(p.Name, "missing id")
	}
	var tok string
	for _, f := range p.TokenField {
		if s, ok := data[f].(string); ok && s != "" {
			tok = s
			break
		}
	}
	if tok == "" {
		return invalid(p.Name, "missing token")
	}
	c, err := VerifyRS256(ctx, tok, p.Keys)
	if err != nil {
		return invalid(p.Name, err.Error())
	}
	okIss := false
	for _, i := range p.Issuers {
		if c.Iss == i {
			okIss = true
		}
	}
	if !okIss {
		return invalid(p.Name, "wrong issuer")
	}
	if len(p.Audiences) == 0 || !c.hasAudience(p.Audiences) {
		return invalid(p.Name, "wrong audience")
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	if c.Exp == 0 || time.Unix(c.Exp, 0).Before(now) {
		return invalid(p.Name, "token expired")
	}
	if c.Sub != id {
		return invalid(p.Name, "token subject does not match id")
	}
	return nil
}

// NewApple validates Sign in with Apple ID tokens (authData {id, token}).
func NewApple(keysURL string, clientIDs []string) *IDToken {
	if keysURL == "" {
		keysURL = "https://appleid.apple.com/auth/keys"
	}
	return &IDToken{Name: "apple", Keys: &JWKS{URL: keysURL}, Issuers: []string{"https://appleid.apple.com"}, Audiences: clientIDs, TokenField: []string{"token", "id_token"}}
}

// NewGoogle validates Google ID tokens (authData {id, id_token}).
func NewGoogle(keysURL string, clientIDs []string) *IDToken {
	if keysURL == "" {
		keysURL = "https://www.googleapis.com/oauth2/v3/certs"
	}
	return &IDToken{Name: "google", Keys: &JWKS{URL: keysURL}, Issuers: []string{"accounts.google.com", "https://accounts.google.com"}, Audiences: clientIDs, TokenField: []string{"id_token", "token"}}
}

// Facebook checks a user access token with the Graph API: /me must answer the authData id, and
// /app must be one of the configured app ids.
type Facebook struct {
	GraphURL string
	AppIDs   []string
	Client   *http.Client
}

func (f *Facebook) get(ctx context.Context, path, token string) (map[string]any, error) {
	base := f.GraphURL
	if base == "" {
		base = "https://graph.facebook.com"
	}
	c := f.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path+"?"+url.Values{"access_token": {token}, "fields": {"id"}}.Encode(), nil)
	if err != nil {
		return nil, err
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&m); err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("graph answered %d", res.StatusCode)
	}
	return m, nil
}

// Validate checks the access token.
func (f *Facebook) Validate(ctx context.Context, data map[string]any) error {
	id, _ := data["id"].(string)
	tok, _ := data["access_token"].(string)
	if id == "" || tok == "" {
		return invalid("facebook", "missing id or access_token")
	}
	if len(f.AppIDs) == 0 {
		return invalid("facebook", "no app ids are configured")
	}
	me, err := f.get(ctx, "/me", tok)
	if err != nil || me["id"] != id {
		return invalid("facebook", "the token does not belong to this id")
	}
	app, err := f.get(ctx, "/app", tok)
	if err != nil {
		return invalid("facebook", "the token's app cannot be checked")
	}
	for _, a := range f.AppIDs {
		if app["id"] == a {
			return nil
		}
	}
	return invalid("facebook", "the token is for another app")
}

var (
	_ Provider = Anonymous{}
	_ Provider = (*IDToken)(nil)
	_ Provider = (*Facebook)(nil)
)
