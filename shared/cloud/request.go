package cloud

import (
	"context"
	"log/slog"
	"net/http"
)

// Params are a function's or job's parameters: the JSON body of the call (numbers as float64).
type Params map[string]any

// Has tells whether p has a non-null value for key.
func (p Params) Has(key string) bool { v, ok := p[key]; return ok && v != nil }

// String returns a string parameter ("" when absent or not a string).
func (p Params) String(key string) string { s, _ := p[key].(string); return s }

// Number returns a numeric parameter.
func (p Params) Number(key string) float64 { f, _ := ToFloat(p[key]); return f }

// Int returns a numeric parameter as int64.
func (p Params) Int(key string) int64 { return int64(p.Number(key)) }

// Bool returns a boolean parameter.
func (p Params) Bool(key string) bool { b, _ := p[key].(bool); return b }

// Map returns an object parameter.
func (p Params) Map(key string) map[string]any { m, _ := p[key].(map[string]any); return m }

// Caller is who made the request, as every handler sees it.
type Caller struct {
	// User is the logged-in user (nil for an anonymous or master-key call).
	User *Object
	// Master tells whether the master key was used.
	Master bool
	// InstallationID is the client's X-Parse-Installation-Id.
	InstallationID string
	// Headers are the HTTP request's headers (nil for calls that came from a job or a schedule).
	Headers http.Header
	// IP is the client's address, when known.
	IP string
	// Context is the client's cloud context (X-Parse-Cloud-Context or _context); triggers of one
	// save share it, so a beforeSave can pass values to the afterSave.
	Context map[string]any
	// Client queries and saves with the caller's rights; Client.UseMasterKey() with the master key.
	Client Client
	// Log is the server's logger.
	Log *slog.Logger
}

// FunctionRequest is what a Cloud function receives.
type FunctionRequest struct {
	Caller
	FunctionName string
	Params       Params
}

// FunctionHandler is a Cloud function: its result is answered as {"result": ...}; an error answers as
// the Parse error it is (see Error), else as 141 with its text.
type FunctionHandler func(ctx context.Context, req *FunctionRequest) (any, error)

// TriggerRequest is what a trigger receives. Which fields are set depends on the trigger:
//   - beforeSave/afterSave: Object (with the changes; a beforeSave may change it more), Original on
//     an update (the stored object before the change);
//   - beforeDelete/afterDelete: Object, the stored object;
//   - beforeFind: Query (a beforeFind may change it), IsGet for a get by id;
//   - afterFind: Objects (an afterFind may change them, or replace the slice);
//   - beforeLogin/afterLogin: Object, the user; afterLogout: Object, the session.
type TriggerRequest struct {
	Caller
	TriggerName string
	ClassName   string
	Object      *Object
	Original    *Object
	Query       *Query
	IsGet       bool
	Objects     []*Object
}

// TriggerHandler is a trigger. An error from a before-trigger rejects the operation with that error
// (141 unless it is a Parse error, see Error). Errors of after-triggers are logged and change nothing,
// except afterFind, whose error fails the find as in Parse Server.
type TriggerHandler func(ctx context.Context, req *TriggerRequest) error

// File is a file being saved through the files API.
type File struct {
	Name        string
	ContentType string
	Data        []byte // nil when the upload does not pass through the server
	Size        int64
	URL         string // set for afterSaveFile
	Metadata    map[string]any
	Tags        map[string]any
}

// FileRequest is what beforeSaveFile and afterSaveFile receive; a beforeSaveFile may change File
// (name, content type, data, metadata) or reject the upload.
type FileRequest struct {
	Caller
	TriggerName string
	File        *File
}

// FileHandler is a file trigger.
type FileHandler func(ctx context.Context, req *FileRequest) error

// JobRequest is what a job receives. Jobs run with the master key.
type JobRequest struct {
	JobName string
	// JobID is the objectId of the job's _JobStatus row.
	JobID  string
	Params Params
	// Client queries and saves with the master key.
	Client Client
	Log    *slog.Logger
	// message records progress in the _JobStatus row.
	message func(ctx context.Context, msg string) error
}

// NewJobRequest is for the engine, which gives the progress recorder.
func NewJobRequest(name, id string, params Params, c Client, log *slog.Logger, message func(context.Context, string) error) *JobRequest {
	return &JobRequest{JobName: name, JobID: id, Params: params, Client: c, Log: log, message: message}
}

// Message records progress ("42 of 100 done") in the job's _JobStatus row.
func (r *JobRequest) Message(ctx context.Context, msg string) error {
	if r.message == nil {
		return nil
	}
	return r.message(ctx, msg)
}

// JobHandler is a job. A string result becomes the status message; an error or a panic ends the job as
// failed with the reason.
type JobHandler func(ctx context.Context, req *JobRequest) (any, error)

// Client reads and writes objects in-process (no HTTP), with the rights it was made with; triggers run
// for its writes and reads unless SkipTriggers was called.
type Client interface {
	// Get reads one object by id (101 when absent or not readable).
	Get(ctx context.Context, className, objectID string) (*Object, error)
	// Find runs a query.
	Find(ctx context.Context, q *Query) ([]*Object, error)
	// First returns the first match, or nil.
	First(ctx context.Context, q *Query) (*Object, error)
	// Count counts the matches.
	Count(ctx context.Context, q *Query) (int64, error)
	// Save creates the object (when new) or writes its changes.
	Save(ctx context.Context, o *Object) error
	// Destroy deletes the object.
	Destroy(ctx context.Context, o *Object) error
	// Run calls a Cloud function.
	Run(ctx context.Context, name string, params map[string]any) (any, error)
	// UseMasterKey is a client with the master key.
	UseMasterKey() Client
	// SkipTriggers is a client whose operations run no trigger.
	SkipTriggers() Client
}
