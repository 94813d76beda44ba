package cloud

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Option configures a function, trigger or job at registration. Options that do not apply to what is
// registered are ignored.
type Option func(*Settings)

// Settings are the options of one registration (read by the engine).
type Settings struct {
	RequireUser   bool
	RequireMaster bool
	// ValidateMasterKey applies the validation to master-key calls too (by default, as in Parse
	// Server, the master key skips it).
	ValidateMasterKey bool
	Fields            map[string]Field
	RateLimit         *RateLimit
	// Schedule is a job's schedule (nil: run only on demand).
	Schedule *ScheduleSpec
	// Timeout ends a job as failed when it runs longer.
	Timeout     time.Duration
	Description string
}

// Field validates one parameter of a function (or one field of the object in a beforeSave).
type Field struct {
	Required bool
	// Type is the JSON type the value must have: "string", "number", "boolean", "object" or "array"
	// (case does not matter; empty: any).
	Type string
	// Default is used when the value is absent.
	Default any
	// Options checks the value; false rejects it.
	Options func(v any) bool
	// Error replaces the default message of a failed check.
	Error string
}

// RateLimit allows Count requests per Window for each user (or each IP/installation when anonymous).
type RateLimit struct {
	Count  int
	Window time.Duration
	// Message replaces "Too many requests.".
	Message string
}

// ScheduleSpec is when a job runs: an EventBridge Scheduler expression and a time zone.
type ScheduleSpec struct {
	Expression string
	TimeZone   string
}

// RequireUser rejects calls without a logged-in user (142 "Validation failed. Please login to continue.").
func RequireUser() Option { return func(s *Settings) { s.RequireUser = true } }

// RequireMaster rejects calls without the master key (142).
func RequireMaster() Option { return func(s *Settings) { s.RequireMaster = true } }

// ValidateMasterKey applies the validators to master-key calls too; by default the master key skips
// them (Parse Server's validateMasterKey).
func ValidateMasterKey() Option { return func(s *Settings) { s.ValidateMasterKey = true } }

// RequireParams rejects calls missing any of names (142).
func RequireParams(names ...string) Option {
	return func(s *Settings) {
		for _, n := range names {
			f := s.field(n)
			f.Required = true
			s.Fields[n] = f
		}
	}
}

// Param validates one parameter.
func Param(name string, f Field) Option {
	return func(s *Settings) {
		s.field(name)
		s.Fields[name] = f
	}
}

func (s *Settings) field(n string) Field {
	if s.Fields == nil {
		s.Fields = map[string]Field{}
	}
	return s.Fields[n]
}

// Limit allows count calls per window and user (anonymous callers are counted by IP or installation).
// Over the limit the call answers HTTP 429 with code 100 and "Too many requests.", as Parse Server's
// rateLimit does. The count is kept in memory, per container.
func Limit(count int, window time.Duration) Option {
	return func(s *Settings) { s.RateLimit = &RateLimit{Count: count, Window: window} }
}

// Schedule runs a job on a schedule: expression is an EventBridge Scheduler expression,
// "cron(min hour day-of-month month day-of-week year)" or "rate(1 hour)"; timeZone an IANA name
// (empty: UTC). The CDK app creates one schedule per scheduled job.
func Schedule(expression, timeZone string) Option {
	return func(s *Settings) { s.Schedule = &ScheduleSpec{Expression: expression, TimeZone: timeZone} }
}

// Timeout ends a job as failed when it runs longer than d.
func Timeout(d time.Duration) Option { return func(s *Settings) { s.Timeout = d } }

// Description documents a job.
func Description(text string) Option { return func(s *Settings) { s.Description = text } }

var (
	scheduleRE = regexp.MustCompile(`^(cron|rate|at)\((.+)\)$`)
	tzRE       = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_+-]*)(/[A-Za-z0-9_+-]+)*$`)
)

// Validate checks the expression's form.
func (s ScheduleSpec) Validate() error {
	m := scheduleRE.FindStringSubmatch(strings.TrimSpace(s.Expression))
	if m == nil {
		return fmt.Errorf("schedule %q is not cron(...), rate(...) or at(...)", s.Expression)
	}
	switch m[1] {
	case "cron":
		if n := len(strings.Fields(m[2])); n != 6 {
			return fmt.Errorf("schedule %q: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not %d", s.Expression, n)
		}
	case "rate":
		f := strings.Fields(m[2])
		if len(f) != 2 || !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(f[0]) || !regexp.MustCompile(`^(minute|hour|day)s?$`).MatchString(f[1]) {
			return fmt.Errorf("schedule %q: a rate is rate(<n> minute(s)|hour(s)|day(s))", s.Expression)
		}
	}
	if s.TimeZone != "" {
		if !tzRE.MatchString(s.TimeZone) {
			return fmt.Errorf("schedule %q: time zone %q is not an IANA name such as Europe/Berlin", s.Expression, s.TimeZone)
		}
	}
	return nil
}
