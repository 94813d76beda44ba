package engine

import (
	"context"
	"reflect"
	"strings"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/query"
)

var _ objects.Triggers = (*Host)(nil)

// Has tells whether a trigger of kind exists for className, in the registry or as a webhook.
func (h *Host) Has(ctx context.Context, kind objects.TriggerKind, className string) bool {
	return h.has(ctx, cloud.TriggerKind(kind), className)
}

func (h *Host) has(ctx context.Context, kind cloud.TriggerKind, className string) bool {
	if _, ok := h.reg.Trigger(kind, className); ok {
		return true
	}
	_, ok := h.hooks.triggerURL(ctx, kind, className)
	return ok
}

// run runs the trigger of kind on className for req: the registered handler (after its validators),
// else the webhook. It reports whether a trigger ran.
func (h *Host) run(ctx context.Context, kind cloud.TriggerKind, className string, req *cloud.TriggerRequest) (bool, error) {
	req.TriggerName, req.ClassName = string(kind), className
	if t, ok := h.reg.Trigger(kind, className); ok {
		if err := validate(t.Settings, &req.Caller, nil, req.Object); err != nil {
			return true, err
		}
		return true, h.protect(ctx, string(kind)+" "+className, func() error { return t.Handler(ctx, req) })
	}
	url, ok := h.hooks.triggerURL(ctx, kind, className)
	if !ok {
		return false, nil
	}
	body := h.webhookBody(req.Caller)
	body["triggerName"] = string(kind)
	if req.Object != nil {
		o := req.Object.ToJSON()
		o["className"] = className
		body["object"] = o
	}
	if req.Original != nil {
		o := req.Original.ToJSON()
		o["className"] = className
		body["original"] = o
	}
	res, err := h.callWebhook(ctx, url, body)
	if err != nil {
		return true, err
	}
	if kind == cloud.BeforeSave && req.Object != nil {
		if m, ok := res.(map[string]any); ok {
			for k, v := range m {
				switch k {
				case "objectId", "createdAt", "updatedAt", "className", "__type":
					continue
				}
				if !reflect.DeepEqual(req.Object.Get(k), v) {
					req.Object.Set(k, v)
				}
			}
		}
	}
	return true, nil
}

// after runs an after-trigger: its errors are logged, never returned.
func (h *Host) after(ctx context.Context, kind cloud.TriggerKind, className string, req *cloud.TriggerRequest) {
	if _, err := h.run(ctx, kind, className, req); err != nil {
		h.log.WarnContext(ctx, "cloud code: after-trigger failed", "trigger", string(kind), "class", className, "err", err)
	}
}

func objectOf(className string, m map[string]any) *cloud.Object {
	if m == nil {
		return nil
	}
	return cloud.ObjectFrom(className, plainMap(m))
}

// BeforeSave runs beforeSave on the object the write makes: the original (on update) with the body's
// changes; what the trigger changes is written too.
func (h *Host) BeforeSave(ctx context.Context, a *auth.Auth, className string, original, body map[string]any) (map[string]any, error) {
	obj := objectOf(className, original)
	if obj == nil {
		obj = cloud.NewObject(className)
	}
	obj.Apply(plainMap(body))
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Object: obj, Original: objectOf(className, original)}
	if _, err := h.run(ctx, cloud.BeforeSave, className, req); err != nil {
		return nil, err
	}
	changes := obj.Changes()
	delete(changes, "objectId")
	delete(changes, "createdAt")
	delete(changes, "updatedAt")
	return normalizeMap(changes)
}

// AfterSave runs afterSave with the saved object.
func (h *Host) AfterSave(ctx context.Context, a *auth.Auth, className string, original, saved map[string]any) {
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Object: objectOf(className, saved), Original: objectOf(className, original)}
	h.after(ctx, cloud.AfterSave, className, req)
}

// BeforeDelete runs beforeDelete with the stored object.
func (h *Host) BeforeDelete(ctx context.Context, a *auth.Auth, className string, obj map[string]any) error {
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Object: objectOf(className, obj)}
	_, err := h.run(ctx, cloud.BeforeDelete, className, req)
	return err
}

// AfterDelete runs afterDelete with the deleted object.
func (h *Host) AfterDelete(ctx context.Context, a *auth.Auth, className string, obj map[string]any) {
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Object: objectOf(className, obj)}
	h.after(ctx, cloud.AfterDelete, className, req)
}

// BeforeFind runs beforeFind; the query it leaves replaces opts' where, limit, skip, order, keys and
// include.
func (h *Host) BeforeFind(ctx context.Context, a *auth.Auth, className string, opts *query.Options, get bool) error {
	p := map[string]any{}
	if opts.Where != nil {
		p["where"] = plainMap(opts.Where)
	}
	if opts.Limit >= 0 {
		p["limit"] = float64(opts.Limit)
	}
	if opts.Skip > 0 {
		p["skip"] = float64(opts.Skip)
	}
	if len(opts.Order) > 0 {
		p["order"] = strings.Join(opts.Order, ",")
	}
	if opts.Keys != nil {
		p["keys"] = strings.Join(opts.Keys, ",")
	}
	if len(opts.Include) > 0 {
		p["include"] = strings.Join(opts.Include, ",")
	}
	q := cloud.QueryFromParams(className, p)
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Query: q, IsGet: get}
	if _, err := h.run(ctx, cloud.BeforeFind, className, req); err != nil {
		return err
	}
	np, err := normalizeMap(q.Params())
	if err != nil {
		return err
	}
	parsed, err := query.ParseFind(np)
	if err != nil {
		return err
	}
	opts.Where, opts.Limit, opts.Skip, opts.Order = parsed.Where, parsed.Limit, parsed.Skip, parsed.Order
	opts.Keys, opts.Include = parsed.Keys, parsed.Include
	return nil
}

// AfterFind runs afterFind; the objects it leaves are the answer.
func (h *Host) AfterFind(ctx context.Context, a *auth.Auth, className string, objs []map[string]any, get bool) ([]map[string]any, error) {
	list := make([]*cloud.Object, len(objs))
	for i, o := range objs {
		list[i] = objectOf(className, o)
	}
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Objects: list, IsGet: get}
	if _, err := h.run(ctx, cloud.AfterFind, className, req); err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(req.Objects))
	for _, o := range req.Objects {
		if o == nil {
			continue
		}
		m, err := normalizeMap(o.ToJSON())
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// BeforeLogin runs beforeLogin with the user whose credentials were checked; an error refuses the
// login (users.Service calls it).
func (h *Host) BeforeLogin(ctx context.Context, a *auth.Auth, user map[string]any) error {
	if !h.has(ctx, cloud.BeforeLogin, "_User") {
		return nil
	}
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Object: objectOf("_User", user)}
	req.User = req.Object
	_, err := h.run(ctx, cloud.BeforeLogin, "_User", req)
	return err
}

// AfterLogin runs afterLogin with the logged-in user.
func (h *Host) AfterLogin(ctx context.Context, a *auth.Auth, user map[string]any) {
	if !h.has(ctx, cloud.AfterLogin, "_User") {
		return
	}
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Object: objectOf("_User", user)}
	req.User = req.Object
	h.after(ctx, cloud.AfterLogin, "_User", req)
}

// HasAfterLogout tells whether an afterLogout trigger exists (so the caller reads the session first).
func (h *Host) HasAfterLogout(ctx context.Context) bool {
	return h.has(ctx, cloud.AfterLogout, "_Session")
}

// AfterLogout runs afterLogout with the deleted session.
func (h *Host) AfterLogout(ctx context.Context, a *auth.Auth, session map[string]any) {
	if !h.has(ctx, cloud.AfterLogout, "_Session") {
		return
	}
	req := &cloud.TriggerRequest{Caller: h.caller(ctx, a), Object: objectOf("_Session", session)}
	h.after(ctx, cloud.AfterLogout, "_Session", req)
}

// BeforeSaveFile runs beforeSaveFile: the files API calls it before storing f and stores f as the
// trigger leaves it (name, content type, data, metadata, tags); an error refuses the upload.
func (h *Host) BeforeSaveFile(ctx context.Context, a *auth.Auth, f *cloud.File) error {
	t, ok := h.reg.Trigger(cloud.BeforeSaveFile, cloud.FileClass)
	if !ok {
		return nil
	}
	req := &cloud.FileRequest{Caller: h.caller(ctx, a), TriggerName: string(cloud.BeforeSaveFile), File: f}
	if err := validate(t.Settings, &req.Caller, nil, nil); err != nil {
		return err
	}
	return h.protect(ctx, "beforeSaveFile", func() error { return t.File(ctx, req) })
}

// AfterSaveFile runs afterSaveFile once f is stored (f.URL set); errors are logged.
func (h *Host) AfterSaveFile(ctx context.Context, a *auth.Auth, f *cloud.File) {
	t, ok := h.reg.Trigger(cloud.AfterSaveFile, cloud.FileClass)
	if !ok {
		return
	}
	req := &cloud.FileRequest{Caller: h.caller(ctx, a), TriggerName: string(cloud.AfterSaveFile), File: f}
	if err := h.protect(ctx, "afterSaveFile", func() error { return t.File(ctx, req) }); err != nil {
		h.log.WarnContext(ctx, "cloud code: afterSaveFile failed", "file", f.Name, "err", err)
	}
}
