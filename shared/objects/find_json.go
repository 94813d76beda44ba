package objects

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/storage"
)

// The fast read path. A get or find whose answer is exactly the stored objects (no find triggers
// on the class, no include, keys or excludeKeys, nothing hidden from the caller, no clause the
// engine evaluates) is written as REST JSON straight from the BSON the database returns
// (storage.AppendJSON): no maps, no reflection. Anything else takes the decoded path, which gives
// the same JSON.

// FindJSON is Find for an answer that goes straight to the client: FindResult.Encoded holds the
// results as a JSON array when the fast path applies, else Results holds them as Find's do.
func (c *Controller) FindJSON(ctx context.Context, a *auth.Auth, className string, opts query.Options) (*FindResult, error) {
	if !c.fastRead(ctx, className, opts) {
		return c.Find(ctx, a, className, opts)
	}
	return c.find(ctx, a, className, opts, true)
}

// GetJSON is Get for an answer that goes straight to the client: the object's REST JSON when the
// fast path applies (obj is nil then), else the object as Get returns it.
func (c *Controller) GetJSON(ctx context.Context, a *auth.Auth, className, id string, opts query.Options) (obj map[string]any, encoded []byte, err error) {
	if !c.fastRead(ctx, className, opts) {
		obj, err := c.Get(ctx, a, className, id, opts)
		return obj, nil, err
	}
	return c.get(ctx, a, className, id, opts, true)
}

// fastRead tells whether the request may take the fast path, as far as it is known before the
// class is read (encodable checks the rest).
func (c *Controller) fastRead(ctx context.Context, className string, opts query.Options) bool {
	if len(opts.Include) > 0 || opts.IncludeAll || opts.Keys != nil || len(opts.ExcludeKeys) > 0 {
		return false
	}
	if t := c.triggers(ctx); t != nil && (t.Has(ctx, TriggerBeforeFind, className) || t.Has(ctx, TriggerAfterFind, className)) {
		return false
	}
	return true
}

// encodable tells whether the caller sees the stored objects of cls as they are: nothing is
// protected from them, and the class is not _User (whose authData is per caller).
func encodable(cls *schema.Class, a *auth.Auth) bool {
	return cls.Name != "_User" && len(protectedFields(cls, a)) == 0
}

// appendObject writes one stored object; what storage.AppendJSON leaves to the decoded path is
// decoded and marshalled here, so the answer is the same either way.
func (c *Controller) appendObject(dst []byte, cls *schema.Class, raw bson.Raw) ([]byte, error) {
	if out, ok := storage.AppendJSON(dst, cls, raw, c.FileURL); ok {
		return out, nil
	}
	var doc bson.M
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return dst, parse.NewError(parse.InternalServerError, "decode a stored object: "+err.Error())
	}
	b, err := storage.MarshalJSON(storage.Decode(cls, doc, c.FileURL))
	if err != nil {
		return dst, parse.NewError(parse.InternalServerError, "encode a stored object: "+err.Error())
	}
	return append(dst, b...), nil
}

// encodeAll writes every document of cur into res.Encoded as a JSON array.
func (c *Controller) encodeAll(ctx context.Context, cls *schema.Class, cur *mongo.Cursor, res *FindResult) (*FindResult, error) {
	defer cur.Close(ctx)
	buf := make([]byte, 0, 4096)
	buf = append(buf, '[')
	n := 0
	for cur.Next(ctx) {
		if n > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = c.appendObject(buf, cls, cur.Current); err != nil {
			return nil, err
		}
		n++
	}
	if err := cur.Err(); err != nil {
		return nil, c.dbError(ctx, err)
	}
	res.Results = nil
	res.Encoded = append(buf, ']')
	return res, nil
}
