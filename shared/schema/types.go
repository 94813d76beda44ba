// Package schema is Parse's class schema: field types, the _SCHEMA collection in Parse Server's format,
// type inference on write, class-level permissions and indexes.
package schema

import (
	"strings"

	"github.com/parselambda/parselambda/shared/parse"
)

// Field types, in the REST (API) spelling.
const (
	String   = "String"
	Number   = "Number"
	Boolean  = "Boolean"
	Date     = "Date"
	Object   = "Object"
	Array    = "Array"
	GeoPoint = "GeoPoint"
	File     = "File"
	Bytes    = "Bytes"
	Polygon  = "Polygon"
	Pointer  = "Pointer"
	Relation = "Relation"
	ACL      = "ACL"
)

// Field is one column of a class.
type Field struct {
	Type         string `json:"type"`
	TargetClass  string `json:"targetClass,omitempty"`
	Required     bool   `json:"required,omitempty"`
	DefaultValue any    `json:"defaultValue,omitempty"`
}

// Equal tells whether two fields have the same type.
func (f Field) Equal(o Field) bool { return f.Type == o.Type && f.TargetClass == o.TargetClass }

// String describes the type as Parse's error messages do (e.g. "*_User" for a pointer).
func (f Field) String() string {
	switch f.Type {
	case Pointer:
		return "Pointer<" + f.TargetClass + ">"
	case Relation:
		return "Relation<" + f.TargetClass + ">"
	}
	return f.Type
}

// MongoType is the _SCHEMA spelling of the field's type.
func (f Field) MongoType() string {
	switch f.Type {
	case Pointer:
		return "*" + f.TargetClass
	case Relation:
		return "relation<" + f.TargetClass + ">"
	case GeoPoint:
		return "geopoint"
	}
	return strings.ToLower(f.Type)
}

// FieldFromMongo reads a _SCHEMA type string.
func FieldFromMongo(t string) (Field, bool) {
	switch {
	case strings.HasPrefix(t, "*"):
		return Field{Type: Pointer, TargetClass: t[1:]}, true
	case strings.HasPrefix(t, "relation<") && strings.HasSuffix(t, ">"):
		return Field{Type: Relation, TargetClass: t[len("relation<") : len(t)-1]}, true
	}
	switch t {
	case "string":
		return Field{Type: String}, true
	case "number":
		return Field{Type: Number}, true
	case "boolean":
		return Field{Type: Boolean}, true
	case "date":
		return Field{Type: Date}, true
	case "map", "object":
		return Field{Type: Object}, true
	case "array":
		return Field{Type: Array}, true
	case "geopoint":
		return Field{Type: GeoPoint}, true
	case "file":
		return Field{Type: File}, true
	case "bytes":
		return Field{Type: Bytes}, true
	case "polygon":
		return Field{Type: Polygon}, true
	case "acl":
		return Field{Type: ACL}, true
	}
	return Field{}, false
}

// ValidAPIType tells whether t is a type a schema request may declare.
func ValidAPIType(t string) bool {
	switch t {
	case String, Number, Boolean, Date, Object, Array, GeoPoint, File, Bytes, Polygon, Pointer, Relation:
		return true
	}
	return false
}

// SystemClasses are the classes Parse defines.
var SystemClasses = []string{"_User", "_Installation", "_Role", "_Session", "_Product", "_PushStatus", "_JobStatus", "_JobSchedule", "_Audience", "_Idempotency"}

// VolatileClasses have no _SCHEMA document and are hidden from /schemas.
var VolatileClasses = map[string]bool{"_JobStatus": true, "_PushStatus": true, "_Hooks": true, "_GlobalConfig": true, "_GraphQLConfig": true, "_JobSchedule": true, "_Audience": true, "_Idempotency": true}

// IsSystemClass tells whether name is one of Parse's own classes.
func IsSystemClass(name string) bool {
	for _, c := range SystemClasses {
		if c == name {
			return true
		}
	}
	return VolatileClasses[name]
}

// MaxClassName is the longest user class name: a collection name every target database takes
// (MongoDB before 4.4 took namespaces of 120 bytes, database name included; FerretDB refuses a few
// hundred).
const MaxClassName = 120

// ValidClassName checks a class name: a user class, a system class or a join table.
func ValidClassName(name string) bool {
	return identifier(name) && len(name) <= MaxClassName || IsSystemClass(name) || strings.HasPrefix(name, "_Join:")
}

// identifier tells whether s matches ^[A-Za-z][A-Za-z0-9_]*$ (checked on every request, so without a
// regexp).
func identifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// CheckClassName answers 103 for an invalid class name.
func CheckClassName(name string) error {
	if identifier(name) && len(name) > MaxClassName {
		return parse.Errorf(parse.InvalidClassName, "Invalid classname: %s…, a class name has at most %d characters", name[:20], MaxClassName)
	}
	if !ValidClassName(name) {
		return parse.Errorf(parse.InvalidClassName, "Invalid classname: %s, classnames can only have alphanumeric characters and _, and must start with an alpha character ", name)
	}
	return nil
}

// ValidFieldName checks a top-level field name.
func ValidFieldName(name string) bool {
	return identifier(name) && name != "className" && name != "length"
}

// DefaultFields are the columns every class has.
var DefaultFields = map[string]Field{
	"objectId":  {Type: String},
	"createdAt": {Type: Date},
	"updatedAt": {Type: Date},
	"ACL":       {Type: ACL},
}

// SystemFields are the columns of each system class.
var SystemFields = map[string]map[string]Field{
	"_User": {
		"username": {Type: String}, "password": {Type: String}, "email": {Type: String},
		"emailVerified": {Type: Boolean}, "authData": {Type: Object},
	},
	"_Installation": {
		"installationId": {Type: String}, "deviceToken": {Type: String}, "channels": {Type: Array},
		"deviceType": {Type: String}, "pushType": {Type: String}, "GCMSenderId": {Type: String},
		"timeZone": {Type: String}, "localeIdentifier": {Type: String}, "badge": {Type: Number},
		"appVersion": {Type: String}, "appName": {Type: String}, "appIdentifier": {Type: String},
		"parseVersion": {Type: String},
	},
	"_Role": {
		"name": {Type: String}, "users": {Type: Relation, TargetClass: "_User"},
		"roles": {Type: Relation, TargetClass: "_Role"},
	},
	"_Session": {
		"user": {Type: Pointer, TargetClass: "_User"}, "installationId": {Type: String},
		"sessionToken": {Type: String}, "expiresAt": {Type: Date}, "createdWith": {Type: Object},
	},
	"_Product": {
		"productIdentifier": {Type: String}, "download": {Type: File}, "downloadName": {Type: String},
		"icon": {Type: File}, "order": {Type: Number}, "title": {Type: String}, "subtitle": {Type: String},
	},
	"_PushStatus": {
		"pushTime": {Type: String}, "source": {Type: String}, "query": {Type: String}, "payload": {Type: String},
		"title": {Type: String}, "expiry": {Type: Number}, "expiration_interval": {Type: Number},
		"status": {Type: String}, "numSent": {Type: Number}, "numFailed": {Type: Number},
		"pushHash": {Type: String}, "errorMessage": {Type: Object}, "sentPerType": {Type: Object},
		"failedPerType": {Type: Object}, "sentPerUTCOffset": {Type: Object}, "failedPerUTCOffset": {Type: Object},
		"count": {Type: Number},
	},
	"_JobStatus": {
		"jobName": {Type: String}, "source": {Type: String}, "status": {Type: String}, "message": {Type: String},
		"params": {Type: Object}, "finishedAt": {Type: Date},
	},
	"_JobSchedule": {
		"jobName": {Type: String}, "description": {Type: String}, "params": {Type: String},
		"startAfter": {Type: String}, "daysOfWeek": {Type: Array}, "timeOfDay": {Type: String},
		"lastRun": {Type: Number}, "repeatMinutes": {Type: Number},
	},
	"_Audience":    {"name": {Type: String}, "query": {Type: String}, "lastUsed": {Type: Date}, "timesUsed": {Type: Number}},
	"_Idempotency": {"reqId": {Type: String}, "expire": {Type: Date}},
}
