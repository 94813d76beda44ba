package rest

import (
	"context"

	"github.com/parselambda/parselambda/shared/cloud/engine"
)

// Webhooks: functions and triggers served by an external endpoint, kept in _Hooks (master key).
// There is no DELETE: PUT {"__op":"Delete"} removes one. Errors use code 143.
func (a *App) hookRoutes() []route {
	return []route{
		m("GET", "/hooks/functions", a.hookFunctions),
		m("GET", "/hooks/functions/:functionName", a.hookFunction),
		m("POST", "/hooks/functions", a.hookCreate),
		m("PUT", "/hooks/functions/:functionName", a.hookPut),
		m("GET", "/hooks/triggers", a.hookTriggers),
		m("GET", "/hooks/triggers/:className/:triggerName", a.hookTrigger),
		m("POST", "/hooks/triggers", a.hookCreate),
		m("PUT", "/hooks/triggers/:className/:triggerName", a.hookPut),
	}
}

func (a *App) hookFunctions(ctx context.Context, req *Request) (*Response, error) {
	hs, err := a.cloud.FunctionHooks(ctx)
	if err != nil {
		return nil, err
	}
	return reply(hs)
}

func (a *App) hookFunction(ctx context.Context, req *Request) (*Response, error) {
	h, err := a.cloud.FunctionHook(ctx, req.Params["functionName"])
	if err != nil {
		return nil, err
	}
	return reply(h)
}

func (a *App) hookTriggers(ctx context.Context, req *Request) (*Response, error) {
	hs, err := a.cloud.TriggerHooks(ctx)
	if err != nil {
		return nil, err
	}
	return reply(hs)
}

func (a *App) hookTrigger(ctx context.Context, req *Request) (*Response, error) {
	h, err := a.cloud.TriggerHook(ctx, req.Params["className"], req.Params["triggerName"])
	if err != nil {
		return nil, err
	}
	return reply(h)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func (a *App) hookCreate(ctx context.Context, req *Request) (*Response, error) {
	b := a.bodyOrEmpty(req)
	h, err := a.cloud.CreateHook(ctx, engine.Hook{FunctionName: str(b, "functionName"), ClassName: str(b, "className"), TriggerName: str(b, "triggerName"), URL: str(b, "url")})
	if err != nil {
		return nil, err
	}
	return reply(h)
}

func (a *App) hookPut(ctx context.Context, req *Request) (*Response, error) {
	b := a.bodyOrEmpty(req)
	fn, cls, trg := req.Params["functionName"], req.Params["className"], req.Params["triggerName"]
	if b["__op"] == "Delete" {
		var err error
		if fn != "" {
			err = a.cloud.DeleteFunctionHook(ctx, fn)
		} else {
			err = a.cloud.DeleteTriggerHook(ctx, cls, trg)
		}
		if err != nil {
			return nil, err
		}
		return reply(map[string]any{})
	}
	hk := engine.Hook{FunctionName: fn, ClassName: cls, TriggerName: trg, URL: str(b, "url")}
	if hk.URL == "" {
		return nil, engineHookErr("invalid hook declaration")
	}
	h, err := a.cloud.UpdateHook(ctx, hk)
	if err != nil {
		return nil, err
	}
	return reply(h)
}
