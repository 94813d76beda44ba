package query

import (
	"bytes"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// SortNeedsEngine says whether a sort has keys only the engine can order by ($score's textScore).
func SortNeedsEngine(spec bson.D) bool {
	for _, e := range spec {
		if _, ok := e.Value.(bson.D); ok {
			return true
		}
	}
	return false
}

// SortDocs orders documents as MongoDB sorts them: for each key in turn, by BSON type order then
// value, a missing field counting as null, an array by its smallest element ascending and its largest
// descending. A {$meta: "textScore"} key orders by score, highest first.
func SortDocs(docs []bson.M, spec bson.D, score func(bson.M) float64) {
	type keyed struct {
		doc  bson.M
		vals []any
	}
	ks := make([]keyed, len(docs))
	for i, d := range docs {
		ks[i].doc = d
		for _, e := range spec {
			if _, meta := e.Value.(bson.D); meta {
				s := 0.0
				if score != nil {
					s = score(d)
				}
				ks[i].vals = append(ks[i].vals, s)
				continue
			}
			dir, _ := toF(e.Value)
			vals, present := pathValues(d, e.Key)
			var v any
			if present {
				v = sortValue(vals, dir < 0)
			}
			ks[i].vals = append(ks[i].vals, v)
		}
	}
	sort.SliceStable(ks, func(i, j int) bool {
		for n, e := range spec {
			c := CompareValues(ks[i].vals[n], ks[j].vals[n])
			if _, meta := e.Value.(bson.D); meta {
				c = -c
			} else if dir, _ := toF(e.Value); dir < 0 {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	for i := range ks {
		docs[i] = ks[i].doc
	}
}

// sortValue is the value a document sorts by at a path: arrays contribute their elements.
func sortValue(vals []any, desc bool) any {
	var cands []any
	for _, v := range vals {
		if a, ok := v.(bson.A); ok {
			if len(a) == 0 {
				cands = append(cands, nil)
			}
			cands = append(cands, a...)
			continue
		}
		cands = append(cands, v)
	}
	if len(cands) == 0 {
		return nil
	}
	best := cands[0]
	for _, c := range cands[1:] {
		n := CompareValues(c, best)
		if (!desc && n < 0) || (desc && n > 0) {
			best = c
		}
	}
	return best
}

func typeRank(v any) int {
	switch v.(type) {
	case nil:
		return 1
	case int32, int64, float64, int:
		return 2
	case string:
		return 3
	case bson.D, bson.M, map[string]any:
		return 4
	case bson.A, []any:
		return 5
	case bson.Binary:
		return 6
	case bson.ObjectID:
		return 7
	case bool:
		return 8
	case bson.DateTime:
		return 9
	case bson.Timestamp:
		return 10
	case bson.Regex:
		return 11
	}
	return 12
}

// CompareValues orders two BSON values as MongoDB does (type order first).
func CompareValues(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	if n, ok := compare(a, b); ok {
		return n
	}
	switch ta := a.(type) {
	case nil:
		return 0
	case bson.D, bson.M, map[string]any:
		da, db := asDOrdered(ta), asDOrdered(b)
		for i := 0; i < len(da) && i < len(db); i++ {
			if c := strings.Compare(da[i].Key, db[i].Key); c != 0 {
				return c
			}
			if c := CompareValues(da[i].Value, db[i].Value); c != 0 {
				return c
			}
		}
		return len(da) - len(db)
	case bson.A, []any:
		aa, ab := asA(ta), asA(b)
		for i := 0; i < len(aa) && i < len(ab); i++ {
			if c := CompareValues(aa[i], ab[i]); c != 0 {
				return c
			}
		}
		return len(aa) - len(ab)
	case bson.Binary:
		return bytes.Compare(ta.Data, b.(bson.Binary).Data)
	case bson.ObjectID:
		tb := b.(bson.ObjectID)
		return bytes.Compare(ta[:], tb[:])
	}
	return 0
}

// HasText says whether a database filter or the engine clauses hold a $text query.
func HasText(filter bson.D, engine []bson.D) bool {
	if FindText(engine) != nil {
		return true
	}
	var walk func(d bson.D) bool
	walk = func(d bson.D) bool {
		for _, e := range d {
			if e.Key == "$text" {
				return true
			}
			if e.Key == "$and" {
				for _, s := range asA(e.Value) {
					if walk(asD(s)) {
						return true
					}
				}
			}
		}
		return false
	}
	return walk(filter)
}
