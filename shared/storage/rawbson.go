package storage

import (
	"math"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// MarshalDoc encodes a document the engine built (Encode's bson.D of strings, numbers, booleans,
// dates, arrays and sub-documents) to BSON without the driver's reflection: the same bytes as
// bson.Marshal. Values of any other type are left to bson.Marshal. The driver sends a bson.Raw as it
// is, so creates and batches skip a second encoding.
func MarshalDoc(d bson.D) (bson.Raw, error) {
	if b, ok := appendDoc(make([]byte, 0, 256), d); ok {
		return b, nil
	}
	return bson.Marshal(d)
}

func appendDoc(dst []byte, d bson.D) ([]byte, bool) {
	idx, dst := bsoncore.ReserveLength(dst)
	for _, e := range d {
		var ok bool
		if dst, ok = appendElem(dst, e.Key, e.Value); !ok {
			return nil, false
		}
	}
	dst = append(dst, 0)
	return bsoncore.UpdateLength(dst, idx, int32(len(dst)-int(idx))), true
}

func appendElem(dst []byte, key string, v any) ([]byte, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return nil, false // bson.Marshal refuses it; let it say so
		}
	}
	switch x := v.(type) {
	case string:
		return bsoncore.AppendStringElement(dst, key, x), true
	case int32:
		return bsoncore.AppendInt32Element(dst, key, x), true
	case int64:
		return bsoncore.AppendInt64Element(dst, key, x), true
	case int:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return bsoncore.AppendInt32Element(dst, key, int32(x)), true
		}
		return bsoncore.AppendInt64Element(dst, key, int64(x)), true
	case float64:
		return bsoncore.AppendDoubleElement(dst, key, x), true
	case bool:
		return bsoncore.AppendBooleanElement(dst, key, x), true
	case nil:
		return bsoncore.AppendNullElement(dst, key), true
	case bson.DateTime:
		return bsoncore.AppendDateTimeElement(dst, key, int64(x)), true
	case bson.ObjectID:
		return bsoncore.AppendObjectIDElement(dst, key, x), true
	case bson.Binary:
		return bsoncore.AppendBinaryElement(dst, key, x.Subtype, x.Data), true
	case bson.D:
		dst = bsoncore.AppendHeader(dst, bsoncore.TypeEmbeddedDocument, key)
		return appendDoc(dst, x)
	case bson.A:
		dst = bsoncore.AppendHeader(dst, bsoncore.TypeArray, key)
		return appendArray(dst, x)
	case []any:
		dst = bsoncore.AppendHeader(dst, bsoncore.TypeArray, key)
		return appendArray(dst, x)
	}
	return nil, false
}

func appendArray(dst []byte, a []any) ([]byte, bool) {
	idx, dst := bsoncore.ReserveLength(dst)
	for i, v := range a {
		var ok bool
		if dst, ok = appendElem(dst, arrayKey(i), v); !ok {
			return nil, false
		}
	}
	dst = append(dst, 0)
	return bsoncore.UpdateLength(dst, idx, int32(len(dst)-int(idx))), true
}

// arrayKeys are the element names of the first array positions.
var arrayKeys = func() (k [64]string) {
	for i := range k {
		k[i] = strconv.Itoa(i)
	}
	return k
}()

func arrayKey(i int) string {
	if i < len(arrayKeys) {
		return arrayKeys[i]
	}
	return strconv.Itoa(i)
}
