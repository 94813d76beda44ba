// Package objects is the controller of Parse objects: create, get, find, update and delete with the
// caller's rights, relations, includes and keys, over Parse Server's MongoDB storage format.
package objects

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/dbwrite"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

// MasterOnlyClasses refuse any access without the master key (119).
var MasterOnlyClasses = map[string]bool{"_JobStatus": true, "_PushStatus": true, "_Hooks": true, "_GlobalConfig": true, "_JobSchedule": true, "_Idempotency": true}

// Controller runs object operations.
type Controller struct {
	DB      *mongo.Database
	Schemas *schema.Store
	Config  config.Config
	Caps    query.Caps
	Log     *slog.Logger
	// SerializeWrites makes updates of one object run one at a time in this process, and checks the
	// ACL of a single object in the engine after a lookup by _id. The local server sets it for the
	// embedded database, which neither updates atomically nor indexes anything but an exact _id.
	SerializeWrites bool
	// Insert writes new objects (dbwrite.Inserter: the driver's InsertOne/InsertMany, or insert
	// commands where the driver would not retry).
	Insert dbwrite.Inserter
	Now    func() time.Time
	// FileURLFunc, when set, makes file URLs instead of the API's /files/<appId>/<name> (direct or
	// presigned S3 URLs).
	FileURLFunc func(name string) string
	// Triggers are Cloud Code's hooks around every operation (see triggers.go); nil runs none.
	Triggers Triggers

	locks keyedMutex
}

func (c *Controller) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// FileURL is the URL a stored file name is served at.
func (c *Controller) FileURL(name string) string {
	if c.FileURLFunc != nil {
		return c.FileURLFunc(name)
	}
	return strings.TrimRight(c.Config.ServerURL, "/") + "/files/" + c.Config.AppID + "/" + pathEscape(name)
}

func pathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("-_.!~*'()", ch) >= 0 {
			b.WriteByte(ch)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[ch>>4])+string("0123456789abcdef"[ch&15])))
		}
	}
	return b.String()
}

// classFor loads the class and applies the access rules that do not depend on an object.
func (c *Controller) classFor(ctx context.Context, a *auth.Auth, className string, op string) (*schema.Class, []string, error) {
	write := !isRead(op)
	if err := schema.CheckClassName(className); err != nil {
		return nil, nil, err
	}
	if MasterOnlyClasses[className] && !a.Master {
		return nil, nil, parse.Errorf(parse.OperationForbidden, "Clients aren't allowed to perform the %s operation on the %s collection.", map[bool]string{true: "write", false: "read"}[write], className)
	}
	cls, err := c.Schemas.Get(ctx, className)
	if err != nil {
		return nil, nil, err
	}
	if !cls.Exists() && !a.Master && !c.Config.AllowClientClassCreation {
		return nil, nil, parse.Errorf(parse.OperationForbidden, "This user is not allowed to access non-existent class: %s", className)
	}
	ptrs, err := checkCLP(cls, op, a)
	if err != nil {
		return nil, nil, err
	}
	return cls, ptrs, nil
}

// WriteOptions carry what a concept's controller (users, sessions) adds to a plain object write.
type WriteOptions struct {
	// Set are stored columns written as well, such as _hashed_password.
	Set bson.D
	// Unset are stored columns removed on update.
	Unset bson.D
	// SelfACL gives the new object itself read and write access in its ACL (the ACL after its
	// beforeSave trigger; only that entry when there is none), in the same insert: what Parse Server
	// does for a new _User with enforcePrivateUsers.
	SelfACL bool
}

// Create stores a new object and answers {objectId, createdAt}.
func (c *Controller) Create(ctx context.Context, a *auth.Auth, className string, body map[string]any) (map[string]any, error) {
	return c.CreateWith(ctx, a, className, body, WriteOptions{})
}

// CreateWith is Create with extra stored columns.
func (c *Controller) CreateWith(ctx context.Context, a *auth.Auth, className string, body map[string]any, o WriteOptions) (map[string]any, error) {
	if t := c.triggers(ctx); t != nil {
		return c.createTriggered(ctx, t, a, className, body, o)
	}
	cls, _, err := c.classFor(ctx, a, className, OpCreate)
	if err != nil {
		return nil, err
	}
	n, err := c.prepareCreate(ctx, a, cls, className, body, o)
	if err != nil {
		return nil, err
	}
	if err := c.Insert.InsertOne(ctx, c.DB.Collection(className), n.doc); err != nil {
		return nil, c.dbError(ctx, err)
	}
	if err := c.applyRelations(ctx, className, n.id, n.relations); err != nil {
		return nil, err
	}
	return n.answer(), nil
}

// newObject is a checked create, ready to insert.
type newObject struct {
	id        string
	now       time.Time
	doc       bson.D
	relations []storage.RelationOp
}

// answer is the create's answer, {objectId, createdAt}.
func (n *newObject) answer() map[string]any {
	return map[string]any{"objectId": n.id, "createdAt": storage.FormatTime(n.now)}
}

// prepareCreate checks body for a create in cls (which classFor allowed), adds the fields it brings
// to the schema, and makes the document to insert.
func (c *Controller) prepareCreate(ctx context.Context, a *auth.Auth, cls *schema.Class, className string, body map[string]any, o WriteOptions) (*newObject, error) {
	if _, ok := body["objectId"]; ok {
		return nil, parse.NewError(parse.InvalidKeyName, "objectId is an invalid field name.")
	}
	id := parse.NewObjectID()
	if o.SelfACL {
		body = withSelfACL(body, id)
	}
	w, err := storage.Encode(cls, body, true)
	if err != nil {
		return nil, err
	}
	c.adaptWrite(w)
	if err := c.checkAddField(cls, w, a); err != nil {
		return nil, err
	}
	if cls, err = c.Schemas.AddFields(ctx, className, w.Fields, true); err != nil {
		return nil, err
	}
	if err := checkRequired(cls, body); err != nil {
		return nil, err
	}
	now := c.now()
	doc := bson.D{{Key: "_id", Value: id}}
	doc = append(doc, applyDefaults(cls, body)...)
	doc = append(doc, w.Set...)
	doc = append(doc, o.Set...)
	doc = append(doc, bson.E{Key: "_created_at", Value: bson.NewDateTimeFromTime(now)}, bson.E{Key: "_updated_at", Value: bson.NewDateTimeFromTime(now)})
	return &newObject{id: id, now: now, doc: doc, relations: w.Relations}, nil
}

// withSelfACL is body with the new object id given read and write access in its ACL, which is only
// that entry when body has none. An ACL that is not an object is left for Encode to refuse.
func withSelfACL(body map[string]any, id string) map[string]any {
	acl, ok := selfACL(body["ACL"], id)
	if !ok {
		return body
	}
	out := maps.Clone(body)
	if out == nil {
		out = map[string]any{}
	}
	out["ACL"] = acl
	return out
}

// selfACL is a copy of acl (nil: none) with id given read and write access; ok is false when acl is
// not an ACL object.
func selfACL(acl any, id string) (map[string]any, bool) {
	out := map[string]any{}
	switch v := acl.(type) {
	case map[string]any:
		maps.Copy(out, v)
	case nil:
	default:
		return nil, false
	}
	out[id] = map[string]any{"read": true, "write": true}
	return out, true
}

func checkRequired(cls *schema.Class, body map[string]any) error {
	for name, f := range cls.Fields {
		if !f.Required || f.DefaultValue != nil {
			continue
		}
		if v, ok := body[name]; !ok || v == nil {
			return parse.Errorf(parse.RequiredField, "%s is required", name)
		}
	}
	return nil
}

func applyDefaults(cls *schema.Class, body map[string]any) bson.D {
	var d bson.D
	for name, f := range cls.Fields {
		if f.DefaultValue == nil {
			continue
		}
		if v, ok := body[name]; ok && v != nil {
			continue
		}
		if enc, err := storage.EncodeAtom(f.DefaultValue); err == nil {
			if f.Type == schema.Pointer {
				if m, ok := f.DefaultValue.(map[string]any); ok {
					d = append(d, bson.E{Key: "_p_" + name, Value: m["className"].(string) + "$" + m["objectId"].(string)})
				}
				continue
			}
			d = append(d, bson.E{Key: name, Value: enc})
		}
	}
	return d
}

func (c *Controller) applyRelations(ctx context.Context, className, id string, rels []storage.RelationOp) error {
	for _, r := range rels {
		coll := c.DB.Collection("_Join:" + r.Key + ":" + className)
		for _, rid := range r.Add {
			filter := bson.D{{Key: "relatedId", Value: rid}, {Key: "owningId", Value: id}}
			n, err := coll.CountDocuments(ctx, filter)
			if err != nil {
				return c.dbError(ctx, err)
			}
			if n == 0 {
				if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "relatedId", Value: rid}, {Key: "owningId", Value: id}}); err != nil {
					return c.dbError(ctx, err)
				}
			}
		}
		if len(r.Remove) > 0 {
			ids := bson.A{}
			for _, x := range r.Remove {
				ids = append(ids, x)
			}
			if _, err := coll.DeleteMany(ctx, bson.D{{Key: "owningId", Value: id}, {Key: "relatedId", Value: bson.D{{Key: "$in", Value: ids}}}}); err != nil {
				return c.dbError(ctx, err)
			}
		}
	}
	return nil
}

// aclFilter is the read or write clause for a non-master caller.
func aclFilter(a *auth.Auth, key string) bson.E {
	in := bson.A{nil}
	for _, p := range a.Perms() {
		in = append(in, p)
	}
	return bson.E{Key: key, Value: bson.D{{Key: "$in", Value: in}}}
}

// Update changes an object and answers {updatedAt, ...results of the operators}.
func (c *Controller) Update(ctx context.Context, a *auth.Auth, className, id string, body map[string]any) (map[string]any, error) {
	return c.UpdateWith(ctx, a, className, id, body, WriteOptions{})
}

// UpdateWith is Update with extra stored columns set or removed.
func (c *Controller) UpdateWith(ctx context.Context, a *auth.Auth, className, id string, body map[string]any, o WriteOptions) (map[string]any, error) {
	if t := c.triggers(ctx); t != nil {
		return c.updateTriggered(ctx, t, a, className, id, body, o)
	}
	cls, ptrs, err := c.classFor(ctx, a, className, OpUpdate)
	if err != nil {
		return nil, err
	}
	w, err := storage.Encode(cls, body, false)
	if err != nil {
		return nil, err
	}
	c.adaptWrite(w)
	if err := c.checkAddField(cls, w, a); err != nil {
		return nil, err
	}
	w.Set = append(w.Set, o.Set...)
	w.Unset = append(w.Unset, o.Unset...)
	if !cls.Exists() {
		return nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	if cls, err = c.Schemas.AddFields(ctx, className, w.Fields, false); err != nil {
		return nil, err
	}
	for name, f := range cls.Fields {
		if v, ok := body[name]; ok && f.Required && (v == nil || isDeleteOp(v)) {
			return nil, parse.Errorf(parse.RequiredField, "%s is required", name)
		}
	}
	now := c.now()
	w.Set = append(w.Set, bson.E{Key: "_updated_at", Value: bson.NewDateTimeFromTime(now)})
	filter, unlock, err := c.writeFilter(ctx, a, cls, ptrs, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	coll := c.DB.Collection(className)
	after, err := coll.FindOneAndUpdate(ctx, filter, w.Update(), findOneAndUpdateAfter()).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	if err != nil {
		return nil, c.dbError(ctx, err)
	}
	if err := c.applyRelations(ctx, className, id, w.Relations); err != nil {
		return nil, err
	}
	out := map[string]any{"updatedAt": storage.FormatTime(now)}
	if len(w.OpKeys) > 0 {
		obj := storage.Decode(cls, topFields(after, w.OpKeys), c.FileURL)
		for _, k := range w.OpKeys {
			if v, ok := lookupPath(obj, k); ok {
				setPath(out, strings.Split(k, "."), v)
			}
		}
	}
	return out, nil
}

// topFields decodes only the top-level fields of a stored document that keys (REST key paths)
// start with: all an update answer needs of the object written.
func topFields(raw bson.Raw, keys []string) bson.M {
	out := make(bson.M, len(keys))
	for _, k := range keys {
		top, _, _ := strings.Cut(k, ".")
		if _, done := out[top]; done {
			continue
		}
		v, err := raw.LookupErr(top)
		if err != nil {
			continue
		}
		var x any
		if err := v.Unmarshal(&x); err == nil {
			out[top] = x
		}
	}
	return out
}

func isDeleteOp(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["__op"] == "Delete"
}

// setPath puts v at a key path of m, as Parse Server answers an operator on a key path:
// {"stats.wins": Increment} → {"stats": {"wins": 2}} (expandResultOnKeyPath in DatabaseController.js),
// which the JS SDK merges into its copy of the object.
func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func lookupPath(obj map[string]any, path string) (any, bool) {
	parts := strings.Split(path, ".")
	var cur any = obj
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Delete removes an object.
func (c *Controller) Delete(ctx context.Context, a *auth.Auth, className, id string) error {
	if t := c.triggers(ctx); t != nil {
		return c.deleteTriggered(ctx, t, a, className, id)
	}
	cls, ptrs, err := c.classFor(ctx, a, className, OpDelete)
	if err != nil {
		return err
	}
	if !cls.Exists() {
		return parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	filter, unlock, err := c.writeFilter(ctx, a, cls, ptrs, id)
	if err != nil {
		return err
	}
	defer unlock()
	coll := c.DB.Collection(className)
	res, err := coll.DeleteOne(ctx, filter)
	if err != nil {
		return c.dbError(ctx, err)
	}
	if res.DeletedCount == 0 {
		return parse.NewError(parse.ObjectNotFound, "Object not found.")
	}
	return nil
}

// writeFilter is the filter of an update or delete of one object: its _id, the pointer permissions
// and, unless the caller has the master key, its write ACL. With SerializeWrites the object is locked
// until unlock is called and the ACL is checked here after a lookup by _id (see Controller).
func (c *Controller) writeFilter(ctx context.Context, a *auth.Auth, cls *schema.Class, ptrs []string, id string) (bson.D, func(), error) {
	filter := bson.D{{Key: "_id", Value: id}}
	if len(ptrs) > 0 {
		filter = append(filter, pointerFilter(cls, ptrs, a))
	}
	if !c.SerializeWrites {
		if !a.Master {
			filter = append(filter, aclFilter(a, "_wperm"))
		}
		return filter, func() {}, nil
	}
	unlock := c.locks.lock(cls.Name + "\x00" + id)
	if a.Master {
		return filter, unlock, nil
	}
	cur, err := c.DB.Collection(cls.Name).FindOne(ctx, filter, optionsProjection(bson.D{{Key: "_wperm", Value: 1}})).Raw()
	if err == nil {
		if wp, ok := storage.RawPerms(cur, "_wperm"); !a.Allowed(wp, ok) {
			err = parse.NewError(parse.ObjectNotFound, "Object not found.")
		}
	} else if errors.Is(err, mongo.ErrNoDocuments) {
		err = parse.NewError(parse.ObjectNotFound, "Object not found.")
	} else {
		err = c.dbError(ctx, err)
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return filter, unlock, nil
}

// checkAddField refuses a write that adds fields to an existing class when the CLP forbids addField.
func (c *Controller) checkAddField(cls *schema.Class, w *storage.Write, a *auth.Auth) error {
	if a.Master || !cls.Exists() || cls.CLP == nil {
		return nil
	}
	for name := range w.Fields {
		if _, ok := cls.Fields[name]; !ok {
			if _, err := checkCLP(cls, OpAddField, a); err != nil {
				return err
			}
			return nil
		}
	}
	return nil
}

// keyedMutex serializes work per key.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// dbError maps a database error to a Parse error; anything unexpected stays internal.
// DBError maps a database error to a Parse error; anything unexpected stays internal.
func (c *Controller) DBError(ctx context.Context, err error) error { return c.dbError(ctx, err) }

// PipelineError is DBError for a command the client wrote (an aggregate pipeline, a distinct): the
// database refusing it is the client's error, 102, unless the refusal is about the database's state
// (a node stepping down or shutting down, rights) or a network error, which stay internal.
func (c *Controller) PipelineError(ctx context.Context, err error) error {
	var ce mongo.CommandError
	if errors.As(err, &ce) && !mongo.IsNetworkError(err) && !mongo.IsTimeout(err) && !stateErrorCodes[ce.Code] {
		if c.Log != nil {
			c.Log.WarnContext(ctx, "database rejected a pipeline", "code", ce.Code, "err", ce.Message)
		}
		return parse.Errorf(parse.InvalidQuery, "The database (%s) cannot run this aggregate query.", capsName(c.Caps))
	}
	return c.dbError(ctx, err)
}

// stateErrorCodes are server errors about the deployment, not the command: Unauthorized,
// InterruptedAtShutdown, ShutdownInProgress, PrimarySteppedDown, NotWritablePrimary,
// NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, HostUnreachable, HostNotFound, NetworkTimeout.
var stateErrorCodes = map[int32]bool{13: true, 11600: true, 91: true, 189: true, 10107: true, 13435: true, 13436: true, 6: true, 7: true, 89: true}

func (c *Controller) dbError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := parse.As(err); ok {
		return err
	}
	if mongo.IsDuplicateKeyError(err) {
		return parse.NewError(parse.DuplicateValue, "A duplicate value for a field with unique values was provided")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return parse.NewError(parse.Timeout, "The database did not answer in time.")
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		if ce.Code == 73 { // InvalidNamespace: a collection name the database refuses
			return parse.NewError(parse.InvalidClassName, "Invalid classname: the database refuses a collection of this name.")
		}
		switch ce.Code {
		case 2, 9, 14, 238, 51091, 51108, 17287, 16810, 291:
			if c.Log != nil {
				c.Log.WarnContext(ctx, "database rejected a query", "code", ce.Code, "err", ce.Message)
			}
			return parse.Errorf(parse.InvalidQuery, "The database (%s) cannot evaluate this query.", capsName(c.Caps))
		}
		if strings.Contains(ce.Message, "nested arrays") {
			return parse.Errorf(parse.IncorrectType, "The database (%s) cannot store nested arrays (such as Polygon coordinates).", capsName(c.Caps))
		}
	}
	var we mongo.WriteException
	if errors.As(err, &we) {
		for _, e := range we.WriteErrors {
			if strings.Contains(e.Message, "nested arrays") {
				return parse.Errorf(parse.IncorrectType, "The database (%s) cannot store nested arrays (such as Polygon coordinates).", capsName(c.Caps))
			}
		}
	}
	return err
}

func capsName(c query.Caps) string {
	if c.Name == "" {
		return "MongoDB"
	}
	return c.Name
}
