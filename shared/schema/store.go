package schema

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/bsonx"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/parse"
)

// Collection is the name of the schema collection.
const Collection = "_SCHEMA"

// Class is the schema of one class.
type Class struct {
	Name   string
	Fields map[string]Field // every field, the default and system ones included
	// CLP is _metadata.class_permissions as stored; nil when the class has none (public).
	CLP map[string]any
	// Indexes maps an index name to its ordered key spec.
	Indexes map[string]bson.D
	exists  bool // a _SCHEMA document exists (or the class is a system class)
}

// Field returns the field called name.
func (c *Class) Field(name string) (Field, bool) {
	if c == nil {
		return Field{}, false
	}
	f, ok := c.Fields[name]
	return f, ok
}

// Exists tells whether the class exists (system classes always do).
func (c *Class) Exists() bool { return c != nil && c.exists }

// clone copies the class so a cached value is never changed in place.
func (c *Class) clone() *Class {
	n := &Class{Name: c.Name, Fields: make(map[string]Field, len(c.Fields)), CLP: c.CLP, Indexes: c.Indexes, exists: c.exists}
	for k, v := range c.Fields {
		n.Fields[k] = v
	}
	return n
}

// SystemClass returns the built-in schema of a system class (its default and system fields).
func SystemClass(name string) *Class { return newClass(name) }

func newClass(name string) *Class {
	c := &Class{Name: name, Fields: map[string]Field{}, Indexes: map[string]bson.D{}}
	for k, v := range DefaultFields {
		c.Fields[k] = v
	}
	for k, v := range SystemFields[name] {
		c.Fields[k] = v
	}
	c.exists = IsSystemClass(name)
	return c
}

// Store reads and writes _SCHEMA, with a short-lived cache. Schema writes are serialized within the
// process, so concurrent field additions never lose a write on a database without atomic updates.
type Store struct {
	db  *mongo.Database
	ttl time.Duration

	writeMu sync.Mutex
	mu      sync.RWMutex
	cache   map[string]*Class
	loaded  time.Time
}

// NewStore builds a schema store over db. ttl bounds how stale the cache may be (Parse Server: 5 s).
func NewStore(db *mongo.Database, ttl time.Duration) *Store {
	return &Store{db: db, ttl: ttl}
}

// Invalidate drops the cache.
func (s *Store) Invalidate() {
	s.mu.Lock()
	s.cache = nil
	s.mu.Unlock()
}

func (s *Store) all(ctx context.Context, fresh bool) (map[string]*Class, error) {
	s.mu.RLock()
	if !fresh && s.cache != nil && time.Since(s.loaded) < s.ttl {
		c := s.cache
		s.mu.RUnlock()
		return c, nil
	}
	s.mu.RUnlock()
	cur, err := s.db.Collection(Collection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", Collection, err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read %s: %w", Collection, err)
	}
	m := make(map[string]*Class, len(docs))
	for _, d := range docs {
		c := classFromDoc(d)
		if c != nil && !VolatileClasses[c.Name] {
			m[c.Name] = c
		}
	}
	s.mu.Lock()
	s.cache, s.loaded = m, time.Now()
	s.mu.Unlock()
	return m, nil
}

// Get returns the class's schema. A class that does not exist comes back with Exists() false and only
// the default fields, so callers can still encode and decode against it.
func (s *Store) Get(ctx context.Context, name string) (*Class, error) {
	return s.get(ctx, name, false)
}

func (s *Store) get(ctx context.Context, name string, fresh bool) (*Class, error) {
	m, err := s.all(ctx, fresh)
	if err != nil {
		return nil, err
	}
	if c, ok := m[name]; ok {
		return c, nil
	}
	if c, ok := builtinClasses()[name]; ok {
		return c, nil
	}
	return newClass(name), nil
}

// builtinClasses are the schemas of the system classes as they are without a _SCHEMA document, built
// once. get answers them, read-only as every cached class is, rather than building one per call: a
// _User without added fields is read several times in every sign-up and login.
var builtinClasses = sync.OnceValue(func() map[string]*Class {
	m := map[string]*Class{}
	for _, name := range SystemClasses {
		m[name] = newClass(name)
	}
	for name := range VolatileClasses {
		m[name] = newClass(name)
	}
	return m
})

// All returns every class with a schema, system classes included, sorted by name.
func (s *Store) All(ctx context.Context) ([]*Class, error) {
	m, err := s.all(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]*Class, 0, len(m)+4)
	for _, c := range m {
		out = append(out, c)
	}
	for _, sys := range []string{"_User", "_Role", "_Session", "_Installation"} {
		if _, ok := m[sys]; !ok {
			out = append(out, newClass(sys))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func classFromDoc(d bson.M) *Class {
	name, _ := d["_id"].(string)
	if name == "" {
		return nil
	}
	c := newClass(name)
	c.exists = true
	for k, v := range d {
		switch k {
		case "_id", "_metadata", "_client_permissions", "objectId", "createdAt", "updatedAt":
			continue
		}
		t, ok := v.(string)
		if !ok {
			continue
		}
		if f, ok := FieldFromMongo(t); ok {
			c.Fields[k] = f
		}
	}
	if md, ok := bsonx.Map(d["_metadata"]); ok {
		if clp, ok := bsonx.Map(md["class_permissions"]); ok {
			c.CLP = plain(clp).(map[string]any)
		}
		if idx, ok := bsonx.Map(md["indexes"]); ok {
			for n, spec := range idx {
				if sd, ok := spec.(bson.D); ok {
					c.Indexes[n] = sd
				} else if sm, ok := bsonx.Map(spec); ok {
					var sd bson.D
					for k, v := range sm {
						sd = append(sd, bson.E{Key: k, Value: v})
					}
					c.Indexes[n] = sd
				}
			}
		}
		if fo, ok := bsonx.Map(md["fields_options"]); ok {
			for fname, o := range fo {
				om, ok := bsonx.Map(o)
				f, exists := c.Fields[fname]
				if !ok || !exists {
					continue
				}
				if r, ok := om["required"].(bool); ok {
					f.Required = r
				}
				if dv, ok := om["defaultValue"]; ok {
					f.DefaultValue = plain(dv)
				}
				c.Fields[fname] = f
			}
		}
	}
	return c
}

// plain turns BSON containers into map[string]any and []any.
func plain(v any) any {
	switch t := v.(type) {
	case bson.D, bson.M, map[string]any:
		m, _ := bsonx.Map(t)
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = plain(x)
		}
		return out
	case bson.A:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plain(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plain(x)
		}
		return out
	case int32:
		return int64(t)
	}
	return v
}

// AddFields makes sure class has fields, creating the class when create is true. A field of another
// type answers 111. The returned class is the stored schema after the change.
func (s *Store) AddFields(ctx context.Context, class string, fields map[string]Field, create bool) (*Class, error) {
	cur, err := s.Get(ctx, class)
	if err != nil {
		return nil, err
	}
	missing, err := diff(cur, fields)
	if err != nil {
		// The cache may be stale: read again before refusing.
		if cur, err = s.get(ctx, class, true); err != nil {
			return nil, err
		}
		if missing, err = diff(cur, fields); err != nil {
			return nil, err
		}
	}
	if len(missing) == 0 && (cur.exists || !create) {
		return cur, nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, err = s.get(ctx, class, true)
	if err != nil {
		return nil, err
	}
	if missing, err = diff(cur, fields); err != nil {
		return nil, err
	}
	if !cur.exists && !create {
		return cur, nil
	}
	if len(missing) == 0 && cur.exists {
		return cur, nil
	}
	if !cur.exists {
		if err := s.insertClass(ctx, class, missing, nil); err != nil {
			return nil, err
		}
	} else {
		set := bson.D{}
		for k, f := range missing {
			set = append(set, bson.E{Key: k, Value: f.MongoType()})
		}
		// A system class may have no _SCHEMA document yet: the upsert makes it.
		if _, err := s.db.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: class}}, bson.D{{Key: "$set", Value: set}}, upsert()); err != nil {
			return nil, fmt.Errorf("update %s: %w", Collection, err)
		}
	}
	return s.get(ctx, class, true)
}

// upsert makes an update of a _SCHEMA document create it when missing, which happens for system
// classes (they exist without a document until a field, a CLP or an index is added).
func upsert() options.Lister[options.UpdateOneOptions] {
	return options.UpdateOne().SetUpsert(true)
}

// diff returns the fields not yet in cur, or 111 for a type conflict.
func diff(cur *Class, fields map[string]Field) (map[string]Field, error) {
	missing := map[string]Field{}
	for name, f := range fields {
		have, ok := cur.Fields[name]
		if !ok {
			missing[name] = f
			continue
		}
		if !have.Equal(f) {
			return nil, parse.Errorf(parse.IncorrectType, "schema mismatch for %s.%s; expected %s but got %s", cur.Name, name, have.String(), f.String())
		}
	}
	if err := checkGeoPoints(cur, missing); err != nil {
		return nil, err
	}
	return missing, nil
}

func checkGeoPoints(cur *Class, add map[string]Field) error {
	n := 0
	for _, f := range cur.Fields {
		if f.Type == GeoPoint {
			n++
		}
	}
	for _, f := range add {
		if f.Type == GeoPoint {
			n++
		}
	}
	if n > 1 {
		return parse.NewError(parse.IncorrectType, "MongoDB only supports one GeoPoint field in a class.")
	}
	return nil
}

func (s *Store) insertClass(ctx context.Context, class string, fields map[string]Field, meta bson.D) error {
	doc := bson.D{{Key: "_id", Value: class}, {Key: "objectId", Value: "string"}, {Key: "updatedAt", Value: "string"}, {Key: "createdAt", Value: "string"}}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, isDefault := DefaultFields[k]; isDefault {
			continue
		}
		doc = append(doc, bson.E{Key: k, Value: fields[k].MongoType()})
	}
	if len(meta) > 0 {
		doc = append(doc, bson.E{Key: "_metadata", Value: meta})
	}
	_, err := s.db.Collection(Collection).InsertOne(ctx, doc)
	if mongo.IsDuplicateKeyError(err) {
		return nil // created concurrently by another container
	}
	if err != nil {
		return fmt.Errorf("insert %s: %w", Collection, err)
	}
	return nil
}

// ErrClassExists is returned by Create for a class that already has a schema.
var ErrClassExists = errors.New("class exists")

// Definition is what a /schemas request declares.
type Definition struct {
	Fields  map[string]Field
	CLP     map[string]any // nil: leave as is (create: public)
	Indexes []Index        // to create
}

// Index is a named, ordered key spec.
type Index struct {
	Name string
	Keys bson.D
}

// Create makes a new class. It answers 103 if the class exists already.
func (s *Store) Create(ctx context.Context, class string, def Definition) (*Class, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, err := s.get(ctx, class, true)
	if err != nil {
		return nil, err
	}
	if cur.exists && !IsSystemClass(class) {
		return nil, parse.Errorf(parse.InvalidClassName, "Class %s already exists.", class)
	}
	if cur.exists { // a system class without a _SCHEMA document yet: treat as an update
		if _, err := s.db.Collection(Collection).CountDocuments(ctx, bson.D{{Key: "_id", Value: class}}); err != nil {
			return nil, err
		}
	}
	if _, err := diff(cur, def.Fields); err != nil {
		return nil, err
	}
	meta := bson.D{}
	if def.CLP != nil {
		meta = append(meta, bson.E{Key: "class_permissions", Value: def.CLP})
	}
	idx := bson.D{}
	for _, ix := range def.Indexes {
		idx = append(idx, bson.E{Key: ix.Name, Value: ix.Keys})
	}
	if len(idx) > 0 {
		meta = append(meta, bson.E{Key: "indexes", Value: idx})
	}
	if opts := fieldOptions(def.Fields); len(opts) > 0 {
		meta = append(meta, bson.E{Key: "fields_options", Value: opts})
	}
	n, err := s.db.Collection(Collection).CountDocuments(ctx, bson.D{{Key: "_id", Value: class}})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		if err := s.update(ctx, class, def.Fields, nil, def.CLP, meta); err != nil {
			return nil, err
		}
	} else if err := s.insertClass(ctx, class, def.Fields, meta); err != nil {
		return nil, err
	}
	return s.get(ctx, class, true)
}

func fieldOptions(fields map[string]Field) bson.D {
	var out bson.D
	for name, f := range fields {
		if !f.Required && f.DefaultValue == nil {
			continue
		}
		o := bson.D{}
		if f.Required {
			o = append(o, bson.E{Key: "required", Value: true})
		}
		if f.DefaultValue != nil {
			o = append(o, bson.E{Key: "defaultValue", Value: f.DefaultValue})
		}
		out = append(out, bson.E{Key: name, Value: o})
	}
	return out
}

// Update adds and deletes fields, and replaces the CLP when given. Field deletion of a missing field,
// or adding an existing one, answers 255.
func (s *Store) Update(ctx context.Context, class string, add map[string]Field, del []string, clp map[string]any, addIdx []Index, delIdx []string) (*Class, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, err := s.get(ctx, class, true)
	if err != nil {
		return nil, err
	}
	if !cur.exists {
		return nil, parse.Errorf(parse.InvalidClassName, "Class %s does not exist.", class)
	}
	for name := range add {
		if _, ok := cur.Fields[name]; ok {
			return nil, parse.Errorf(parse.InvalidSchemaOperation, "Field %s exists, cannot update.", name)
		}
	}
	for _, name := range del {
		if _, ok := cur.Fields[name]; !ok {
			return nil, parse.Errorf(parse.InvalidSchemaOperation, "Field %s does not exist, cannot delete.", name)
		}
		if _, ok := DefaultFields[name]; ok {
			return nil, parse.Errorf(parse.ImmutableField, "field %s cannot be changed", name)
		}
	}
	if err := checkGeoPoints(cur, add); err != nil {
		return nil, err
	}
	for _, n := range delIdx {
		if _, ok := cur.Indexes[n]; !ok {
			return nil, parse.Errorf(parse.InvalidQuery, "Index %s does not exist, cannot delete.", n)
		}
	}
	for _, ix := range addIdx {
		if _, ok := cur.Indexes[ix.Name]; ok {
			return nil, parse.Errorf(parse.InvalidQuery, "Index %s exists, cannot update.", ix.Name)
		}
	}
	set := bson.D{}
	for k, f := range add {
		set = append(set, bson.E{Key: k, Value: f.MongoType()})
	}
	if opts := fieldOptions(add); len(opts) > 0 {
		for _, o := range opts {
			set = append(set, bson.E{Key: "_metadata.fields_options." + o.Key, Value: o.Value})
		}
	}
	if clp != nil {
		set = append(set, bson.E{Key: "_metadata.class_permissions", Value: clp})
	}
	for _, ix := range addIdx {
		set = append(set, bson.E{Key: "_metadata.indexes." + ix.Name, Value: ix.Keys})
	}
	unset := bson.D{}
	for _, n := range del {
		unset = append(unset, bson.E{Key: n, Value: ""})
		if strings.TrimSpace(n) != "" {
			if _, has := cur.Fields[n]; has && cur.Fields[n].Required {
				unset = append(unset, bson.E{Key: "_metadata.fields_options." + n, Value: ""})
			}
		}
	}
	for _, n := range delIdx {
		unset = append(unset, bson.E{Key: "_metadata.indexes." + n, Value: ""})
	}
	upd := bson.D{}
	if len(set) > 0 {
		upd = append(upd, bson.E{Key: "$set", Value: set})
	}
	if len(unset) > 0 {
		upd = append(upd, bson.E{Key: "$unset", Value: unset})
	}
	if len(upd) > 0 {
		if _, err := s.db.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: class}}, upd, upsert()); err != nil {
			return nil, fmt.Errorf("update %s: %w", Collection, err)
		}
	}
	return s.get(ctx, class, true)
}

func (s *Store) update(ctx context.Context, class string, add map[string]Field, _ []string, _ map[string]any, meta bson.D) error {
	set := bson.D{}
	for k, f := range add {
		if _, isDefault := DefaultFields[k]; isDefault {
			continue
		}
		set = append(set, bson.E{Key: k, Value: f.MongoType()})
	}
	for _, e := range meta {
		set = append(set, bson.E{Key: "_metadata." + e.Key, Value: e.Value})
	}
	if len(set) == 0 {
		return nil
	}
	_, err := s.db.Collection(Collection).UpdateOne(ctx, bson.D{{Key: "_id", Value: class}}, bson.D{{Key: "$set", Value: set}})
	return err
}

// Delete removes the class's schema document.
func (s *Store) Delete(ctx context.Context, class string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.db.Collection(Collection).DeleteOne(ctx, bson.D{{Key: "_id", Value: class}})
	s.Invalidate()
	return err
}
