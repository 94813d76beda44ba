package rest

import (
	"context"

	"github.com/parselambda/parselambda/shared/parse"
)

func (a *App) configRoutes() []route {
	return []route{
		r("GET", "/config", a.configGet),
		m("PUT", "/config", a.configPut),
	}
}

// configGet is GET /config: {params} (and masterKeyOnly for the master key).
func (a *App) configGet(ctx context.Context, req *Request) (*Response, error) {
	out, err := a.ext.globalConfig.Get(ctx, req.Auth.Master)
	if err != nil {
		return nil, err
	}
	return reply(out)
}

// configPut is PUT /config {params, masterKeyOnly} (master key): {result: true}.
func (a *App) configPut(ctx context.Context, req *Request) (*Response, error) {
	b := a.bodyOrEmpty(req)
	params, ok := b["params"].(map[string]any)
	if !ok {
		return nil, parse.NewError(parse.InvalidJSON, "params must be an object")
	}
	flags := map[string]any{}
	if v, has := b["masterKeyOnly"]; has && v != nil {
		if flags, ok = v.(map[string]any); !ok {
			return nil, parse.NewError(parse.InvalidJSON, "masterKeyOnly must be an object")
		}
	}
	if err := a.ext.globalConfig.Update(ctx, params, flags); err != nil {
		return nil, a.objects.DBError(ctx, err)
	}
	return reply(map[string]any{"result": true})
}
