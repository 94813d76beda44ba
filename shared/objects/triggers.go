package objects

import (
	"context"
	"reflect"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
)

// TriggerKind names a point where the controller calls Triggers.
type TriggerKind string

// The kinds the controller runs.
const (
	TriggerBeforeSave   TriggerKind = "beforeSave"
	TriggerAfterSave    TriggerKind = "afterSave"
	TriggerBeforeDelete TriggerKind = "beforeDelete"
	TriggerAfterDelete  TriggerKind = "afterDelete"
	TriggerBeforeFind   TriggerKind = "beforeFind"
	TriggerAfterFind    TriggerKind = "afterFind"
)

// Triggers are the hooks (Cloud Code) the controller runs around Create, Update, Delete, Get and Find.
// A nil Controller.Triggers runs none. Objects are REST JSON maps.
type Triggers interface {
	// Has tells whether a trigger of kind is defined for className; the controller reads nothing it
	// does not need.
	Has(ctx context.Context, kind TriggerKind, className string) bool
	// BeforeSave returns the body to write (changed or not) or an error that rejects the write.
	// original is nil on create.
	BeforeSave(ctx context.Context, a *auth.Auth, className string, original, body map[string]any) (map[string]any, error)
	// AfterSave is told about a completed write; it cannot fail it.
	AfterSave(ctx context.Context, a *auth.Auth, className string, original, saved map[string]any)
	// BeforeDelete may reject the delete of obj.
	BeforeDelete(ctx context.Context, a *auth.Auth, className string, obj map[string]any) error
	// AfterDelete is told about a completed delete.
	AfterDelete(ctx context.Context, a *auth.Auth, className string, obj map[string]any)
	// BeforeFind may change opts or reject the read; get tells a get by id.
	BeforeFind(ctx context.Context, a *auth.Auth, className string, opts *query.Options, get bool) error
	// AfterFind may change or replace the results; its error is logged and does not fail the read.
	AfterFind(ctx context.Context, a *auth.Auth, className string, objs []map[string]any, get bool) ([]map[string]any, error)
}

type noTriggersKey struct{}

type triggerAuthKey struct{}

// WithTriggerAuth makes the triggers of operations made with ctx see a as the caller, when a concept's
// service writes with the master key on a client's behalf (a sign-up creates the _User as master; its
// beforeSave must still see the client, not the master key).
func WithTriggerAuth(ctx context.Context, a *auth.Auth) context.Context {
	return context.WithValue(ctx, triggerAuthKey{}, a)
}

// callerFor is who triggers see (the auth given to WithTriggerAuth, else a), and the context to call
// them with: without that auth, so the operations triggers make run with their own.
func callerFor(ctx context.Context, a *auth.Auth) (context.Context, *auth.Auth) {
	if ta, ok := ctx.Value(triggerAuthKey{}).(*auth.Auth); ok && ta != nil {
		return context.WithValue(ctx, triggerAuthKey{}, (*auth.Auth)(nil)), ta
	}
	return ctx, a
}

// WithoutTriggers marks ctx so that the controller runs no trigger for operations made with it (Cloud
// Code that asks so, the engine's own reads, and the inner call of a triggered operation).
func WithoutTriggers(ctx context.Context) context.Context {
	return context.WithValue(ctx, noTriggersKey{}, true)
}

// TriggersOff tells whether ctx was marked by WithoutTriggers.
func TriggersOff(ctx context.Context) bool { b, _ := ctx.Value(noTriggersKey{}).(bool); return b }

// triggers returns the hooks to run for an operation made with ctx, or nil.
func (c *Controller) triggers(ctx context.Context) Triggers {
	if c.Triggers == nil || TriggersOff(ctx) {
		return nil
	}
	return c.Triggers
}

func (c *Controller) readBack(ctx context.Context, className, id string) map[string]any {
	obj, err := c.Get(WithoutTriggers(ctx), auth.Master(), className, id, query.Options{Limit: -1})
	if err != nil {
		return nil
	}
	return obj
}

// changedByTrigger adds to out the plain values a beforeSave set or changed, so the client learns
// them as Parse Server answers them.
func changedByTrigger(out, before, after map[string]any) {
	for k, v := range after {
		if old, ok := before[k]; ok && reflect.DeepEqual(old, v) {
			continue
		}
		if m, ok := v.(map[string]any); ok && m["__op"] != nil {
			continue
		}
		if _, set := out[k]; !set {
			out[k] = v
		}
	}
}

func (c *Controller) createTriggered(ctx context.Context, t Triggers, a *auth.Auth, className string, body map[string]any, o WriteOptions) (map[string]any, error) {
	inner := WithoutTriggers(ctx)
	ctx, ta := callerFor(ctx, a)
	before, after := t.Has(ctx, TriggerBeforeSave, className), t.Has(ctx, TriggerAfterSave, className)
	if !before && !after {
		return c.CreateWith(inner, a, className, body, o)
	}
	sent := body
	if before {
		b, err := t.BeforeSave(ctx, ta, className, nil, body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	out, err := c.CreateWith(inner, a, className, body, o)
	if err != nil {
		return nil, err
	}
	changedByTrigger(out, sent, body)
	if acl, set := out["ACL"]; set && o.SelfACL { // a beforeSave set it: answer it as stored
		if stored, ok := selfACL(acl, out["objectId"].(string)); ok {
			out["ACL"] = stored
		}
	}
	if after {
		if saved := c.readBack(ctx, className, out["objectId"].(string)); saved != nil {
			t.AfterSave(ctx, ta, className, nil, saved)
		}
	}
	return out, nil
}

func (c *Controller) updateTriggered(ctx context.Context, t Triggers, a *auth.Auth, className, id string, body map[string]any, o WriteOptions) (map[string]any, error) {
	inner := WithoutTriggers(ctx)
	ctx, ta := callerFor(ctx, a)
	before, after := t.Has(ctx, TriggerBeforeSave, className), t.Has(ctx, TriggerAfterSave, className)
	if !before && !after {
		return c.UpdateWith(inner, a, className, id, body, o)
	}
	original := c.readBack(ctx, className, id)
	if original == nil {
		return nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	sent := body
	if before {
		b, err := t.BeforeSave(ctx, ta, className, original, body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	out, err := c.UpdateWith(inner, a, className, id, body, o)
	if err != nil {
		return nil, err
	}
	changedByTrigger(out, sent, body)
	if after {
		if saved := c.readBack(ctx, className, id); saved != nil {
			t.AfterSave(ctx, ta, className, original, saved)
		}
	}
	return out, nil
}

func (c *Controller) deleteTriggered(ctx context.Context, t Triggers, a *auth.Auth, className, id string) error {
	inner := WithoutTriggers(ctx)
	ctx, ta := callerFor(ctx, a)
	before, after := t.Has(ctx, TriggerBeforeDelete, className), t.Has(ctx, TriggerAfterDelete, className)
	if !before && !after {
		return c.Delete(inner, a, className, id)
	}
	// As Parse Server, the object is read with the caller's rights first: 101 if they cannot see it.
	obj, err := c.Get(inner, a, className, id, query.Options{Limit: -1})
	if err != nil {
		return err
	}
	if before {
		if err := t.BeforeDelete(ctx, ta, className, obj); err != nil {
			return err
		}
	}
	if err := c.Delete(inner, a, className, id); err != nil {
		return err
	}
	if after {
		t.AfterDelete(ctx, ta, className, obj)
	}
	return nil
}

func (c *Controller) findTriggered(ctx context.Context, t Triggers, a *auth.Auth, className string, opts query.Options) (*FindResult, error) {
	inner := WithoutTriggers(ctx)
	ctx, ta := callerFor(ctx, a)
	if t.Has(ctx, TriggerBeforeFind, className) {
		if err := t.BeforeFind(ctx, ta, className, &opts, false); err != nil {
			return nil, err
		}
	}
	res, err := c.Find(inner, a, className, opts)
	if err != nil {
		return nil, err
	}
	if t.Has(ctx, TriggerAfterFind, className) {
		objs, err := t.AfterFind(ctx, ta, className, res.Results, false)
		if err != nil {
			// After-triggers never change a request's success: the error is logged, the results stand.
			c.logTriggerError(ctx, TriggerAfterFind, className, err)
		} else {
			res.Results = objs
		}
	}
	return res, nil
}

func (c *Controller) getTriggered(ctx context.Context, t Triggers, a *auth.Auth, className, id string, opts query.Options) (map[string]any, error) {
	inner := WithoutTriggers(ctx)
	ctx, ta := callerFor(ctx, a)
	var obj map[string]any
	if t.Has(ctx, TriggerBeforeFind, className) {
		opts.Where = map[string]any{"objectId": id}
		if err := t.BeforeFind(ctx, ta, className, &opts, true); err != nil {
			return nil, err
		}
		if w := opts.Where; len(w) == 1 && w["objectId"] == id {
			o, err := c.Get(inner, a, className, id, opts)
			if err != nil {
				return nil, err
			}
			obj = o
		} else {
			// The trigger narrowed the query: a find of at most one object, 101 when nothing matches.
			opts.Limit = 1
			res, err := c.Find(inner, a, className, opts)
			if err != nil {
				return nil, err
			}
			if len(res.Results) == 0 {
				return nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
			}
			obj = res.Results[0]
		}
	} else {
		o, err := c.Get(inner, a, className, id, opts)
		if err != nil {
			return nil, err
		}
		obj = o
	}
	if t.Has(ctx, TriggerAfterFind, className) {
		objs, err := t.AfterFind(ctx, ta, className, []map[string]any{obj}, true)
		switch {
		case err != nil:
			c.logTriggerError(ctx, TriggerAfterFind, className, err)
		case len(objs) == 0:
			return nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
		default:
			obj = objs[0]
		}
	}
	return obj, nil
}

func (c *Controller) logTriggerError(ctx context.Context, kind TriggerKind, className string, err error) {
	if c.Log != nil {
		c.Log.WarnContext(ctx, "trigger failed; the request succeeds as after-triggers never change that", "trigger", string(kind), "class", className, "err", err)
	}
}
