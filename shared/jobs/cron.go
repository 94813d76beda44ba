package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "time/tzdata" // schedules name IANA time zones; the Lambda image has no zoneinfo

	"github.com/parselambda/parselambda/shared/cloud"
)

// Schedule is a parsed EventBridge Scheduler expression, for running schedules in-process (`make
// run`): rate(N minute|minutes|hour|hours|day|days), cron(minutes hours day-of-month month day-of-week
// year) with *, ?, lists, ranges, steps (a/b, */b) and month and day names (day-of-week 1 is Sunday,
// as in EventBridge; L, W and # are not supported), and at(yyyy-mm-ddThh:mm:ss), once.
type Schedule struct {
	kind string // rate, cron, at
	rate time.Duration
	at   time.Time
	loc  *time.Location
	// cron: allowed values per field.
	min, hour, dom, month, dow, year map[int]bool
	anyDOM, anyDOW                   bool
}

// ParseSchedule parses expr in timeZone (IANA name; empty: UTC).
func ParseSchedule(expr, timeZone string) (*Schedule, error) {
	loc := time.UTC
	if timeZone != "" {
		l, err := time.LoadLocation(timeZone)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: time zone: %w", expr, err)
		}
		loc = l
	}
	e := strings.TrimSpace(expr)
	open := strings.IndexByte(e, '(')
	if open < 0 || !strings.HasSuffix(e, ")") {
		return nil, fmt.Errorf("schedule %q is not cron(...), rate(...) or at(...)", expr)
	}
	kind, body := e[:open], strings.TrimSpace(e[open+1:len(e)-1])
	s := &Schedule{kind: kind, loc: loc}
	switch kind {
	case "rate":
		f := strings.Fields(body)
		if len(f) != 2 {
			return nil, fmt.Errorf("schedule %q: want rate(<n> <unit>)", expr)
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("schedule %q: %q is not a positive number", expr, f[0])
		}
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(f[1], "s")]
		if unit == 0 {
			return nil, fmt.Errorf("schedule %q: unit %q is not minute(s), hour(s) or day(s)", expr, f[1])
		}
		s.rate = time.Duration(n) * unit
	case "at":
		t, err := time.ParseInLocation("2006-01-02T15:04:05", body, loc)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: want at(yyyy-mm-ddThh:mm:ss)", expr)
		}
		s.at = t
	case "cron":
		f := strings.Fields(body)
		if len(f) != 6 {
			return nil, fmt.Errorf("schedule %q: a cron expression has 6 fields, not %d", expr, len(f))
		}
		var err error
		parse := func(i, lo, hi int, names []string) map[int]bool {
			if err != nil {
				return nil
			}
			var m map[int]bool
			m, err = cronField(f[i], lo, hi, names)
			if err != nil {
				err = fmt.Errorf("schedule %q: field %d: %w", expr, i+1, err)
			}
			return m
		}
		s.min = parse(0, 0, 59, nil)
		s.hour = parse(1, 0, 23, nil)
		s.dom = parse(2, 1, 31, nil)
		s.month = parse(3, 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"})
		s.dow = parse(4, 1, 7, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"})
		s.year = parse(5, 1970, 2199, nil)
		if err != nil {
			return nil, err
		}
		s.anyDOM, s.anyDOW = s.dom == nil, s.dow == nil
	default:
		return nil, fmt.Errorf("schedule %q is not cron(...), rate(...) or at(...)", expr)
	}
	return s, nil
}

// cronField parses one field: nil means any value (* or ?).
func cronField(f string, lo, hi int, names []string) (map[int]bool, error) {
	if f == "*" || f == "?" {
		return nil, nil
	}
	value := func(v string) (int, error) {
		for i, n := range names {
			if strings.EqualFold(v, n) {
				return lo + i, nil
			}
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not a value %d-%d", v, lo, hi)
		}
		return n, nil
	}
	out := map[int]bool{}
	for _, part := range strings.Split(f, ",") {
		step := 1
		if i := strings.IndexByte(part, '/'); i >= 0 {
			n, err := strconv.Atoi(part[i+1:])
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("step %q is not a positive number", part[i+1:])
			}
			step, part = n, part[:i]
		}
		from, to := lo, hi
		switch {
		case part == "*":
		case strings.Contains(part, "-"):
			a, b, _ := strings.Cut(part, "-")
			var err error
			if from, err = value(a); err != nil {
				return nil, err
			}
			if to, err = value(b); err != nil {
				return nil, err
			}
			if to < from {
				return nil, fmt.Errorf("range %q is empty", part)
			}
		default:
			v, err := value(part)
			if err != nil {
				return nil, fmt.Errorf("%v (L, W and # are not supported)", err)
			}
			from = v
			if step == 1 {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			out[v] = true
		}
	}
	return out, nil
}

func has(m map[int]bool, v int) bool { return m == nil || m[v] }

// Next is the first run strictly after after (false: none, e.g. an at(...) in the past). A rate runs
// every interval from after (the scheduler passes its start, then the previous run).
func (s *Schedule) Next(after time.Time) (time.Time, bool) {
	switch s.kind {
	case "rate":
		return after.Add(s.rate), true
	case "at":
		return s.at, s.at.After(after)
	}
	t := after.In(s.loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.loc)
	for i := 0; i < 366*5; i++ {
		d := time.Date(day.Year(), day.Month(), day.Day()+i, 0, 0, 0, 0, s.loc)
		if !has(s.year, d.Year()) || !has(s.month, int(d.Month())) || !s.dayMatches(d) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !has(s.hour, h) {
				continue
			}
			for m := 0; m < 60; m++ {
				if !has(s.min, m) {
					continue
				}
				c := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, s.loc)
				if c.Hour() != h || c.Minute() != m || c.Day() != d.Day() {
					continue // skipped by a daylight saving change
				}
				if c.After(after) {
					return c, true
				}
			}
		}
	}
	return time.Time{}, false
}

func (s *Schedule) dayMatches(d time.Time) bool {
	dom, dow := has(s.dom, d.Day()), has(s.dow, int(d.Weekday())+1)
	switch {
	case s.anyDOM && s.anyDOW:
		return true
	case s.anyDOM:
		return dow
	case s.anyDOW:
		return dom
	}
	return dom && dow
}

// Scheduler runs schedules in this process (the local server): each schedule in a goroutine of its
// own, one run at a time per schedule.
type Scheduler struct {
	// Run runs a job (Runner.RunJob: recorded in _JobStatus with source "schedule").
	Run func(ctx context.Context, name string) error
	Log *slog.Logger
	// Now and Sleep are the clock (tests inject theirs); Sleep returns false when ctx ended.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) bool
	wg    sync.WaitGroup
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Start parses every schedule and runs them until ctx ends; a bad expression fails before any starts.
func (s *Scheduler) Start(ctx context.Context, schedules []cloud.JobSchedule) error {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Sleep == nil {
		s.Sleep = sleep
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	parsed := make([]*Schedule, len(schedules))
	for i, js := range schedules {
		p, err := ParseSchedule(js.Expression, js.TimeZone)
		if err != nil {
			return fmt.Errorf("job %s: %w", js.Name, err)
		}
		parsed[i] = p
	}
	for i, js := range schedules {
		s.wg.Add(1)
		go s.loop(ctx, js.Name, parsed[i])
	}
	return nil
}

// Wait waits for the loops to end (after ctx ended).
func (s *Scheduler) Wait() { s.wg.Wait() }

func (s *Scheduler) loop(ctx context.Context, name string, sch *Schedule) {
	defer s.wg.Done()
	prev := s.Now()
	for {
		next, ok := sch.Next(prev)
		if !ok {
			return
		}
		if now := s.Now(); next.Before(now) {
			// A run took longer than the interval: skip to the next one after now.
			if next, ok = sch.Next(now); !ok {
				return
			}
		}
		if !s.Sleep(ctx, next.Sub(s.Now())) {
			return
		}
		if err := s.Run(ctx, name); err != nil {
			s.Log.WarnContext(ctx, "scheduled job failed", "job", name, "err", err)
		}
		prev = next
	}
}
