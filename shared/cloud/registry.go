package cloud

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// TriggerKind names a trigger.
type TriggerKind string

// The triggers.
const (
	BeforeSave     TriggerKind = "beforeSave"
	AfterSave      TriggerKind = "afterSave"
	BeforeDelete   TriggerKind = "beforeDelete"
	AfterDelete    TriggerKind = "afterDelete"
	BeforeFind     TriggerKind = "beforeFind"
	AfterFind      TriggerKind = "afterFind"
	BeforeLogin    TriggerKind = "beforeLogin"
	AfterLogin     TriggerKind = "afterLogin"
	AfterLogout    TriggerKind = "afterLogout"
	BeforeSaveFile TriggerKind = "beforeSaveFile"
	AfterSaveFile  TriggerKind = "afterSaveFile"
)

// TriggerKinds lists every trigger kind.
var TriggerKinds = []TriggerKind{BeforeSave, AfterSave, BeforeDelete, AfterDelete, BeforeFind, AfterFind, BeforeLogin, AfterLogin, AfterLogout, BeforeSaveFile, AfterSaveFile}

// Valid tells whether k is a known trigger kind.
func (k TriggerKind) Valid() bool { return slices.Contains(TriggerKinds, k) }

// FileClass is the class name file triggers are registered under (Parse's "@File").
const FileClass = "@File"

// Function is a registered Cloud function.
type Function struct {
	Name     string
	Handler  FunctionHandler
	Settings Settings
}

// Trigger is a registered trigger.
type Trigger struct {
	Kind      TriggerKind
	ClassName string
	Handler   TriggerHandler // object, find, login and logout triggers
	File      FileHandler    // file triggers
	Settings  Settings
}

// JobDef is a registered job.
type JobDef struct {
	Name     string
	Handler  JobHandler
	Settings Settings
}

// JobSchedule is one scheduled job, as the CDK app creates it.
type JobSchedule struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	TimeZone   string `json:"timeZone,omitempty"`
}

// Registry holds an app's Cloud Code. Register everything in init functions (or before the engine is
// built); the engine freezes the registry, and registering afterwards panics, so a registry is never
// changed while it serves. A nil *Registry is an app without Cloud Code.
type Registry struct {
	functions map[string]*Function
	triggers  map[string]*Trigger
	jobs      map[string]*JobDef
	frozen    bool
}

// NewRegistry is an empty registry.
func NewRegistry() *Registry {
	return &Registry{functions: map[string]*Function{}, triggers: map[string]*Trigger{}, jobs: map[string]*JobDef{}}
}

// Freeze ends registration.
func (r *Registry) Freeze() {
	if r != nil {
		r.frozen = true
	}
}

func (r *Registry) mustOpen(what string) {
	if r.frozen {
		panic("cloud: " + what + " registered after the engine started; register Cloud Code in init functions")
	}
}

func settings(opts []Option) Settings {
	var s Settings
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Define registers the Cloud function name (POST /functions/name).
func (r *Registry) Define(name string, h FunctionHandler, opts ...Option) {
	r.mustOpen("function " + name)
	if name == "" || h == nil {
		panic("cloud: Define needs a name and a handler")
	}
	if _, dup := r.functions[name]; dup {
		panic("cloud: function " + name + " is defined twice")
	}
	r.functions[name] = &Function{Name: name, Handler: h, Settings: settings(opts)}
}

func triggerKey(k TriggerKind, className string) string { return string(k) + "\x00" + className }

func (r *Registry) addTrigger(t *Trigger) {
	r.mustOpen(string(t.Kind) + " " + t.ClassName)
	if t.ClassName == "" || (t.Handler == nil && t.File == nil) {
		panic(fmt.Sprintf("cloud: %s needs a class name and a handler", t.Kind))
	}
	key := triggerKey(t.Kind, t.ClassName)
	if _, dup := r.triggers[key]; dup {
		panic(fmt.Sprintf("cloud: %s on %s is registered twice", t.Kind, t.ClassName))
	}
	r.triggers[key] = t
}

func (r *Registry) objectTrigger(k TriggerKind, className string, h TriggerHandler, opts []Option) {
	if strings.HasPrefix(className, "_Join:") || className == "_PushStatus" || className == "_JobStatus" {
		panic(fmt.Sprintf("cloud: no %s trigger on %s", k, className))
	}
	r.addTrigger(&Trigger{Kind: k, ClassName: className, Handler: h, Settings: settings(opts)})
}

// BeforeSave runs before an object of className is created or updated; it may change req.Object or
// reject the save. On an update req.Original is the stored object.
func (r *Registry) BeforeSave(className string, h TriggerHandler, opts ...Option) {
	r.objectTrigger(BeforeSave, className, h, opts)
}

// AfterSave runs after an object of className was saved; req.Object is the saved object.
func (r *Registry) AfterSave(className string, h TriggerHandler, opts ...Option) {
	r.objectTrigger(AfterSave, className, h, opts)
}

// BeforeDelete runs before an object of className is deleted and may reject the delete.
func (r *Registry) BeforeDelete(className string, h TriggerHandler, opts ...Option) {
	r.objectTrigger(BeforeDelete, className, h, opts)
}

// AfterDelete runs after an object of className was deleted.
func (r *Registry) AfterDelete(className string, h TriggerHandler, opts ...Option) {
	r.objectTrigger(AfterDelete, className, h, opts)
}

// BeforeFind runs before a find or get on className; it may change req.Query or reject the read.
func (r *Registry) BeforeFind(className string, h TriggerHandler, opts ...Option) {
	r.objectTrigger(BeforeFind, className, h, opts)
}

// AfterFind runs on the objects a find or get on className returns; it may change req.Objects.
func (r *Registry) AfterFind(className string, h TriggerHandler, opts ...Option) {
	r.objectTrigger(AfterFind, className, h, opts)
}

// BeforeLogin runs after a user's credentials were checked and before the session is created; an
// error refuses the login. req.Object is the user.
func (r *Registry) BeforeLogin(h TriggerHandler, opts ...Option) {
	r.addTrigger(&Trigger{Kind: BeforeLogin, ClassName: "_User", Handler: h, Settings: settings(opts)})
}

// AfterLogin runs after a login; req.Object is the user.
func (r *Registry) AfterLogin(h TriggerHandler, opts ...Option) {
	r.addTrigger(&Trigger{Kind: AfterLogin, ClassName: "_User", Handler: h, Settings: settings(opts)})
}

// AfterLogout runs after a logout; req.Object is the deleted session.
func (r *Registry) AfterLogout(h TriggerHandler, opts ...Option) {
	r.addTrigger(&Trigger{Kind: AfterLogout, ClassName: "_Session", Handler: h, Settings: settings(opts)})
}

// BeforeSaveFile runs before a file is stored; it may change the file or reject the upload.
func (r *Registry) BeforeSaveFile(h FileHandler, opts ...Option) {
	r.addTrigger(&Trigger{Kind: BeforeSaveFile, ClassName: FileClass, File: h, Settings: settings(opts)})
}

// AfterSaveFile runs after a file was stored.
func (r *Registry) AfterSaveFile(h FileHandler, opts ...Option) {
	r.addTrigger(&Trigger{Kind: AfterSaveFile, ClassName: FileClass, File: h, Settings: settings(opts)})
}

// Job registers a background job: POST /jobs/name (master key) starts it, and with the Schedule
// option it also runs on that schedule.
func (r *Registry) Job(name string, h JobHandler, opts ...Option) {
	r.mustOpen("job " + name)
	if name == "" || h == nil {
		panic("cloud: Job needs a name and a handler")
	}
	if _, dup := r.jobs[name]; dup {
		panic("cloud: job " + name + " is defined twice")
	}
	if IsBuiltinJob(name) {
		panic("cloud: job name " + name + " is reserved for a built-in job")
	}
	s := settings(opts)
	if s.Schedule != nil {
		if err := s.Schedule.Validate(); err != nil {
			panic("cloud: job " + name + ": " + err.Error())
		}
	}
	r.jobs[name] = &JobDef{Name: name, Handler: h, Settings: s}
}

// Function returns the function called name.
func (r *Registry) Function(name string) (*Function, bool) {
	if r == nil {
		return nil, false
	}
	f, ok := r.functions[name]
	return f, ok
}

// Trigger returns the trigger of kind on className.
func (r *Registry) Trigger(k TriggerKind, className string) (*Trigger, bool) {
	if r == nil {
		return nil, false
	}
	t, ok := r.triggers[triggerKey(k, className)]
	return t, ok
}

// JobNamed returns the job called name.
func (r *Registry) JobNamed(name string) (*JobDef, bool) {
	if r == nil {
		return nil, false
	}
	j, ok := r.jobs[name]
	return j, ok
}

// FunctionNames lists the functions, sorted.
func (r *Registry) FunctionNames() []string {
	if r == nil {
		return nil
	}
	return sortedKeys(r.functions)
}

// JobNames lists the jobs, sorted.
func (r *Registry) JobNames() []string {
	if r == nil {
		return nil
	}
	return sortedKeys(r.jobs)
}

// Triggers lists the triggers, sorted by class and kind.
func (r *Registry) Triggers() []*Trigger {
	if r == nil {
		return nil
	}
	out := make([]*Trigger, 0, len(r.triggers))
	for _, k := range sortedKeys(r.triggers) {
		out = append(out, r.triggers[k])
	}
	return out
}

// Schedules lists the scheduled jobs, sorted by name: what the CDK app deploys.
func (r *Registry) Schedules() []JobSchedule {
	var out []JobSchedule
	for _, n := range r.JobNames() {
		if s := r.jobs[n].Settings.Schedule; s != nil {
			out = append(out, JobSchedule{Name: n, Expression: strings.TrimSpace(s.Expression), TimeZone: s.TimeZone})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
