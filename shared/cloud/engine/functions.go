package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/parse"
)

// LimitError is a call refused by a rate limit: HTTP 429 with code 100, as Parse Server answers.
type LimitError struct{ Msg string }

func (e *LimitError) Error() string { return e.Msg }

// HasFunction tells whether name is a Cloud function (in the registry or a webhook).
func (h *Host) HasFunction(ctx context.Context, name string) bool {
	if _, ok := h.reg.Function(name); ok {
		return true
	}
	_, ok := h.hooks.functionURL(ctx, name)
	return ok
}

// Call runs the Cloud function name for the caller a: validators, rate limit, then the handler (or the
// webhook). An unknown function answers 141 Invalid function: "name".
func (h *Host) Call(ctx context.Context, a *auth.Auth, name string, params map[string]any) (any, error) {
	req := &cloud.FunctionRequest{Caller: h.caller(ctx, a), FunctionName: name, Params: cloud.Params(plainMap(params))}
	if fn, ok := h.reg.Function(name); ok {
		if err := h.limiter.check(name, fn.Settings.RateLimit, req.Caller, a); err != nil {
			return nil, err
		}
		if err := validate(fn.Settings, &req.Caller, req.Params, nil); err != nil {
			return nil, err
		}
		var result any
		err := h.protect(ctx, "function "+name, func() error {
			r, err := fn.Handler(ctx, req)
			result = r
			return err
		})
		return result, err
	}
	if url, ok := h.hooks.functionURL(ctx, name); ok {
		body := h.webhookBody(req.Caller)
		body["params"] = params
		body["functionName"] = name
		return h.callWebhook(ctx, url, body)
	}
	return nil, parse.Errorf(parse.ScriptFailed, "Invalid function: %q", name)
}

// validate applies a registration's validators (Parse Server's built-in validator): the master key
// skips them unless ValidateMasterKey; failures answer 142.
func validate(s cloud.Settings, c *cloud.Caller, params map[string]any, obj *cloud.Object) error {
	if c.Master && !s.ValidateMasterKey {
		return nil
	}
	fail := func(format string, args ...any) error {
		return parse.Errorf(parse.ValidationError, format, args...)
	}
	if s.RequireUser && c.User == nil {
		return fail("Validation failed. Please login to continue.")
	}
	if s.RequireMaster && !c.Master {
		return fail("Validation failed. Master key is required to complete this request.")
	}
	if obj != nil {
		params = obj.ToJSON()
	}
	for _, key := range sortedFieldNames(s.Fields) {
		f := s.Fields[key]
		val, present := params[key]
		if (!present || val == nil) && f.Default != nil {
			val, present = f.Default, true
			if obj != nil {
				obj.Set(key, val)
			} else if params != nil {
				params[key] = val
			}
		}
		if f.Required && (!present || val == nil) {
			return fail("Validation failed. Please specify data for %s.", key)
		}
		if !present {
			continue
		}
		if f.Type != "" {
			want := strings.ToLower(f.Type)
			if got := jsonType(val); got != want {
				return fail("Validation failed. Invalid type for %s. Expected: %s", key, want)
			}
		}
		if f.Options != nil && !f.Options(val) {
			if f.Error != "" {
				return fail("%s", f.Error)
			}
			return fail("Validation failed. Invalid value for %s.", key)
		}
	}
	return nil
}

func sortedFieldNames(m map[string]cloud.Field) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	if _, ok := cloud.ToFloat(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// limiter counts calls per function and caller in fixed windows, in memory (per container).
type limiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*window
}

type window struct {
	start time.Time
	count int
}

func (l *limiter) check(name string, rl *cloud.RateLimit, c cloud.Caller, a *auth.Auth) error {
	if rl == nil || rl.Count <= 0 || rl.Window <= 0 || a.Master {
		return nil
	}
	who := "anonymous"
	switch {
	case a.UserID != "":
		who = "user:" + a.UserID
	case c.IP != "":
		who = "ip:" + c.IP
	case a.InstallationID != "":
		who = "installation:" + a.InstallationID
	}
	key := name + "\x00" + who
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*window{}
	}
	if len(l.m) > 10000 {
		for k, w := range l.m {
			if now.Sub(w.start) >= rl.Window {
				delete(l.m, k)
			}
		}
	}
	w := l.m[key]
	if w == nil || now.Sub(w.start) >= rl.Window {
		w = &window{start: now}
		l.m[key] = w
	}
	w.count++
	if w.count > rl.Count {
		msg := rl.Message
		if msg == "" {
			msg = "Too many requests."
		}
		return &LimitError{Msg: msg}
	}
	return nil
}
