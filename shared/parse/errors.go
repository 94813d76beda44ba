// Package parse holds what every part of the engine shares: the Parse error type and its codes, the
// one place that maps an error to an HTTP status and body, and object ids.
package parse

import (
	"errors"
	"fmt"
)

// Parse error codes (Parse-SDK-JS ParseError, plus the raw codes the server uses).
const (
	OtherCause             = -1
	InternalServerError    = 1
	ConnectionFailed       = 100
	ObjectNotFound         = 101
	InvalidQuery           = 102
	InvalidClassName       = 103
	MissingObjectID        = 104
	InvalidKeyName         = 105
	InvalidPointer         = 106
	InvalidJSON            = 107
	CommandUnavailable     = 108
	IncorrectType          = 111
	InvalidChannelName     = 112
	PushMisconfigured      = 115
	ObjectTooLarge         = 116
	OperationForbidden     = 119
	InvalidNestedKey       = 121
	InvalidFileName        = 122
	InvalidACL             = 123
	Timeout                = 124
	InvalidEmailAddress    = 125
	FileTooLarge           = 129
	FileSaveError          = 130
	RequiredField          = 135
	ImmutableField         = 136
	DuplicateValue         = 137
	InvalidRoleName        = 139
	ScriptFailed           = 141
	ValidationError        = 142
	RequestLimitExceeded   = 155
	DuplicateRequest       = 159
	InvalidEventName       = 160
	InvalidValue           = 162
	UsernameMissing        = 200
	PasswordMissing        = 201
	UsernameTaken          = 202
	EmailTaken             = 203
	EmailMissing           = 204
	EmailNotFound          = 205
	SessionMissing         = 206
	InvalidSessionToken    = 209
	UnsupportedService     = 252
	InvalidSchemaOperation = 255
	AggregateError         = 600
)

// Error is a Parse error: a code from the table above and a message safe to show a client.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("parse error %d: %s", e.Code, e.Msg) }

// Errorf builds a *Error with a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// NewError builds a *Error.
func NewError(code int, msg string) *Error { return &Error{Code: code, Msg: msg} }

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// HTTPError is an error answered with a status and a bare {"error": msg} body, as Parse Server does for
// authorization failures (403 unauthorized) and oversized bodies (413).
type HTTPError struct {
	Status int
	Msg    string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("http %d: %s", e.Status, e.Msg) }

// Unauthorized is Parse Server's answer to a wrong application id or client key.
func Unauthorized() *HTTPError { return &HTTPError{Status: 403, Msg: "unauthorized"} }

// MasterRequired is the answer of a master-only route without the master key.
func MasterRequired() *HTTPError {
	return &HTTPError{Status: 403, Msg: "unauthorized: master key is required"}
}

// Status maps a Parse error code to its HTTP status: 101 → 404, 1 → 500, anything else 400.
func Status(code int) int {
	switch code {
	case ObjectNotFound:
		return 404
	case InternalServerError:
		return 500
	default:
		return 400
	}
}
