package query

import (
	"math"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/storage"
)

// Distances as Parse Server converts them (MongoTransform.js): $maxDistanceInKilometers is divided by
// 6371 and $maxDistanceInMiles by 3959 (the JS SDK itself converts withinMiles with 3958.8 and sends
// radians). Everything below works in radians on a unit sphere, as MongoDB does.
const (
	EarthRadiusKm    = 6371.0
	EarthRadiusMiles = 3959.0
	// earthRadiusMeters is what MongoDB uses between radians and the meters of GeoJSON queries.
	earthRadiusMeters = 6378100.0
)

// geoOps are the Parse constraint keys that make a geo query.
var geoOps = map[string]bool{"$nearSphere": true, "$maxDistance": true, "$maxDistanceInRadians": true, "$maxDistanceInKilometers": true, "$maxDistanceInMiles": true, "$within": true, "$geoWithin": true, "$geoIntersects": true}

type geoPoint struct{ lng, lat float64 }

// restGeoPoint reads {__type: "GeoPoint", latitude, longitude}.
func restGeoPoint(v any) (geoPoint, bool) {
	m, ok := v.(map[string]any)
	if !ok || m["__type"] != "GeoPoint" {
		return geoPoint{}, false
	}
	lat, ok1 := storage.ToFloat(m["latitude"])
	lng, ok2 := storage.ToFloat(m["longitude"])
	if !ok1 || !ok2 {
		return geoPoint{}, false
	}
	return geoPoint{lng: lng, lat: lat}, true
}

// validateGeoPoint is Parse.GeoPoint._validate: it throws a TypeError, which Parse Server answers as an
// internal error (code 1).
func validateGeoPoint(lat, lng float64) error {
	switch {
	case math.IsNaN(lat) || math.IsNaN(lng):
		return parse.NewError(parse.InternalServerError, "GeoPoint latitude and longitude must be valid numbers")
	case lat < -90:
		return parse.Errorf(parse.InternalServerError, "GeoPoint latitude out of bounds: %v < -90.0.", lat)
	case lat > 90:
		return parse.Errorf(parse.InternalServerError, "GeoPoint latitude out of bounds: %v > 90.0.", lat)
	case lng < -180:
		return parse.Errorf(parse.InternalServerError, "GeoPoint longitude out of bounds: %v < -180.0.", lng)
	case lng > 180:
		return parse.Errorf(parse.InternalServerError, "GeoPoint longitude out of bounds: %v > 180.0.", lng)
	}
	return nil
}

// pairPoint reads a [x, y] array.
func pairPoint(v any) (geoPoint, bool) {
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return geoPoint{}, false
	}
	x, ok1 := storage.ToFloat(a[0])
	y, ok2 := storage.ToFloat(a[1])
	return geoPoint{lng: x, lat: y}, ok1 && ok2
}

func (p geoPoint) bson() bson.A { return bson.A{p.lng, p.lat} }

// geoConstraint builds MongoDB's legacy form of Parse's geo constraints exactly as Parse Server's
// MongoTransform does, with its validation. count makes $nearSphere a $geoWithin $centerSphere (what
// Parse Server sends for counts, since MongoDB cannot count a $nearSphere).
func geoConstraint(m map[string]any, count bool) (bson.D, error) {
	out := bson.D{}
	var maxDist *float64
	// Later keys win, as in Parse Server, which walks the keys in reverse alphabetical order.
	for _, k := range []string{"$maxDistanceInRadians", "$maxDistanceInMiles", "$maxDistanceInKilometers", "$maxDistance"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		f, ok := storage.ToFloat(v)
		if !ok || math.IsNaN(f) {
			return nil, parse.Errorf(parse.InvalidJSON, "bad %s value", k)
		}
		switch k {
		case "$maxDistanceInMiles":
			f /= EarthRadiusMiles
		case "$maxDistanceInKilometers":
			f /= EarthRadiusKm
		}
		maxDist = &f
	}
	if ns, ok := m["$nearSphere"]; ok {
		p, ok := restGeoPoint(ns)
		if !ok {
			return nil, parse.NewError(parse.InvalidJSON, "bad $nearSphere value; should be a GeoPoint")
		}
		if err := validateGeoPoint(p.lat, p.lng); err != nil {
			return nil, err
		}
		if count {
			r := math.Pi
			if maxDist != nil {
				r = *maxDist
			}
			out = append(out, bson.E{Key: "$geoWithin", Value: bson.D{{Key: "$centerSphere", Value: bson.A{p.bson(), r}}}})
		} else {
			out = append(out, bson.E{Key: "$nearSphere", Value: p.bson()})
			if maxDist != nil {
				out = append(out, bson.E{Key: "$maxDistance", Value: *maxDist})
			}
		}
	} else if maxDist != nil {
		return nil, parse.NewError(parse.InvalidJSON, "$maxDistance needs $nearSphere")
	}
	if w, ok := m["$within"]; ok {
		wm, _ := w.(map[string]any)
		box, _ := wm["$box"].([]any)
		if len(box) != 2 {
			return nil, parse.NewError(parse.InvalidJSON, "malformatted $within arg")
		}
		a, ok1 := restGeoPoint(box[0])
		b, ok2 := restGeoPoint(box[1])
		if !ok1 || !ok2 {
			return nil, parse.NewError(parse.InvalidJSON, "malformatted $within arg")
		}
		out = append(out, bson.E{Key: "$within", Value: bson.D{{Key: "$box", Value: bson.A{a.bson(), b.bson()}}}})
	}
	if g, ok := m["$geoWithin"]; ok {
		gm, _ := g.(map[string]any)
		poly, hasPoly := gm["$polygon"]
		cs, hasCS := gm["$centerSphere"]
		switch {
		case hasPoly:
			var pts []any
			switch t := poly.(type) {
			case map[string]any:
				coords, _ := t["coordinates"].([]any)
				if t["__type"] != "Polygon" {
					return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; $polygon should be Polygon object or Array of Parse.GeoPoint's")
				}
				if len(coords) < 3 {
					return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; Polygon.coordinates should contain at least 3 lon/lat pairs")
				}
				pts = coords
			case []any:
				if len(t) < 3 {
					return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; $polygon should contain at least 3 GeoPoints")
				}
				pts = t
			default:
				return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; $polygon should be Polygon object or Array of Parse.GeoPoint's")
			}
			ring := bson.A{}
			for _, x := range pts {
				// A [a, b] pair is passed on as it is ([longitude, latitude]), a GeoPoint as [lng, lat].
				if p, ok := pairPoint(x); ok {
					if err := validateGeoPoint(p.lat, p.lng); err != nil {
						return nil, err
					}
					ring = append(ring, p.bson())
					continue
				}
				p, ok := restGeoPoint(x)
				if !ok {
					return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value")
				}
				if err := validateGeoPoint(p.lat, p.lng); err != nil {
					return nil, err
				}
				ring = append(ring, p.bson())
			}
			out = append(out, bson.E{Key: "$geoWithin", Value: bson.D{{Key: "$polygon", Value: ring}}})
		case hasCS:
			arr, ok := cs.([]any)
			if !ok || len(arr) < 2 {
				return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; $centerSphere should be an array of Parse.GeoPoint and distance")
			}
			p, ok := pairPoint(arr[0])
			if !ok {
				if p, ok = restGeoPoint(arr[0]); !ok {
					return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; $centerSphere geo point invalid")
				}
			}
			if err := validateGeoPoint(p.lat, p.lng); err != nil {
				return nil, err
			}
			d, ok := storage.ToFloat(arr[1])
			if !ok || math.IsNaN(d) || d < 0 {
				return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; $centerSphere distance invalid")
			}
			out = append(out, bson.E{Key: "$geoWithin", Value: bson.D{{Key: "$centerSphere", Value: bson.A{p.bson(), d}}}})
		default:
			return nil, parse.NewError(parse.InvalidJSON, "bad $geoWithin value; needs $polygon or $centerSphere")
		}
	}
	if g, ok := m["$geoIntersects"]; ok {
		gm, _ := g.(map[string]any)
		p, ok := restGeoPoint(gm["$point"])
		if !ok {
			return nil, parse.NewError(parse.InvalidJSON, "bad $geoIntersect value; $point should be GeoPoint")
		}
		if err := validateGeoPoint(p.lat, p.lng); err != nil {
			return nil, err
		}
		out = append(out, bson.E{Key: "$geoIntersects", Value: bson.D{{Key: "$geometry", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: p.bson()}}}}})
	}
	if len(out) == 0 {
		return nil, parse.NewError(parse.InvalidJSON, "bad geo constraint")
	}
	return out, nil
}

// geoNarrow is a range filter on the stored [lng, lat] positions that every document matching the geo
// condition satisfies; the database evaluates it (FerretDB too) so that the engine sees fewer
// documents. It is nil when no useful range exists.
func geoNarrow(stored string, cond bson.D) []bson.D {
	const eps = 1e-9
	rng := func(minX, maxX, minY, maxY float64, lngLimit bool) []bson.D {
		out := []bson.D{{{Key: stored + ".1", Value: bson.D{{Key: "$gte", Value: minY - eps}, {Key: "$lte", Value: maxY + eps}}}}}
		if lngLimit {
			out = append(out, bson.D{{Key: stored + ".0", Value: bson.D{{Key: "$gte", Value: minX - eps}, {Key: "$lte", Value: maxX + eps}}}})
		}
		return out
	}
	capRange := func(c geoPoint, r float64) []bson.D {
		if r >= math.Pi || math.IsNaN(r) {
			return nil
		}
		rd := r * 180 / math.Pi
		minY, maxY := c.lat-rd, c.lat+rd
		if minY <= -90 || maxY >= 90 {
			return rng(0, 0, math.Max(minY, -90), math.Min(maxY, 90), false)
		}
		dl := math.Asin(math.Min(1, math.Sin(r)/math.Cos(c.lat*math.Pi/180))) * 180 / math.Pi
		minX, maxX := c.lng-dl, c.lng+dl
		return rng(minX, maxX, minY, maxY, minX >= -180 && maxX <= 180)
	}
	var near *geoPoint
	maxDist := math.Inf(1)
	for _, e := range cond {
		switch e.Key {
		case "$nearSphere":
			if p, ok := storedPoint(e.Value); ok {
				near = &p
			}
		case "$maxDistance":
			if f, ok := toF(e.Value); ok {
				maxDist = f
			}
		case "$within", "$geoWithin":
			shape := asD(e.Value)
			for _, s := range shape {
				switch s.Key {
				case "$box":
					b := asA(s.Value)
					if len(b) != 2 {
						return nil
					}
					p1, ok1 := storedPoint(b[0])
					p2, ok2 := storedPoint(b[1])
					if !ok1 || !ok2 {
						return nil
					}
					return rng(math.Min(p1.lng, p2.lng), math.Max(p1.lng, p2.lng), math.Min(p1.lat, p2.lat), math.Max(p1.lat, p2.lat), true)
				case "$polygon":
					pts := asA(s.Value)
					if len(pts) == 0 {
						return nil
					}
					minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
					for _, x := range pts {
						p, ok := storedPoint(x)
						if !ok {
							return nil
						}
						minX, maxX = math.Min(minX, p.lng), math.Max(maxX, p.lng)
						minY, maxY = math.Min(minY, p.lat), math.Max(maxY, p.lat)
					}
					return rng(minX, maxX, minY, maxY, true)
				case "$centerSphere":
					a := asA(s.Value)
					if len(a) != 2 {
						return nil
					}
					c, ok := storedPoint(a[0])
					r, ok2 := toF(a[1])
					if !ok || !ok2 {
						return nil
					}
					return capRange(c, r)
				}
			}
		}
	}
	if near != nil && !math.IsInf(maxDist, 1) {
		return capRange(*near, maxDist)
	}
	return nil
}

// storedPoint reads a stored location: a [lng, lat] pair, a GeoJSON Point or a document with two
// numbers (MongoDB's legacy forms).
func storedPoint(v any) (geoPoint, bool) {
	switch t := v.(type) {
	case bson.A, []any:
		a := asA(t)
		if len(a) != 2 {
			return geoPoint{}, false
		}
		x, ok1 := toF(a[0])
		y, ok2 := toF(a[1])
		return geoPoint{lng: x, lat: y}, ok1 && ok2
	case bson.D, bson.M, map[string]any:
		d := asDOrdered(t)
		if tp, ok := get(d, "type"); ok {
			if tp != "Point" {
				return geoPoint{}, false
			}
			c, _ := get(d, "coordinates")
			return storedPoint(c)
		}
		if len(d) != 2 {
			return geoPoint{}, false
		}
		x, ok1 := toF(d[0].Value)
		y, ok2 := toF(d[1].Value)
		return geoPoint{lng: x, lat: y}, ok1 && ok2
	}
	return geoPoint{}, false
}

// asDOrdered is asD, keeping the order of a bson.D (maps have none).
func asDOrdered(v any) bson.D {
	if d, ok := v.(bson.D); ok {
		return d
	}
	return asD(v)
}

// sphereDist is the angle in radians between two points (haversine).
func sphereDist(a, b geoPoint) float64 {
	const rad = math.Pi / 180
	la1, la2 := a.lat*rad, b.lat*rad
	dLat := la2 - la1
	dLng := (b.lng - a.lng) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * math.Asin(math.Min(1, math.Sqrt(h)))
}

// geoLocations are the locations held at a path: each value that is a point, and the points of
// arrays of points.
func geoLocations(vals []any) []geoPoint {
	var out []geoPoint
	for _, v := range vals {
		if p, ok := storedPoint(v); ok {
			out = append(out, p)
			continue
		}
		for _, el := range asA(v) {
			if p, ok := storedPoint(el); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// matchGeo evaluates one geo operator of cond against the values at a path. The operators are
// MongoDB's: $nearSphere (with the $maxDistance of the same condition), $within/$geoWithin with a
// legacy $box or $polygon (planar, boundary included) or $centerSphere (spherical), and $geoIntersects
// with a GeoJSON Point (against stored polygons, spherical).
func matchGeo(op string, arg any, cond bson.D, vals []any) bool {
	switch op {
	case "$nearSphere":
		c, ok := storedPoint(arg)
		if !ok {
			return false
		}
		maxD := math.Inf(1)
		for _, e := range cond {
			if e.Key == "$maxDistance" {
				if f, ok := toF(e.Value); ok {
					maxD = f
				}
			}
		}
		for _, p := range geoLocations(vals) {
			if sphereDist(c, p) <= maxD {
				return true
			}
		}
		return false
	case "$maxDistance", "$minDistance":
		return true // read by $nearSphere
	case "$within", "$geoWithin":
		shape := asD(arg)
		if len(shape) != 1 {
			return false
		}
		pts := geoLocations(vals)
		if len(pts) == 0 {
			return false
		}
		// A document with several locations is within the shape only if all of them are.
		for _, p := range pts {
			if !shapeContains(shape[0].Key, shape[0].Value, p) {
				return false
			}
		}
		return true
	case "$geoIntersects":
		g, ok := get(asDOrdered(arg), "$geometry")
		if !ok {
			return false
		}
		q, ok := storedPoint(g)
		if !ok {
			return false
		}
		for _, v := range vals {
			if ring, ok := storedPolygon(v); ok {
				if sphericalPolygonContains(ring, q) {
					return true
				}
				continue
			}
			for _, p := range geoLocations([]any{v}) {
				if p == q {
					return true
				}
			}
		}
		return false
	}
	return false
}

func shapeContains(kind string, v any, p geoPoint) bool {
	switch kind {
	case "$box":
		b := asA(v)
		if len(b) != 2 {
			return false
		}
		a, ok1 := storedPoint(b[0])
		c, ok2 := storedPoint(b[1])
		if !ok1 || !ok2 {
			return false
		}
		// MongoDB orders the corners itself and includes the edges.
		return p.lng >= math.Min(a.lng, c.lng) && p.lng <= math.Max(a.lng, c.lng) && p.lat >= math.Min(a.lat, c.lat) && p.lat <= math.Max(a.lat, c.lat)
	case "$polygon":
		var ring []geoPoint
		for _, x := range asA(v) {
			q, ok := storedPoint(x)
			if !ok {
				return false
			}
			ring = append(ring, q)
		}
		return len(ring) >= 3 && planarPolygonContains(ring, p)
	case "$centerSphere":
		a := asA(v)
		if len(a) != 2 {
			return false
		}
		c, ok := storedPoint(a[0])
		r, ok2 := toF(a[1])
		return ok && ok2 && sphereDist(c, p) <= r
	}
	return false
}

// planarPolygonContains is the containment test of MongoDB's legacy $polygon: flat [x, y] geometry,
// ray casting, with vertices, horizontal and vertical edges counting as inside.
func planarPolygonContains(ring []geoPoint, p geoPoint) bool {
	n := len(ring)
	crossings := 0
	a := ring[0]
	for i := 1; i <= n; i++ {
		b := ring[i%n]
		if p == a || p == b {
			return true
		}
		if a.lat == b.lat && p.lat == a.lat && p.lng >= math.Min(a.lng, b.lng) && p.lng <= math.Max(a.lng, b.lng) {
			return true
		}
		if p.lat > math.Min(a.lat, b.lat) && p.lat <= math.Max(a.lat, b.lat) && p.lng <= math.Max(a.lng, b.lng) && a.lat != b.lat {
			if a.lng == b.lng && p.lng == a.lng {
				return true
			}
			x := (p.lat-a.lat)*(b.lng-a.lng)/(b.lat-a.lat) + a.lng
			if a.lng == b.lng || p.lng <= x {
				crossings++
			}
		}
		a = b
	}
	return crossings%2 == 1
}

// storedPolygon reads a stored Polygon: GeoJSON {type: Polygon, coordinates: [[[lng, lat], ...]]}, or
// the flat form the embedded database stores (see storage.FlattenPolygon). It returns the outer ring.
func storedPolygon(v any) ([]geoPoint, bool) {
	if !isDoc(v) {
		return nil, false
	}
	d := asDOrdered(v)
	if tp, _ := get(d, "type"); tp != "Polygon" {
		return nil, false
	}
	var raw []any
	if c, ok := get(d, "coordinates"); ok {
		rings := asA(c)
		if len(rings) == 0 {
			return nil, false
		}
		raw = asA(rings[0])
	} else if r, ok := get(d, storage.FlatPolygonKey); ok {
		raw = asA(r)
	}
	var ring []geoPoint
	for _, x := range raw {
		p, ok := storedPoint(x)
		if !ok {
			return nil, false
		}
		ring = append(ring, p)
	}
	if len(ring) > 1 && ring[0] == ring[len(ring)-1] {
		ring = ring[:len(ring)-1]
	}
	return ring, len(ring) >= 3
}

type vec3 struct{ x, y, z float64 }

func toVec(p geoPoint) vec3 {
	const rad = math.Pi / 180
	la, lo := p.lat*rad, p.lng*rad
	return vec3{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
}

func (a vec3) dot(b vec3) float64 { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec3) add(b vec3) vec3    { return vec3{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec3) scale(f float64) vec3 {
	return vec3{a.x * f, a.y * f, a.z * f}
}
func (a vec3) cross(b vec3) vec3 {
	return vec3{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x}
}
func (a vec3) norm() float64 { return math.Sqrt(a.dot(a)) }

// sphericalPolygonContains is $geoIntersects of a point with a GeoJSON polygon as MongoDB's 2dsphere
// geometry sees it: edges are great-circle arcs and the polygon is the smaller of the two regions its
// ring bounds. The ring and the point are projected gnomonically around the ring's centre, which maps
// great circles to straight lines, and tested there (boundary included).
func sphericalPolygonContains(ring []geoPoint, p geoPoint) bool {
	var c vec3
	vs := make([]vec3, len(ring))
	for i, q := range ring {
		vs[i] = toVec(q)
		c = c.add(vs[i])
	}
	if c.norm() < 1e-12 {
		return planarPolygonContains(ring, p)
	}
	c = c.scale(1 / c.norm())
	for _, v := range vs {
		if v.dot(c) <= 1e-12 { // the ring does not fit in the hemisphere around its centre
			return planarPolygonContains(ring, p)
		}
	}
	pv := toVec(p)
	if pv.dot(c) <= 0 {
		return false
	}
	// A tangent-plane basis at c.
	ref := vec3{0, 0, 1}
	if math.Abs(c.z) > 0.9 {
		ref = vec3{1, 0, 0}
	}
	u := ref.cross(c)
	u = u.scale(1 / u.norm())
	w := c.cross(u)
	proj := func(v vec3) geoPoint {
		d := v.dot(c)
		return geoPoint{lng: v.dot(u) / d, lat: v.dot(w) / d}
	}
	flat := make([]geoPoint, len(vs))
	for i, v := range vs {
		flat[i] = proj(v)
	}
	q := proj(pv)
	if onRingEdge(flat, q) {
		return true
	}
	return planarPolygonContains(flat, q)
}

// onRingEdge says whether q lies on an edge (within a tiny tolerance, for the projection's rounding).
func onRingEdge(ring []geoPoint, q geoPoint) bool {
	n := len(ring)
	for i := 0; i < n; i++ {
		a, b := ring[i], ring[(i+1)%n]
		dx, dy := b.lng-a.lng, b.lat-a.lat
		l2 := dx*dx + dy*dy
		if l2 == 0 {
			continue
		}
		t := ((q.lng-a.lng)*dx + (q.lat-a.lat)*dy) / l2
		if t < -1e-12 || t > 1+1e-12 {
			continue
		}
		cx, cy := a.lng+t*dx-q.lng, a.lat+t*dy-q.lat
		if cx*cx+cy*cy <= 1e-24*math.Max(1, l2) {
			return true
		}
	}
	return false
}

// NearSort finds the top-level $nearSphere of engine clauses (at the top or in a top-level $and): the
// stored path and the point results are ordered from.
func NearSort(engine []bson.D) (path string, center [2]float64, ok bool) {
	var walk func(d bson.D) bool
	walk = func(d bson.D) bool {
		for _, e := range d {
			if e.Key == "$and" {
				for _, s := range asA(e.Value) {
					if walk(asD(s)) {
						return true
					}
				}
				continue
			}
			if strings0(e.Key) == '$' || !isOperatorDoc(e.Value) {
				continue
			}
			for _, c := range e.Value.(bson.D) {
				if c.Key == "$nearSphere" {
					if p, isP := storedPoint(c.Value); isP {
						path, center, ok = e.Key, [2]float64{p.lng, p.lat}, true
						return true
					}
				}
			}
		}
		return false
	}
	for _, d := range engine {
		if walk(d) {
			return
		}
	}
	return "", [2]float64{}, false
}

func strings0(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// Distance is the smallest angle in radians from center to the locations of doc at path (+Inf when
// it has none), for ordering $nearSphere results.
func Distance(doc bson.M, path string, center [2]float64) float64 {
	vals, _ := pathValues(doc, path)
	c := geoPoint{lng: center[0], lat: center[1]}
	best := math.Inf(1)
	for _, p := range geoLocations(vals) {
		best = math.Min(best, sphereDist(c, p))
	}
	return best
}

// CountFilter rewrites a filter for counting: MongoDB cannot count a $nearSphere, so it becomes the
// $geoWithin $centerSphere of the same distance (Parse Server does the same for count queries).
func CountFilter(f bson.D) bson.D {
	out := make(bson.D, 0, len(f))
	for _, e := range f {
		switch e.Key {
		case "$and", "$or", "$nor":
			subs := bson.A{}
			for _, s := range asA(e.Value) {
				subs = append(subs, CountFilter(asD(s)))
			}
			out = append(out, bson.E{Key: e.Key, Value: subs})
			continue
		}
		d, ok := e.Value.(bson.D)
		if !ok || !isOperatorDoc(d) {
			out = append(out, e)
			continue
		}
		var near any
		r := math.Pi
		cond := bson.D{}
		for _, c := range d {
			switch c.Key {
			case "$nearSphere":
				near = c.Value
			case "$maxDistance":
				if f, ok := toF(c.Value); ok {
					r = f
				}
			default:
				cond = append(cond, c)
			}
		}
		if near == nil {
			out = append(out, e)
			continue
		}
		cond = append(cond, bson.E{Key: "$geoWithin", Value: bson.D{{Key: "$centerSphere", Value: bson.A{near, r}}}})
		out = append(out, bson.E{Key: e.Key, Value: cond})
	}
	return out
}

func hasGeoOp(m map[string]any) bool {
	for k := range m {
		if geoOps[k] {
			return true
		}
	}
	return false
}

// geoClause translates the geo constraints of one key: to the database when it evaluates them,
// otherwise to an engine clause, with a range pre-filter for the database at the top level.
func (t *Translator) geoClause(stored string, m map[string]any, depth int) ([]bson.D, error) {
	g, err := geoConstraint(m, t.Count)
	if err != nil {
		return nil, err
	}
	if _, near := get(g, "$nearSphere"); near {
		if t.orDepth > 0 {
			return nil, parse.NewError(parse.InvalidQuery, "geo near queries ($nearSphere: near, withinKilometers...) cannot be used inside $or or $nor; use the unsorted form (withinKilometers(key, point, distance, false))")
		}
		if t.nears++; t.nears > 1 {
			return nil, parse.NewError(parse.InvalidQuery, "Too many geoNear expressions: a query can have one near constraint")
		}
	}
	clause := []bson.D{{{Key: stored, Value: g}}}
	if t.Caps.Geo && !t.Caps.GeoJSONOnly {
		return clause, nil
	}
	if t.Caps.GeoJSONOnly && len(g) == 1 && g[0].Key == "$geoIntersects" {
		return clause, nil // already a GeoJSON $geometry
	}
	t.engineHits++
	if depth == 0 {
		t.narrow = append(t.narrow, geoNarrow(stored, g)...)
	}
	return clause, nil
}
