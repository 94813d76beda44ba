package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/parse"
)

// HooksCollection stores webhooks, as Parse Server does: {functionName, url} or
// {className, triggerName, url}.
const HooksCollection = "_Hooks"

// HookError is Parse Server's code for every webhook-management error.
const HookError = 143

// Hook is a webhook: a function (FunctionName) or a trigger (ClassName + TriggerName) served at URL.
type Hook struct {
	FunctionName string `json:"functionName,omitempty" bson:"functionName,omitempty"`
	ClassName    string `json:"className,omitempty" bson:"className,omitempty"`
	TriggerName  string `json:"triggerName,omitempty" bson:"triggerName,omitempty"`
	URL          string `json:"url" bson:"url"`
}

// webhookTriggers are the trigger kinds a webhook may serve.
var webhookTriggers = map[cloud.TriggerKind]bool{cloud.BeforeSave: true, cloud.AfterSave: true, cloud.BeforeDelete: true, cloud.AfterDelete: true}

// hookStore caches _Hooks for a short while, so triggers cost no read per request.
type hookStore struct {
	db  *mongo.Database
	ttl time.Duration
	log *slog.Logger

	mu     sync.Mutex
	loaded time.Time
	fns    map[string]string
	trg    map[string]string
}

func (s *hookStore) snapshot(ctx context.Context) (map[string]string, map[string]string) {
	if s.db == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fns != nil && time.Since(s.loaded) < s.ttl {
		return s.fns, s.trg
	}
	hooks, err := s.list(ctx, bson.D{})
	if err != nil {
		s.log.WarnContext(ctx, "cloud code: reading _Hooks", "err", err)
		return s.fns, s.trg
	}
	fns, trg := map[string]string{}, map[string]string{}
	for _, h := range hooks {
		if h.FunctionName != "" {
			fns[h.FunctionName] = h.URL
		} else if h.ClassName != "" && h.TriggerName != "" {
			trg[h.TriggerName+"\x00"+h.ClassName] = h.URL
		}
	}
	s.fns, s.trg, s.loaded = fns, trg, time.Now()
	return fns, trg
}

func (s *hookStore) invalidate() {
	s.mu.Lock()
	s.fns, s.trg = nil, nil
	s.mu.Unlock()
}

func (s *hookStore) functionURL(ctx context.Context, name string) (string, bool) {
	fns, _ := s.snapshot(ctx)
	u, ok := fns[name]
	return u, ok
}

func (s *hookStore) triggerURL(ctx context.Context, kind cloud.TriggerKind, className string) (string, bool) {
	if !webhookTriggers[kind] {
		return "", false
	}
	_, trg := s.snapshot(ctx)
	u, ok := trg[string(kind)+"\x00"+className]
	return u, ok
}

func (s *hookStore) list(ctx context.Context, filter bson.D) ([]Hook, error) {
	cur, err := s.db.Collection(HooksCollection).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 0}}))
	if err != nil {
		return nil, err
	}
	var out []Hook
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []Hook{}
	}
	return out, nil
}

func hookErr(msg string) error { return parse.NewError(HookError, msg) }

func fnFilter(name string) bson.D { return bson.D{{Key: "functionName", Value: name}} }

func trgFilter(className, trigger string) bson.D {
	return bson.D{{Key: "className", Value: className}, {Key: "triggerName", Value: trigger}}
}

// FunctionHooks lists the function webhooks.
func (h *Host) FunctionHooks(ctx context.Context) ([]Hook, error) {
	return h.hooks.list(ctx, bson.D{{Key: "functionName", Value: bson.D{{Key: "$exists", Value: true}}}})
}

// FunctionHook returns one function webhook (143 when there is none).
func (h *Host) FunctionHook(ctx context.Context, name string) (Hook, error) {
	hs, err := h.hooks.list(ctx, fnFilter(name))
	if err != nil {
		return Hook{}, err
	}
	if len(hs) == 0 {
		return Hook{}, hookErr("no function named: " + name + " is defined")
	}
	return hs[0], nil
}

// TriggerHooks lists the trigger webhooks.
func (h *Host) TriggerHooks(ctx context.Context) ([]Hook, error) {
	return h.hooks.list(ctx, bson.D{{Key: "className", Value: bson.D{{Key: "$exists", Value: true}}}, {Key: "triggerName", Value: bson.D{{Key: "$exists", Value: true}}}})
}

// TriggerHook returns one trigger webhook (143 when there is none).
func (h *Host) TriggerHook(ctx context.Context, className, trigger string) (Hook, error) {
	hs, err := h.hooks.list(ctx, trgFilter(className, trigger))
	if err != nil {
		return Hook{}, err
	}
	if len(hs) == 0 {
		return Hook{}, hookErr("class " + className + " does not exist")
	}
	return hs[0], nil
}

func validHookURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// CreateHook stores a new webhook (POST /hooks/functions, /hooks/triggers); 143 when it exists or is
// not a valid declaration.
func (h *Host) CreateHook(ctx context.Context, hk Hook) (Hook, error) {
	switch {
	case hk.FunctionName != "":
		if _, err := h.FunctionHook(ctx, hk.FunctionName); err == nil {
			return Hook{}, hookErr("function name: " + hk.FunctionName + " already exists")
		}
	case hk.ClassName != "" && hk.TriggerName != "":
		if _, err := h.TriggerHook(ctx, hk.ClassName, hk.TriggerName); err == nil {
			return Hook{}, hookErr("class " + hk.ClassName + " already has trigger " + hk.TriggerName)
		}
	default:
		return Hook{}, hookErr("invalid hook declaration")
	}
	return h.saveHook(ctx, hk)
}

// UpdateHook changes a webhook's URL (PUT); 143 when it does not exist.
func (h *Host) UpdateHook(ctx context.Context, hk Hook) (Hook, error) {
	switch {
	case hk.FunctionName != "":
		if _, err := h.FunctionHook(ctx, hk.FunctionName); err != nil {
			return Hook{}, err
		}
	case hk.ClassName != "" && hk.TriggerName != "":
		if _, err := h.TriggerHook(ctx, hk.ClassName, hk.TriggerName); err != nil {
			return Hook{}, err
		}
	default:
		return Hook{}, hookErr("invalid hook declaration")
	}
	return h.saveHook(ctx, hk)
}

func (h *Host) saveHook(ctx context.Context, hk Hook) (Hook, error) {
	var filter bson.D
	var set bson.D
	switch {
	case hk.FunctionName != "" && hk.URL != "":
		hk.ClassName, hk.TriggerName = "", ""
		filter = fnFilter(hk.FunctionName)
		set = bson.D{{Key: "functionName", Value: hk.FunctionName}, {Key: "url", Value: hk.URL}}
	case hk.ClassName != "" && hk.TriggerName != "" && hk.URL != "" && webhookTriggers[cloud.TriggerKind(hk.TriggerName)]:
		filter = trgFilter(hk.ClassName, hk.TriggerName)
		set = bson.D{{Key: "className", Value: hk.ClassName}, {Key: "triggerName", Value: hk.TriggerName}, {Key: "url", Value: hk.URL}}
	default:
		return Hook{}, hookErr("invalid hook declaration")
	}
	if !validHookURL(hk.URL) {
		return Hook{}, hookErr("invalid hook declaration")
	}
	_, err := h.o.DB.Collection(HooksCollection).UpdateOne(ctx, filter, bson.D{
		{Key: "$set", Value: set},
		{Key: "$setOnInsert", Value: bson.D{{Key: "_id", Value: parse.NewObjectID()}}},
	}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return Hook{}, err
	}
	h.hooks.invalidate()
	return hk, nil
}

// DeleteFunctionHook removes a function webhook (PUT with {"__op":"Delete"}).
func (h *Host) DeleteFunctionHook(ctx context.Context, name string) error {
	return h.deleteHooks(ctx, fnFilter(name))
}

// DeleteTriggerHook removes a trigger webhook.
func (h *Host) DeleteTriggerHook(ctx context.Context, className, trigger string) error {
	return h.deleteHooks(ctx, trgFilter(className, trigger))
}

func (h *Host) deleteHooks(ctx context.Context, filter bson.D) error {
	if _, err := h.o.DB.Collection(HooksCollection).DeleteMany(ctx, filter); err != nil {
		return err
	}
	h.hooks.invalidate()
	return nil
}

// webhookBody is the request Parse Server sends a webhook, without the function or trigger part.
func (h *Host) webhookBody(c cloud.Caller) map[string]any {
	b := map[string]any{"master": c.Master}
	if c.User != nil {
		b["user"] = c.User.ToJSON()
	}
	if c.InstallationID != "" {
		b["installationId"] = c.InstallationID
	}
	if c.Headers != nil {
		hs := map[string]string{} // lower-case names, as Node's
		for k := range c.Headers {
			if lk := strings.ToLower(k); lk != "x-parse-master-key" && lk != "authorization" {
				hs[lk] = c.Headers.Get(k)
			}
		}
		b["headers"] = hs
	}
	if c.IP != "" {
		b["ip"] = c.IP
	}
	b["context"] = c.Context
	if c.Context == nil {
		b["context"] = map[string]any{}
	}
	return b
}

// callWebhook POSTs body to the webhook and answers its success, or its error as a Parse error
// (141 for a bare message).
func (h *Host) callWebhook(ctx context.Context, target string, body map[string]any) (any, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, parse.Errorf(parse.ScriptFailed, "webhook request cannot be encoded: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		return nil, parse.NewError(parse.ScriptFailed, "invalid webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	if h.o.WebhookKey != "" {
		req.Header.Set("X-Parse-Webhook-Key", h.o.WebhookKey)
	}
	resp, err := h.o.HTTPClient.Do(req)
	if err != nil {
		h.log.WarnContext(ctx, "webhook failed", "url", target, "err", err)
		return nil, parse.NewError(parse.ScriptFailed, "The webhook did not answer.")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 20<<20))
	if err != nil {
		return nil, parse.NewError(parse.ScriptFailed, "The webhook's answer could not be read.")
	}
	var out struct {
		Success json.RawMessage `json:"success"`
		Error   json.RawMessage `json:"error"`
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, parse.NewError(parse.OtherCause, "Malformed response")
	}
	if len(out.Error) > 0 && string(out.Error) != "null" {
		return nil, webhookError(out.Error)
	}
	if len(out.Success) == 0 {
		return nil, nil
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(out.Success))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, parse.NewError(parse.OtherCause, "Malformed response")
	}
	return plain(v), nil
}

func webhookError(raw json.RawMessage) error {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return parse.NewError(parse.ScriptFailed, s)
	}
	var e struct {
		Code    *int   `json:"code"`
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) == nil {
		msg := e.Error
		if msg == "" {
			msg = e.Message
		}
		code := parse.ScriptFailed
		if e.Code != nil {
			code = *e.Code
		}
		return parse.NewError(code, msg)
	}
	return parse.NewError(parse.ScriptFailed, string(raw))
}
