package engine

import (
	"context"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
)

// Client is the in-process client with a's rights: the objects controller, no HTTP.
func (h *Host) Client(a *auth.Auth) cloud.Client { return &client{h: h, a: a} }

type client struct {
	h            *Host
	a            *auth.Auth
	skipTriggers bool
}

func (c *client) ctx(ctx context.Context) context.Context {
	if c.skipTriggers {
		return objects.WithoutTriggers(ctx)
	}
	return ctx
}

func (c *client) UseMasterKey() cloud.Client {
	a := &auth.Auth{Master: true, InstallationID: c.a.InstallationID}
	return &client{h: c.h, a: a, skipTriggers: c.skipTriggers}
}

func (c *client) SkipTriggers() cloud.Client { return &client{h: c.h, a: c.a, skipTriggers: true} }

func (c *client) Get(ctx context.Context, className, id string) (*cloud.Object, error) {
	m, err := c.h.o.Objects.Get(c.ctx(ctx), c.a, className, id, query.Options{Limit: -1})
	if err != nil {
		return nil, err
	}
	return objectOf(className, m), nil
}

func (c *client) options(q *cloud.Query) (query.Options, error) {
	p, err := normalizeMap(q.Params())
	if err != nil {
		return query.Options{}, err
	}
	return query.ParseFind(p)
}

func (c *client) Find(ctx context.Context, q *cloud.Query) ([]*cloud.Object, error) {
	opts, err := c.options(q)
	if err != nil {
		return nil, err
	}
	res, err := c.h.o.Objects.Find(c.ctx(ctx), c.a, q.ClassName, opts)
	if err != nil {
		return nil, err
	}
	out := make([]*cloud.Object, len(res.Results))
	for i, m := range res.Results {
		out[i] = objectOf(q.ClassName, m)
	}
	return out, nil
}

func (c *client) First(ctx context.Context, q *cloud.Query) (*cloud.Object, error) {
	opts, err := c.options(q)
	if err != nil {
		return nil, err
	}
	opts.Limit = 1
	res, err := c.h.o.Objects.Find(c.ctx(ctx), c.a, q.ClassName, opts)
	if err != nil || len(res.Results) == 0 {
		return nil, err
	}
	return objectOf(q.ClassName, res.Results[0]), nil
}

func (c *client) Count(ctx context.Context, q *cloud.Query) (int64, error) {
	opts, err := c.options(q)
	if err != nil {
		return 0, err
	}
	opts.Count, opts.Limit = true, 0
	res, err := c.h.o.Objects.Find(c.ctx(ctx), c.a, q.ClassName, opts)
	if err != nil {
		return 0, err
	}
	if res.Count == nil {
		return 0, nil
	}
	return *res.Count, nil
}

func (c *client) Save(ctx context.Context, o *cloud.Object) error {
	if o == nil || o.ClassName == "" {
		return parse.NewError(parse.InvalidClassName, "the object has no class name")
	}
	body, err := normalizeMap(o.Changes())
	if err != nil {
		return err
	}
	ctx = c.ctx(ctx)
	var out map[string]any
	users := c.h.o.Users
	switch {
	case o.IsNew() && o.ClassName == "_User" && users != nil:
		res, err := users.SignUp(ctx, c.a, body)
		if err != nil {
			return err
		}
		out = res.Body
	case o.IsNew():
		out, err = c.h.o.Objects.Create(ctx, c.a, o.ClassName, body)
	case o.ClassName == "_User" && users != nil:
		out, err = users.Update(ctx, c.a, o.ID(), body)
	default:
		out, err = c.h.o.Objects.Update(ctx, c.a, o.ClassName, o.ID(), body)
	}
	if err != nil {
		return err
	}
	o.Saved(plainMap(out))
	return nil
}

func (c *client) Destroy(ctx context.Context, o *cloud.Object) error {
	if o == nil || o.ID() == "" {
		return parse.NewError(parse.MissingObjectID, "the object has no objectId")
	}
	if o.ClassName == "_User" && c.h.o.Users != nil {
		return c.h.o.Users.Delete(c.ctx(ctx), c.a, o.ID())
	}
	return c.h.o.Objects.Delete(c.ctx(ctx), c.a, o.ClassName, o.ID())
}

func (c *client) Run(ctx context.Context, name string, params map[string]any) (any, error) {
	p, err := normalizeMap(params)
	if err != nil {
		return nil, err
	}
	return c.h.Call(ctx, c.a, name, p)
}
