package query

import (
	"fmt"
	"strings"
)

// ParseCaps reads a capability setting (DB_CAPS) that replaces the probe of the database: a known
// database, optionally adjusted by flags, or a list of flags alone. Items are separated by commas or
// spaces, case-insensitively:
//
//	mongodb | documentdb | ferretdb    a known database (query.MongoDB, query.DocumentDB, FerretDB 1.x)
//	geo, +geo                          sets a flag
//	-geo                               clears a flag
//	name=<name>                        names the database in error messages; a non-empty name also
//	                                   marks it as not MongoDB (writes serialized, hints not passed on)
//
// Flags: geo, geojsononly, text, elemmatchnin, nestedarrays, regexextended (the fields of Caps). A list
// of flags without a database starts from none: "geo,text,nestedarrays" is a MongoDB-like server whose
// regex x option, containedBy and so on the engine evaluates.
func ParseCaps(s string) (Caps, error) {
	items := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' })
	if len(items) == 0 {
		return Caps{}, fmt.Errorf("empty capability setting")
	}
	var c Caps
	for i, it := range items {
		lower := strings.ToLower(it)
		if i == 0 {
			switch lower {
			case "mongodb", "mongo":
				c = MongoDB
				continue
			case "documentdb", "docdb":
				c = DocumentDB
				continue
			case "ferretdb", "ferret":
				c = Caps{Name: "FerretDB"}
				continue
			}
		}
		if name, ok := strings.CutPrefix(it, "name="); ok {
			c.Name = name
			continue
		}
		on := true
		switch {
		case strings.HasPrefix(lower, "+"):
			lower = lower[1:]
		case strings.HasPrefix(lower, "-"):
			on, lower = false, lower[1:]
		}
		var f *bool
		switch lower {
		case "geo":
			f = &c.Geo
		case "geojsononly":
			f = &c.GeoJSONOnly
		case "text":
			f = &c.Text
		case "elemmatchnin":
			f = &c.ElemMatchNin
		case "nestedarrays":
			f = &c.NestedArrays
		case "regexextended":
			f = &c.RegexExtended
		default:
			if i > 0 && (lower == "mongodb" || lower == "documentdb" || lower == "ferretdb") {
				return Caps{}, fmt.Errorf("%q: a database name comes first", it)
			}
			return Caps{}, fmt.Errorf("%q: want mongodb, documentdb, ferretdb, a flag (geo, geojsononly, text, elemmatchnin, nestedarrays, regexextended) with an optional + or -, or name=<name>", it)
		}
		*f = on
	}
	return c, nil
}
