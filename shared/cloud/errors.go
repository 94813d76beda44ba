package cloud

import "github.com/parselambda/parselambda/shared/parse"

// Error codes a handler commonly answers with (Parse's codes; see shared/parse for all of them).
const (
	OtherCause          = parse.OtherCause
	ObjectNotFound      = parse.ObjectNotFound
	InvalidQuery        = parse.InvalidQuery
	OperationForbidden  = parse.OperationForbidden
	ScriptFailed        = parse.ScriptFailed
	ValidationError     = parse.ValidationError
	DuplicateValue      = parse.DuplicateValue
	InvalidSessionToken = parse.InvalidSessionToken
)

// Error makes the Parse error a handler returns to answer the client with that code and message. Any
// other error a handler returns answers 141 (SCRIPT_FAILED) with its text, as a thrown string does in
// Parse Server.
func Error(code int, msg string) error { return parse.NewError(code, msg) }

// Errorf is Error with a formatted message.
func Errorf(code int, format string, args ...any) error { return parse.Errorf(code, format, args...) }
