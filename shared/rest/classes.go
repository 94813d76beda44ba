package rest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

func (a *App) find(ctx context.Context, req *Request) (*Response, error) {
	if req.Params["className"] == "_Session" {
		return a.sessionFind(ctx, req)
	}
	if err := installationClassOnly(req, "find"); err != nil {
		return nil, err
	}
	opts, err := query.ParseFind(req.params())
	if err != nil {
		return nil, err
	}
	res, err := a.objects.FindJSON(ctx, req.Auth, req.Params["className"], opts)
	if err != nil {
		return nil, err
	}
	if res.Encoded != nil { // the fast read path wrote the results
		b := make([]byte, 0, len(res.Encoded)+48)
		b = append(append(b, `{"results":`...), res.Encoded...)
		if res.Count != nil {
			b = strconv.AppendInt(append(b, `,"count":`...), *res.Count, 10)
		}
		return reply(json.RawMessage(append(b, '}')))
	}
	body := map[string]any{"results": res.Results}
	if res.Count != nil {
		body["count"] = *res.Count
	}
	return reply(body)
}

func (a *App) get(ctx context.Context, req *Request) (*Response, error) {
	if req.Params["className"] == "_Session" {
		return a.sessionGet(ctx, req)
	}
	opts, err := query.ParseGet(req.params())
	if err != nil {
		return nil, err
	}
	obj, encoded, err := a.objects.GetJSON(ctx, req.Auth, req.Params["className"], req.Params["objectId"], opts)
	if err != nil {
		return nil, err
	}
	if encoded != nil {
		return reply(json.RawMessage(encoded))
	}
	return reply(obj)
}

func (a *App) bodyOrEmpty(req *Request) map[string]any {
	if req.Body == nil {
		return map[string]any{}
	}
	return req.Body
}

func (a *App) create(ctx context.Context, req *Request) (*Response, error) {
	cls := req.Params["className"]
	switch {
	case cls == "_User":
		return a.signUp(ctx, req)
	case cls == "_Session":
		return a.sessionCreate(ctx, req)
	case cls == "_Installation":
		return a.installationCreate(ctx, req)
	case cls == "_Role" && !req.roleChecked:
		req.roleChecked = true
		return a.roleCreate(ctx, req)
	}
	out, err := a.objects.Create(ctx, req.Auth, cls, a.bodyOrEmpty(req))
	if err != nil {
		return nil, err
	}
	loc := strings.TrimRight(a.cfg.ServerURL, "/") + "/classes/" + cls + "/" + out["objectId"].(string)
	return &Response{Status: 201, Body: out, Location: loc}, nil
}

func (a *App) update(ctx context.Context, req *Request) (*Response, error) {
	switch cls := req.Params["className"]; {
	case cls == "_User":
		return a.userUpdate(ctx, req)
	case cls == "_Session":
		return a.sessionUpdate(ctx, req)
	case cls == "_Installation":
		return a.installationUpdate(ctx, req)
	case cls == "_Role" && !req.roleChecked:
		req.roleChecked = true
		return a.roleUpdate(ctx, req)
	}
	out, err := a.objects.Update(ctx, req.Auth, req.Params["className"], req.Params["objectId"], a.bodyOrEmpty(req))
	if err != nil {
		return nil, err
	}
	return reply(out)
}

func (a *App) delete(ctx context.Context, req *Request) (*Response, error) {
	switch req.Params["className"] {
	case "_User":
		return a.userDelete(ctx, req)
	case "_Session":
		return a.sessionDelete(ctx, req)
	}
	if err := installationClassOnly(req, "delete"); err != nil {
		return nil, err
	}
	if err := a.objects.Delete(ctx, req.Auth, req.Params["className"], req.Params["objectId"]); err != nil {
		return nil, err
	}
	return reply(map[string]any{})
}

func (a *App) purge(ctx context.Context, req *Request) (*Response, error) {
	cls := req.Params["className"]
	if err := schema.CheckClassName(cls); err != nil {
		return nil, err
	}
	if _, err := a.db.Collection(cls).DeleteMany(ctx, bson.D{}); err != nil {
		return nil, err
	}
	if cls == "_Session" || cls == "_Role" || cls == "_User" {
		a.sessions.Invalidate()
	}
	return reply(map[string]any{})
}

// aggregate runs /aggregate/:className: a pipeline (or stage keys) or a distinct, with objectId
// standing for _id.
func (a *App) aggregate(ctx context.Context, req *Request) (*Response, error) {
	clsName := req.Params["className"]
	if err := schema.CheckClassName(clsName); err != nil {
		return nil, err
	}
	cls, err := a.schemas.Get(ctx, clsName)
	if err != nil {
		return nil, err
	}
	p := req.params()
	var where map[string]any
	if w, ok := p["where"]; ok {
		if s, isStr := w.(string); isStr {
			v, err := decodeJSON([]byte(s))
			if err != nil {
				return nil, parse.NewError(parse.InvalidJSON, "where must be a JSON object")
			}
			w = v
		}
		m, isMap := w.(map[string]any)
		if !isMap {
			return nil, parse.NewError(parse.InvalidJSON, "where must be a JSON object")
		}
		where = m
	}
	filter := bson.D{}
	if where != nil {
		if filter, err = aggFilter(ctx, cls, a.objects.Caps, where); err != nil {
			return nil, err
		}
	}
	if d, ok := p["distinct"]; ok {
		field, isStr := d.(string)
		if !isStr || field == "" {
			return nil, parse.NewError(parse.InvalidQuery, "distinct needs a field name")
		}
		stored, isPtr := aggField(cls, field)
		res := a.db.Collection(clsName).Distinct(ctx, stored, filter)
		if err := res.Err(); err != nil {
			return nil, a.objects.PipelineError(ctx, err)
		}
		var vals []any
		if err := res.Decode(&vals); err != nil {
			return nil, a.objects.DBError(ctx, err)
		}
		out := make([]any, 0, len(vals))
		for _, v := range vals {
			if s, ok := v.(string); ok && isPtr {
				if cn, id, found := strings.Cut(s, "$"); found {
					out = append(out, map[string]any{"__type": "Pointer", "className": cn, "objectId": id})
					continue
				}
			}
			if v == nil { // Parse Server drops null from distinct results
				continue
			}
			out = append(out, storage.DecodeValue(v))
		}
		return reply(map[string]any{"results": out})
	}
	var stages []any
	if pl, ok := p["pipeline"]; ok {
		switch t := pl.(type) {
		case []any:
			stages = t
		case map[string]any:
			stages = []any{t}
		case string:
			v, err := decodeJSON([]byte(t))
			if err != nil {
				return nil, parse.NewError(parse.InvalidJSON, "pipeline must be JSON")
			}
			if arr, ok := v.([]any); ok {
				stages = arr
			} else {
				stages = []any{v}
			}
		default:
			return nil, parse.NewError(parse.InvalidQuery, "pipeline must be an array of stages")
		}
	} else {
		for k, v := range p {
			switch k {
			case "where", "hint", "explain", "comment", "readPreference":
				continue
			}
			stages = append(stages, map[string]any{k: v})
		}
	}
	pipeline := bson.A{}
	if len(filter) > 0 {
		pipeline = append(pipeline, bson.D{{Key: "$match", Value: filter}})
	}
	pointerGroup := false // the last $group is by a pointer: its keys become object ids
	for _, s := range stages {
		sm, ok := s.(map[string]any)
		if !ok || len(sm) != 1 {
			return nil, parse.NewError(parse.InvalidQuery, "each pipeline stage must be an object with one key")
		}
		for name, arg := range sm {
			if err := checkAggProjection(name, arg); err != nil {
				return nil, err
			}
			if a.objects.Caps.Name != "" { // DetectCaps names FerretDB only
				if err := checkFerretDBStage(name, arg, a.dbName()); err != nil {
					return nil, err
				}
			}
			st, err := aggStage(cls, a.objects.Caps, name, arg)
			if err != nil {
				return nil, err
			}
			if name == "$group" {
				pointerGroup = false
				if g, ok := st[0].Value.(bson.D); ok {
					for _, e := range g {
						if s, isStr := e.Value.(string); e.Key == "_id" && isStr && strings.HasPrefix(s, "$_p_") {
							pointerGroup = true
						}
					}
				}
			}
			pipeline = append(pipeline, st)
		}
	}
	cur, err := a.db.Collection(clsName).Aggregate(ctx, pipeline, options.Aggregate())
	if err != nil {
		return nil, a.objects.PipelineError(ctx, err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, a.objects.PipelineError(ctx, err)
	}
	out := make([]any, 0, len(docs))
	for _, d := range docs {
		o := map[string]any{}
		for k, v := range d {
			switch {
			case k == "_id":
				if s, ok := v.(string); ok && pointerGroup {
					if _, id, found := strings.Cut(s, "$"); found {
						v = id // MongoStorageAdapter.aggregate: "_User$abc" → "abc"
					}
				}
				o["objectId"] = storage.DecodeValue(v)
			case k == "_created_at", k == "_updated_at":
				name := "createdAt"
				if k == "_updated_at" {
					name = "updatedAt"
				}
				if t, ok := v.(bson.DateTime); ok { // plain ISO strings, as in every other answer
					o[name] = storage.FormatTime(t.Time())
				} else {
					o[name] = storage.DecodeValue(v)
				}
			case strings.HasPrefix(k, "_p_"):
				if s, ok := v.(string); ok {
					if cn, id, found := strings.Cut(s, "$"); found {
						o[k[3:]] = map[string]any{"__type": "Pointer", "className": cn, "objectId": id}
						continue
					}
				}
				o[k[3:]] = storage.DecodeValue(v)
			case strings.HasPrefix(k, "_"):
				continue
			default:
				o[k] = storage.DecodeValue(v)
			}
		}
		out = append(out, o)
	}
	return reply(map[string]any{"results": out})
}

// checkAggProjection refuses a $project that mixes inclusion and exclusion (MongoDB's error 31254,
// which would otherwise come back as an internal error).
func checkAggProjection(name string, arg any) error {
	m, ok := arg.(map[string]any)
	if name != "$project" || !ok {
		return nil
	}
	var incl, excl string
	for k, v := range m {
		if k == "_id" {
			continue
		}
		if isExclusion(v) {
			excl = k
		} else {
			incl = k
		}
	}
	if incl != "" && excl != "" {
		return parse.Errorf(parse.InvalidQuery, "Invalid $project: cannot exclude %s in a projection that includes %s.", excl, incl)
	}
	return nil
}

func isExclusion(v any) bool {
	switch t := v.(type) {
	case bool:
		return !t
	case json.Number:
		f, err := t.Float64()
		return err == nil && f == 0
	}
	return false
}

// checkFerretDBStage refuses what FerretDB 1.x answers wrongly without an error: several
// accumulators in one $group (only the first sees documents), and field paths or expressions in
// $project, $addFields and $set (they come back as literal strings).
func checkFerretDBStage(name string, arg any, db string) error {
	m, ok := arg.(map[string]any)
	if !ok {
		return nil
	}
	switch name {
	case "$group":
		if len(m) > 2 { // _id and one accumulator
			return parse.Errorf(parse.InvalidQuery, "The database (%s) evaluates one accumulator per $group stage; run one aggregate per accumulator.", db)
		}
	case "$project", "$addFields", "$set":
		for k, v := range m {
			switch v.(type) {
			case bool, json.Number:
				if name == "$project" {
					continue
				}
			}
			if name == "$project" || aggExpression(v) {
				return parse.Errorf(parse.InvalidQuery, "The database (%s) cannot compute the field %s in %s.", db, k, name)
			}
		}
	}
	return nil
}

// aggExpression tells whether v holds a field path ("$x") or an operator ({"$op": ...}).
func aggExpression(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.HasPrefix(t, "$")
	case []any:
		for _, x := range t {
			if aggExpression(x) {
				return true
			}
		}
	case map[string]any:
		for k, x := range t {
			if strings.HasPrefix(k, "$") || aggExpression(x) {
				return true
			}
		}
	}
	return false
}

var allowedStages = map[string]bool{"$match": true, "$group": true, "$project": true, "$sort": true, "$skip": true, "$limit": true, "$unwind": true, "$count": true, "$addFields": true, "$set": true, "$unset": true, "$sample": true, "$lookup": true, "$facet": true, "$sortByCount": true, "$bucket": true, "$replaceRoot": true, "$geoNear": true}

func aggField(cls *schema.Class, field string) (string, bool) {
	switch field {
	case "objectId":
		return "_id", false
	case "createdAt":
		return "_created_at", false
	case "updatedAt":
		return "_updated_at", false
	}
	if f, ok := cls.Field(field); ok && f.Type == schema.Pointer {
		return "_p_" + field, true
	}
	return field, false
}

// aggStage checks a stage and rewrites Parse field names ($objectId → $_id, createdAt, pointers).
func aggStage(cls *schema.Class, caps query.Caps, name string, arg any) (bson.D, error) {
	if !strings.HasPrefix(name, "$") {
		return nil, parse.Errorf(parse.InvalidQuery, "Invalid parameter for query: %s", name)
	}
	if !allowedStages[name] {
		return nil, parse.Errorf(parse.InvalidQuery, "Invalid aggregate stage '%s'.", name)
	}
	if name == "$group" {
		if g, ok := arg.(map[string]any); ok {
			if _, has := g["objectId"]; has {
				return nil, parse.NewError(parse.InvalidQuery, "Cannot use 'objectId' in aggregation stage $group.")
			}
			if _, has := g["_id"]; !has {
				return nil, parse.NewError(parse.InvalidQuery, "Invalid parameter for query: group. Missing key _id")
			}
		}
	}
	if name == "$match" {
		if m, ok := arg.(map[string]any); ok {
			f, err := aggFilter(context.Background(), cls, caps, m)
			if err != nil {
				return nil, err
			}
			return bson.D{{Key: "$match", Value: f}}, nil
		}
	}
	v, err := rewriteAgg(cls, arg, 0)
	if err != nil {
		return nil, err
	}
	return bson.D{{Key: name, Value: v}}, nil
}

// aggFilter translates the where of an aggregate. A constraint only the engine can evaluate on this
// database (geo, fullText, containedBy on FerretDB...) is refused with a clear error: the pipeline runs
// in the database, which would answer it wrongly.
func aggFilter(ctx context.Context, cls *schema.Class, caps query.Caps, where map[string]any) (bson.D, error) {
	t := query.Translator{Class: cls, Caps: caps}
	f, err := t.Filter(ctx, where)
	if err != nil {
		return nil, err
	}
	if len(t.Engine) > 0 {
		name := caps.Name
		if name == "" {
			name = "this database"
		}
		return nil, parse.Errorf(parse.InvalidQuery, "This constraint cannot be evaluated in an aggregate on %s (it can in a find).", name)
	}
	return f, nil
}

var forbiddenAggOps = map[string]bool{"$where": true, "$function": true, "$accumulator": true, "$expr": true}

func rewriteAgg(cls *schema.Class, v any, depth int) (any, error) {
	if depth > 30 {
		return nil, parse.NewError(parse.InvalidQuery, "pipeline nested too deeply")
	}
	switch t := v.(type) {
	case string:
		if strings.HasPrefix(t, "$") && !strings.HasPrefix(t, "$$") {
			field := t[1:]
			top, rest, dotted := strings.Cut(field, ".")
			stored, _ := aggField(cls, top)
			if dotted {
				return "$" + stored + "." + rest, nil
			}
			return "$" + stored, nil
		}
		return t, nil
	case json.Number:
		return storage.Number(t)
	case []any:
		out := bson.A{}
		for _, x := range t {
			y, err := rewriteAgg(cls, x, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, y)
		}
		return out, nil
	case map[string]any:
		out := bson.D{}
		for k, x := range t {
			if forbiddenAggOps[k] {
				return nil, parse.Errorf(parse.InvalidQuery, "%s is not allowed in a pipeline", k)
			}
			y, err := rewriteAgg(cls, x, depth+1)
			if err != nil {
				return nil, err
			}
			key := k
			if !strings.HasPrefix(k, "$") {
				if k == "objectId" {
					key = "_id"
				} else if s, _ := aggField(cls, k); s != k && k != "objectId" {
					key = s
				}
			}
			for _, e := range out {
				if e.Key == key { // objectId and _id, or a field and its stored name: one key twice
					return nil, parse.Errorf(parse.InvalidQuery, "%s and another key name the same field in one pipeline stage", k)
				}
			}
			out = append(out, bson.E{Key: key, Value: y})
		}
		return out, nil
	}
	return v, nil
}
