// Package engine runs an app's Cloud Code (a cloud.Registry) inside the server: Cloud functions with
// their validators and rate limits, the triggers around the objects controller (it implements
// objects.Triggers), the login, logout and file triggers, the in-process client handlers use, and
// webhooks (functions and triggers served by an external HTTP endpoint, stored in _Hooks).
package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/users"
)

// Options build a Host.
type Options struct {
	// Registry is the app's Cloud Code (nil: none; webhooks still work).
	Registry *cloud.Registry
	Objects  *objects.Controller
	// Users saves _User objects for Cloud Code (password hashing, sessions); nil writes them as plain
	// objects.
	Users *users.Service
	DB    *mongo.Database
	Log   *slog.Logger
	// HTTPClient calls webhooks (default: 30 s timeout).
	HTTPClient *http.Client
	// WebhookKey is sent as X-Parse-Webhook-Key to webhooks.
	WebhookKey string
	// HooksTTL bounds how stale the cached _Hooks may be (default 5 s).
	HooksTTL time.Duration
	Now      func() time.Time
}

// Host runs Cloud Code for one app.
type Host struct {
	reg     *cloud.Registry
	o       Options
	log     *slog.Logger
	hooks   *hookStore
	limiter *limiter
}

// New builds the host and freezes the registry.
func New(o Options) *Host {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.HooksTTL == 0 {
		o.HooksTTL = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Registry.Freeze()
	h := &Host{reg: o.Registry, o: o, log: o.Log}
	h.hooks = &hookStore{db: o.DB, ttl: o.HooksTTL, log: o.Log}
	h.limiter = &limiter{now: o.Now}
	return h
}

// Registry is the app's Cloud Code.
func (h *Host) Registry() *cloud.Registry { return h.reg }

// Info is what the HTTP request tells Cloud Code beyond the caller's auth.
type Info struct {
	Headers http.Header
	IP      string
	Context map[string]any

	mu    sync.Mutex
	users map[string]*cloud.Object
}

type infoKey struct{}

// WithInfo attaches the request's headers, client IP and cloud context to ctx (rest does it for every
// request, batch sub-requests included).
func WithInfo(ctx context.Context, headers http.Header, ip string, cloudContext map[string]any) context.Context {
	if cloudContext == nil {
		cloudContext = map[string]any{}
	}
	return context.WithValue(ctx, infoKey{}, &Info{Headers: headers, IP: ip, Context: cloudContext})
}

func infoOf(ctx context.Context) *Info {
	if i, ok := ctx.Value(infoKey{}).(*Info); ok {
		return i
	}
	return nil
}

// caller builds what a handler learns of who called.
func (h *Host) caller(ctx context.Context, a *auth.Auth) cloud.Caller {
	c := cloud.Caller{Master: a.Master, InstallationID: a.InstallationID, Client: h.Client(a), Log: h.log}
	if i := infoOf(ctx); i != nil {
		c.Headers, c.IP, c.Context = i.Headers, i.IP, i.Context
	} else {
		c.Context = map[string]any{}
	}
	c.User = h.user(ctx, a)
	return c
}

// user loads the caller's _User (once per request).
func (h *Host) user(ctx context.Context, a *auth.Auth) *cloud.Object {
	if a.UserID == "" {
		return nil
	}
	i := infoOf(ctx)
	if i != nil {
		i.mu.Lock()
		defer i.mu.Unlock()
		if u, ok := i.users[a.UserID]; ok {
			return u
		}
	}
	obj, err := h.o.Objects.Get(objects.WithoutTriggers(ctx), auth.Master(), "_User", a.UserID, query.Options{Limit: -1})
	if err != nil {
		h.log.WarnContext(ctx, "cloud code: loading the caller's user", "user", a.UserID, "err", err)
		return nil
	}
	if a.SessionToken != "" {
		obj["sessionToken"] = a.SessionToken
	}
	u := cloud.ObjectFrom("_User", obj)
	if i != nil {
		if i.users == nil {
			i.users = map[string]*cloud.Object{}
		}
		i.users[a.UserID] = u
	}
	return u
}

// scriptError is what a handler's error answers: Parse errors as they are, anything else 141.
func scriptError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := parse.As(err); ok {
		return err
	}
	if _, ok := err.(*LimitError); ok {
		return err
	}
	return parse.NewError(parse.ScriptFailed, err.Error())
}

// protect runs f, turning a panic into a 141 (logged with its stack).
func (h *Host) protect(ctx context.Context, what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			h.log.ErrorContext(ctx, "cloud code panicked", "in", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = parse.Errorf(parse.ScriptFailed, "Cloud Code %s failed.", what)
		}
	}()
	return scriptError(f())
}

// normalize turns Go values into REST JSON values (numbers as json.Number, as request bodies hold
// them), so the controller accepts what Cloud Code built.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, parse.Errorf(parse.InvalidJSON, "Cloud Code value cannot be encoded: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, parse.Errorf(parse.InvalidJSON, "Cloud Code value cannot be encoded: %v", err)
	}
	return out, nil
}

func normalizeMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	v, err := normalize(m)
	if err != nil {
		return nil, err
	}
	out, _ := v.(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// plain turns REST JSON values into plain Go values for handlers (json.Number → float64).
func plain(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, _ := t.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = plain(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plain(x)
		}
		return out
	}
	return v
}

func plainMap(m map[string]any) map[string]any {
	out, _ := plain(m).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out
}
