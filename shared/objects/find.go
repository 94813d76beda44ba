package objects

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

func optionsProjection(p bson.D) options.Lister[options.FindOneOptions] {
	return options.FindOne().SetProjection(p)
}

func findOneAndUpdateAfter() options.Lister[options.FindOneAndUpdateOptions] {
	return options.FindOneAndUpdate().SetReturnDocument(options.After)
}

// Get reads one object by id. An object the caller may not read is "not found" (101).
func (c *Controller) Get(ctx context.Context, a *auth.Auth, className, id string, opts query.Options) (map[string]any, error) {
	if t := c.triggers(ctx); t != nil {
		return c.getTriggered(ctx, t, a, className, id, opts)
	}
	obj, _, err := c.get(ctx, a, className, id, opts, false)
	return obj, err
}

// get is Get without triggers. With encode set, and nothing in the request needing the decoded
// object (see encodable), the answer is the object's REST JSON written from the stored BSON.
func (c *Controller) get(ctx context.Context, a *auth.Auth, className, id string, opts query.Options, encode bool) (map[string]any, []byte, error) {
	cls, ptrs, err := c.classFor(ctx, a, className, OpGet)
	if err != nil {
		return nil, nil, err
	}
	if !cls.Exists() {
		return nil, nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	fo := options.FindOne()
	if p := query.Projection(cls, withIncludeKeys(opts)); p != nil {
		fo.SetProjection(p)
	}
	// Only the _id goes to the database: the ACL is checked here, which gives the same answer and
	// keeps the lookup on the _id index everywhere (FerretDB evaluates nothing else in SQL).
	filter := bson.D{{Key: "_id", Value: id}}
	if len(ptrs) > 0 {
		filter = append(filter, pointerFilter(cls, ptrs, a))
	}
	raw, err := c.DB.Collection(className).FindOne(ctx, filter, fo).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	if err != nil {
		return nil, nil, c.dbError(ctx, err)
	}
	if rp, ok := storage.RawPerms(raw, "_rperm"); !a.Allowed(rp, ok) {
		return nil, nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	if encode && encodable(cls, a) {
		b, err := c.appendObject(make([]byte, 0, len(raw)+64), cls, raw)
		if err != nil {
			return nil, nil, err
		}
		return nil, b, nil
	}
	var doc bson.M
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return nil, nil, c.dbError(ctx, err)
	}
	objs := []map[string]any{storage.Decode(cls, doc, c.FileURL)}
	if err := c.finish(ctx, a, cls, objs, opts); err != nil {
		return nil, nil, err
	}
	return objs[0], nil, nil
}

// FindResult is the answer of a find.
type FindResult struct {
	Results []map[string]any
	Count   *int64
	// Encoded, when set by FindJSON, is the JSON array of the results, and Results is empty.
	Encoded []byte
}

// Find runs a query with the caller's rights.
func (c *Controller) Find(ctx context.Context, a *auth.Auth, className string, opts query.Options) (*FindResult, error) {
	if t := c.triggers(ctx); t != nil {
		return c.findTriggered(ctx, t, a, className, opts)
	}
	return c.find(ctx, a, className, opts, false)
}

// find is Find without triggers; encode asks for FindResult.Encoded when the request allows it.
func (c *Controller) find(ctx context.Context, a *auth.Auth, className string, opts query.Options, encode bool) (*FindResult, error) {
	op := OpFind
	if opts.Count && opts.Limit == 0 {
		op = OpCount
	}
	cls, ptrs, err := c.classFor(ctx, a, className, op)
	if err != nil {
		return nil, err
	}
	res := &FindResult{Results: []map[string]any{}}
	if !cls.Exists() {
		if opts.Count {
			var zero int64
			res.Count = &zero
		}
		return res, nil
	}
	filter, engine, err := c.filterFor(ctx, a, cls, opts.Where, opts.Count && opts.Limit == 0)
	if err != nil {
		return nil, err
	}
	if err := checkScore(opts, filter, engine); err != nil {
		return nil, err
	}
	if len(ptrs) > 0 {
		filter = append(filter, pointerFilter(cls, ptrs, a))
	}
	sort, err := query.Sort(cls, opts.Order)
	if err != nil {
		return nil, err
	}
	limit := opts.Limit
	if limit < 0 {
		limit = int64(c.Config.DefaultLimit)
	}
	if c.Config.MaxLimit > 0 && limit > int64(c.Config.MaxLimit) {
		limit = int64(c.Config.MaxLimit)
	}
	if len(engine) > 0 {
		return c.findInEngine(ctx, a, cls, opts, filter, engine, sort, limit)
	}
	if opts.Count {
		n, err := c.DB.Collection(className).CountDocuments(ctx, query.CountFilter(filter))
		if err != nil {
			return nil, c.dbError(ctx, err)
		}
		res.Count = &n
	}
	if limit == 0 {
		return res, nil
	}
	fo := options.Find().SetLimit(limit)
	if opts.Skip > 0 {
		fo.SetSkip(opts.Skip)
	}
	if sort != nil {
		fo.SetSort(sort)
	}
	if p := query.Projection(cls, withIncludeKeys(opts)); p != nil {
		fo.SetProjection(p)
	}
	if opts.Hint != nil && c.Caps.Name == "" {
		fo.SetHint(opts.Hint)
	}
	cur, err := c.findGeoIndexed(ctx, className, filter, fo)
	if err != nil {
		return nil, c.dbError(ctx, err)
	}
	if encode && encodable(cls, a) {
		return c.encodeAll(ctx, cls, cur, res)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, c.dbError(ctx, err)
	}
	res.Results = make([]map[string]any, len(docs))
	for i, d := range docs {
		res.Results[i] = storage.Decode(cls, d, c.FileURL)
	}
	if err := c.finish(ctx, a, cls, res.Results, opts); err != nil {
		return nil, err
	}
	return res, nil
}

// filter translates where for the database, with the ACL clause; engine holds the clauses the
// database cannot evaluate (see query.Translator.Engine).
func (c *Controller) filter(ctx context.Context, a *auth.Auth, cls *schema.Class, where map[string]any) (bson.D, []bson.D, error) {
	return c.filterFor(ctx, a, cls, where, false)
}

// filterFor is filter for a query that may only count (count: see query.Translator.Count).
func (c *Controller) filterFor(ctx context.Context, a *auth.Auth, cls *schema.Class, where map[string]any, count bool) (bson.D, []bson.D, error) {
	if pf := protectedFields(cls, a); len(pf) > 0 {
		if f, ok := queriedField(where, pf, 0); ok {
			return nil, nil, parse.Errorf(parse.OperationForbidden, "This user is not allowed to query %s on class %s", f, cls.Name)
		}
	}
	t := query.Translator{Class: cls, Resolver: &resolver{c: c, a: a}, Caps: c.Caps, Now: c.Now, Count: count}
	filter, err := t.Filter(ctx, where)
	if err != nil {
		return nil, nil, err
	}
	if t.TextIndex != "" {
		if err := c.ensureTextIndex(ctx, cls, t.TextIndex); err != nil {
			return nil, nil, err
		}
	}
	if !a.Master {
		filter = append(filter, aclFilter(a, "_rperm"))
	}
	return filter, t.Engine, nil
}

// matchAll fetches what the database filter selects (sorted) and keeps the documents the engine
// clauses match. It reads the candidates with a cursor and stops once it has stopAfter matches (0: all
// of them). It reads at most Config.EngineMaxScan candidates (0: no cap): a query that would read more
// is refused (102) instead of holding an unbounded set in memory.
func (c *Controller) matchAll(ctx context.Context, className string, filter bson.D, engine []bson.D, sort bson.D, stopAfter int64) ([]bson.M, error) {
	fo := options.Find()
	if sort != nil {
		fo.SetSort(sort)
	}
	maxScan := int64(c.Config.EngineMaxScan)
	if maxScan > 0 {
		fo.SetLimit(maxScan + 1) // one more than the cap tells that the cap is exceeded
	}
	if stopAfter > 0 {
		// batches of about what is needed: the database prepares no more than the read may use
		fo.SetBatchSize(int32(min(max(stopAfter, 101), 1000)))
	}
	cur, err := c.DB.Collection(className).Find(ctx, filter, fo)
	if err != nil {
		return nil, c.dbError(ctx, err)
	}
	defer cur.Close(ctx)
	var out []bson.M
	var scanned int64
	for cur.Next(ctx) {
		scanned++
		if maxScan > 0 && scanned > maxScan {
			return nil, c.scanCapError(ctx, className, maxScan)
		}
		var d bson.M
		if err := cur.Decode(&d); err != nil {
			return nil, c.dbError(ctx, err)
		}
		keep := true
		for _, e := range engine {
			if !query.Match(e, d) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, d)
			if stopAfter > 0 && int64(len(out)) >= stopAfter {
				break
			}
		}
	}
	if err := cur.Err(); err != nil {
		return nil, c.dbError(ctx, err)
	}
	return out, nil
}

// scanCapError is the answer to a query whose engine candidates exceed Config.EngineMaxScan.
func (c *Controller) scanCapError(ctx context.Context, className string, maxScan int64) error {
	if c.Log != nil {
		c.Log.WarnContext(ctx, "engine query refused: too many candidates", "class", className, "maxScan", maxScan, "db", capsName(c.Caps))
	}
	return parse.Errorf(parse.InvalidQuery, "This query would scan more than %d objects on %s; add constraints or raise ENGINE_MAX_SCAN.", maxScan, capsName(c.Caps))
}

// engineStopAfter is how many matches the engine path needs when the order of the candidates is the
// final order (the database sorts, or nothing does) and nothing counts them: skip+limit. 0: all.
func engineStopAfter(opts query.Options, engine []bson.D, sortInEngine bool, limit int64) int64 {
	if opts.Count || sortInEngine {
		return 0
	}
	if len(opts.Order) == 0 {
		if _, _, ok := query.NearSort(engine); ok {
			return 0 // ordered by distance afterwards
		}
	}
	return opts.Skip + limit
}

func (c *Controller) findInEngine(ctx context.Context, a *auth.Auth, cls *schema.Class, opts query.Options, filter bson.D, engine []bson.D, sort bson.D, limit int64) (*FindResult, error) {
	dbSort, sortInEngine := engineSort(sort)
	if limit == 0 && !opts.Count {
		return &FindResult{Results: []map[string]any{}}, nil // nothing to read
	}
	stopAfter := engineStopAfter(opts, engine, sortInEngine, limit)
	docs, err := c.matchAll(ctx, cls.Name, filter, engine, dbSort, stopAfter)
	if err != nil {
		return nil, err
	}
	orderEngine(docs, engine, opts, sort, sortInEngine)
	res := &FindResult{Results: []map[string]any{}}
	if opts.Count {
		n := int64(len(docs))
		res.Count = &n
	}
	if opts.Skip >= int64(len(docs)) {
		docs = nil
	} else {
		docs = docs[opts.Skip:]
	}
	if int64(len(docs)) > limit {
		docs = docs[:limit]
	}
	for _, d := range docs {
		res.Results = append(res.Results, storage.Decode(cls, d, c.FileURL))
	}
	if err := c.finish(ctx, a, cls, res.Results, opts); err != nil {
		return nil, err
	}
	return res, nil
}

// withIncludeKeys adds the parents of dotted keys to keys.
func withIncludeKeys(o query.Options) []string {
	return o.Keys
}

// finish applies include, keys and excludeKeys to decoded objects.
func (c *Controller) finish(ctx context.Context, a *auth.Auth, cls *schema.Class, objs []map[string]any, opts query.Options) error {
	tree := includeTree{}
	for _, in := range opts.Include {
		if in != "*" {
			tree.add(strings.Split(in, "."))
		}
	}
	for _, k := range opts.Keys { // dotted keys force the include of their parents
		parts := strings.Split(k, ".")
		if len(parts) > 1 {
			tree.add(parts[:len(parts)-1])
		}
	}
	if opts.IncludeAll {
		for name, f := range cls.Fields {
			if f.Type == schema.Pointer {
				tree.add([]string{name})
			}
		}
	}
	if len(tree) > 0 {
		if err := c.include(ctx, a, objs, tree, 0); err != nil {
			return err
		}
	}
	if opts.Keys != nil {
		kt := includeTree{}
		for _, k := range opts.Keys {
			if k == "$score" {
				k = "score"
			}
			kt.add(strings.Split(k, "."))
		}
		for _, o := range objs {
			trimKeys(o, kt)
		}
	}
	for _, k := range opts.ExcludeKeys {
		for _, o := range objs {
			removePath(o, strings.Split(k, "."))
		}
	}
	c.hideFields(cls, a, objs)
	return nil
}

// hideFields removes what the caller may not see: protected fields, and a user's authData for
// anyone but that user.
func (c *Controller) hideFields(cls *schema.Class, a *auth.Auth, objs []map[string]any) {
	if a.Master {
		return
	}
	pf := protectedFields(cls, a)
	for _, o := range objs {
		self := cls.Name == "_User" && a.UserID != "" && o["objectId"] == a.UserID
		if self {
			continue
		}
		for _, f := range pf {
			delete(o, f)
		}
		if cls.Name == "_User" {
			delete(o, "authData")
		}
	}
}

var alwaysKeys = map[string]bool{"objectId": true, "createdAt": true, "updatedAt": true, "ACL": true, "__type": true, "className": true}

func trimKeys(o map[string]any, kt includeTree) {
	for k, v := range o {
		if alwaysKeys[k] {
			continue
		}
		sub, ok := kt[k]
		if !ok {
			delete(o, k)
			continue
		}
		if len(sub) > 0 {
			if m, ok := v.(map[string]any); ok && m["__type"] == "Object" {
				trimKeys(m, sub)
			}
		}
	}
}

func removePath(o map[string]any, p []string) {
	if len(p) == 1 {
		if !alwaysKeys[p[0]] {
			delete(o, p[0])
		}
		return
	}
	if m, ok := o[p[0]].(map[string]any); ok {
		removePath(m, p[1:])
	}
}

type includeTree map[string]includeTree

func (t includeTree) add(path []string) {
	cur := t
	for _, p := range path {
		next, ok := cur[p]
		if !ok {
			next = includeTree{}
			cur[p] = next
		}
		cur = next
	}
}

type pointerRef struct {
	holder map[string]any // the object holding the pointer (or the array of it)
	key    string
	arr    []any // the array holding the pointer, if any
	idx    int
	n      int // a number unique within one include step
}

// dropUnresolved removes the pointers include could not resolve: the key of a single pointer, the
// element of an array.
func dropUnresolved(byClass map[string]map[string][]pointerRef, resolved map[int]bool) {
	arrays := map[string]map[int]bool{} // per holder+key
	holders := map[string]pointerRef{}
	for _, refs := range byClass {
		for _, list := range refs {
			for _, ref := range list {
				if resolved[ref.n] {
					continue
				}
				if ref.arr == nil {
					delete(ref.holder, ref.key)
					continue
				}
				k := fmt.Sprintf("%p/%s", ref.holder, ref.key)
				if arrays[k] == nil {
					arrays[k] = map[int]bool{}
				}
				arrays[k][ref.idx] = true
				holders[k] = ref
			}
		}
	}
	for k, idx := range arrays {
		ref := holders[k]
		kept := make([]any, 0, len(ref.arr)-len(idx))
		for i, x := range ref.arr {
			if !idx[i] {
				kept = append(kept, x)
			}
		}
		ref.holder[ref.key] = kept
	}
}

const maxIncludeDepth = 10

// include replaces pointers on the paths of tree with the objects they point to. As in Parse Server, a
// pointer to an object the caller may not read (its ACL, or the target class's CLP) or that does not
// exist is left out: the key is removed, or the element is dropped from an array.
func (c *Controller) include(ctx context.Context, a *auth.Auth, objs []map[string]any, tree includeTree, depth int) error {
	if depth > maxIncludeDepth {
		return parse.NewError(parse.InvalidQuery, "include is nested too deeply")
	}
	keys := make([]string, 0, len(tree))
	for k := range tree {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		byClass := map[string]map[string][]pointerRef{}
		refCount := 0
		add := func(v any, ref pointerRef) {
			p, ok := v.(map[string]any)
			if !ok || p["__type"] != "Pointer" {
				return
			}
			cn, _ := p["className"].(string)
			id, _ := p["objectId"].(string)
			if cn == "" || id == "" || !schema.ValidClassName(cn) {
				return
			}
			if byClass[cn] == nil {
				byClass[cn] = map[string][]pointerRef{}
			}
			refCount++
			ref.n = refCount
			byClass[cn][id] = append(byClass[cn][id], ref)
		}
		for _, o := range objs {
			switch v := o[key].(type) {
			case map[string]any:
				add(v, pointerRef{holder: o, key: key})
			case []any:
				for i, x := range v {
					add(x, pointerRef{holder: o, key: key, arr: v, idx: i})
				}
			}
		}
		resolved := map[int]bool{}
		var next []map[string]any
		classes := make([]string, 0, len(byClass))
		for cn := range byClass {
			classes = append(classes, cn)
		}
		sort.Strings(classes)
		for _, cn := range classes {
			refs := byClass[cn]
			if MasterOnlyClasses[cn] && !a.Master {
				continue
			}
			cls, err := c.Schemas.Get(ctx, cn)
			if err != nil {
				return err
			}
			ptrs, err := checkCLP(cls, OpGet, a)
			if err != nil {
				if pe, ok := parse.As(err); ok && pe.Code != parse.InternalServerError {
					continue // the caller may not read this class: its pointers are left out
				}
				return err
			}
			ids := bson.A{}
			for id := range refs {
				ids = append(ids, id)
			}
			filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}
			if len(ptrs) > 0 {
				filter = append(filter, pointerFilter(cls, ptrs, a))
			}
			cur, err := c.DB.Collection(cn).Find(ctx, filter)
			if err != nil {
				return c.dbError(ctx, err)
			}
			var docs []bson.M
			if err := cur.All(ctx, &docs); err != nil {
				return c.dbError(ctx, err)
			}
			for _, d := range docs {
				if rp, ok := storage.Perms(d, "_rperm"); !a.Allowed(rp, ok) {
					continue
				}
				id, _ := d["_id"].(string)
				for _, ref := range refs[id] {
					obj := storage.Decode(cls, d, c.FileURL)
					obj["__type"] = "Object"
					obj["className"] = cn
					c.hideFields(cls, a, []map[string]any{obj})
					if ref.arr == nil {
						ref.holder[ref.key] = obj
					} else {
						ref.arr[ref.idx] = obj
					}
					resolved[ref.n] = true
					next = append(next, obj)
				}
			}
		}
		dropUnresolved(byClass, resolved)
		if sub := tree[key]; len(sub) > 0 && len(next) > 0 {
			if err := c.include(ctx, a, next, sub, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolver answers subqueries and relation lookups for the query translator, with the caller's auth.
type resolver struct {
	c *Controller
	a *auth.Auth
}

func (r *resolver) Select(ctx context.Context, className string, where map[string]any, key string) ([]any, error) {
	cls, ptrs, err := r.c.classFor(ctx, r.a, className, OpFind)
	if err != nil {
		return nil, err
	}
	if !cls.Exists() {
		return nil, nil
	}
	filter, engine, err := r.c.filter(ctx, r.a, cls, where)
	if err != nil {
		return nil, err
	}
	if len(ptrs) > 0 {
		filter = append(filter, pointerFilter(cls, ptrs, r.a))
	}
	stored := key
	switch key {
	case "objectId":
		stored = "_id"
	case "createdAt":
		stored = "_created_at"
	case "updatedAt":
		stored = "_updated_at"
	default:
		if f, ok := cls.Field(key); ok && f.Type == schema.Pointer {
			stored = "_p_" + key
		}
	}
	var docs []bson.M
	if len(engine) > 0 {
		if docs, err = r.c.matchAll(ctx, className, filter, engine, nil, 0); err != nil {
			return nil, err
		}
	} else {
		cur, err := r.c.DB.Collection(className).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: stored, Value: 1}}))
		if err != nil {
			return nil, r.c.dbError(ctx, err)
		}
		if err := cur.All(ctx, &docs); err != nil {
			return nil, r.c.dbError(ctx, err)
		}
	}
	out := make([]any, 0, len(docs))
	for _, d := range docs {
		if v, ok := lookupBSON(d, stored); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

func lookupBSON(d bson.M, path string) (any, bool) {
	var cur any = d
	for _, p := range strings.Split(path, ".") {
		switch m := cur.(type) {
		case bson.M:
			v, ok := m[p]
			if !ok {
				return nil, false
			}
			cur = v
		case bson.D:
			found := false
			for _, e := range m {
				if e.Key == p {
					cur, found = e.Value, true
					break
				}
			}
			if !found {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return cur, true
}

func (r *resolver) RelatedIDs(ctx context.Context, owningClass, key, owningID string) ([]string, error) {
	return r.c.joinIDs(ctx, "_Join:"+key+":"+owningClass, "owningId", bson.A{owningID}, "relatedId")
}

func (r *resolver) OwningIDs(ctx context.Context, owningClass, key string, relatedIDs []string) ([]string, error) {
	a := bson.A{}
	for _, id := range relatedIDs {
		a = append(a, id)
	}
	return r.c.joinIDs(ctx, "_Join:"+key+":"+owningClass, "relatedId", a, "owningId")
}

func (c *Controller) joinIDs(ctx context.Context, coll, by string, in bson.A, want string) ([]string, error) {
	cur, err := c.DB.Collection(coll).Find(ctx, bson.D{{Key: by, Value: bson.D{{Key: "$in", Value: in}}}}, options.Find().SetProjection(bson.D{{Key: want, Value: 1}}))
	if err != nil {
		return nil, c.dbError(ctx, err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, c.dbError(ctx, err)
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		if s, ok := d[want].(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// queriedField finds a protected field used in a where clause (also inside $or, $and and $nor).
func queriedField(where map[string]any, protected []string, depth int) (string, bool) {
	if depth > 20 {
		return "", false
	}
	for k, v := range where {
		switch k {
		case "$or", "$and", "$nor":
			arr, _ := v.([]any)
			for _, x := range arr {
				if m, ok := x.(map[string]any); ok {
					if f, found := queriedField(m, protected, depth+1); found {
						return f, true
					}
				}
			}
			continue
		}
		top, _, _ := strings.Cut(k, ".")
		for _, p := range protected {
			if top == p {
				return p, true
			}
		}
	}
	return "", false
}
