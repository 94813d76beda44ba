package jobs

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ScheduleRow is one _JobSchedule row as the minute tick reads it (Parse Dashboard writes them through
// /cloud_code/jobs). Times are UTC.
type ScheduleRow struct {
	// StartAfter: no run before it.
	StartAfter time.Time
	// DaysOfWeek are the days it runs on (0 Sunday … 6 Saturday); empty: every day.
	DaysOfWeek []int
	// TimeOfDay is when in the (UTC) day it runs; HasTimeOfDay tells whether it was given.
	TimeOfDay    time.Duration
	HasTimeOfDay bool
	// RepeatMinutes repeats it every that many minutes (0: no repeat).
	RepeatMinutes int
	// LastRun is the slot it last ran for (zero: never).
	LastRun time.Time
}

// DueSlot is the latest slot of row at or before now that has not run yet: the time it is due for,
// and whether it is due. One run per slot: a tick that comes late (or after downtime) runs the latest
// missed slot once, never every missed one.
//
// Slots:
//   - neither timeOfDay nor repeatMinutes: once, at startAfter (on any day, daysOfWeek ignored);
//   - timeOfDay: every allowed day at that time;
//   - repeatMinutes: every repeatMinutes from startAfter, on allowed days;
//   - both: every repeatMinutes from timeOfDay until the end of each allowed day.
func DueSlot(r ScheduleRow, now time.Time) (time.Time, bool) {
	now = now.UTC()
	start := r.StartAfter.UTC()
	if now.Before(start) {
		return time.Time{}, false
	}
	if !r.HasTimeOfDay && r.RepeatMinutes <= 0 {
		return start, r.LastRun.Before(start)
	}
	repeat := time.Duration(r.RepeatMinutes) * time.Minute
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for back := 0; back <= 8; back++ {
		day := today.AddDate(0, 0, -back)
		if !day.AddDate(0, 0, 1).After(start) {
			break // the whole day is before startAfter
		}
		if len(r.DaysOfWeek) > 0 && !slices.Contains(r.DaysOfWeek, int(day.Weekday())) {
			continue
		}
		slot, ok := latestInDay(r, day, start, now, repeat)
		if !ok {
			continue
		}
		return slot, r.LastRun.Before(slot)
	}
	return time.Time{}, false
}

// latestInDay is the latest slot in day (UTC midnight) that is ≥ start and ≤ now.
func latestInDay(r ScheduleRow, day, start, now time.Time, repeat time.Duration) (time.Time, bool) {
	end := day.AddDate(0, 0, 1).Add(-time.Nanosecond)
	limit := now
	if end.Before(limit) {
		limit = end
	}
	var slot time.Time
	switch {
	case r.HasTimeOfDay && repeat <= 0:
		slot = day.Add(r.TimeOfDay)
		if slot.After(limit) {
			return time.Time{}, false
		}
	case r.HasTimeOfDay:
		anchor := day.Add(r.TimeOfDay)
		if anchor.After(limit) {
			return time.Time{}, false
		}
		slot = anchor.Add(limit.Sub(anchor) / repeat * repeat)
		if slot.Before(start) {
			return time.Time{}, false
		}
	default:
		slot = start.Add(limit.Sub(start) / repeat * repeat)
		if slot.Before(day) {
			return time.Time{}, false
		}
	}
	if slot.Before(start) {
		return time.Time{}, false
	}
	return slot, true
}

// ParseScheduleRow reads a stored _JobSchedule row's timing fields (startAfter, daysOfWeek, timeOfDay,
// repeatMinutes, lastRun), as REST JSON values or stored values.
func ParseScheduleRow(m map[string]any) (ScheduleRow, error) {
	var r ScheduleRow
	var err error
	if r.StartAfter, err = timeValue(m["startAfter"]); err != nil {
		return r, fmt.Errorf("startAfter: %w", err)
	}
	if v, ok := m["lastRun"]; ok && v != nil {
		if r.LastRun, err = timeValue(v); err != nil {
			return r, fmt.Errorf("lastRun: %w", err)
		}
	}
	days, ok := m["daysOfWeek"].([]any)
	if a, isA := m["daysOfWeek"].(bson.A); isA {
		days, ok = []any(a), true
	}
	if ok && isDayFlags(days) {
		// Parse Dashboard's form: seven flags, Sunday first ([0,1,1,1,1,1,0] is Monday to Friday).
		for i, d := range days {
			if n, _ := flag(d); n == 1 {
				r.DaysOfWeek = append(r.DaysOfWeek, i)
			}
		}
		if len(r.DaysOfWeek) == 0 {
			return r, fmt.Errorf("daysOfWeek: no day is set")
		}
	} else if ok {
		for _, d := range days {
			n, ok := number(d)
			if !ok || n < 0 || n > 6 || n != float64(int(n)) {
				return r, fmt.Errorf("daysOfWeek: %v is not a day 0-6", d)
			}
			r.DaysOfWeek = append(r.DaysOfWeek, int(n))
		}
	}
	if s, ok := m["timeOfDay"].(string); ok && strings.TrimSpace(s) != "" {
		d, err := parseTimeOfDay(s)
		if err != nil {
			return r, err
		}
		r.TimeOfDay, r.HasTimeOfDay = d, true
	}
	if n, ok := number(m["repeatMinutes"]); ok && n > 0 {
		r.RepeatMinutes = int(n)
	}
	return r, nil
}

// isDayFlags tells whether days is seven 0/1 flags (or booleans, or "0"/"1"), as Parse Dashboard
// writes daysOfWeek; a list of day numbers never has seven entries that are all 0 or 1.
func isDayFlags(days []any) bool {
	if len(days) != 7 {
		return false
	}
	for _, d := range days {
		if _, ok := flag(d); !ok {
			return false
		}
	}
	return true
}

func flag(v any) (int, bool) {
	switch t := v.(type) {
	case bool:
		if t {
			return 1, true
		}
		return 0, true
	case string:
		if t == "0" || t == "1" {
			return int(t[0] - '0'), true
		}
		return 0, false
	}
	if n, ok := number(v); ok && (n == 0 || n == 1) {
		return int(n), true
	}
	return 0, false
}

func parseTimeOfDay(s string) (time.Duration, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "Z")
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, fmt.Errorf("timeOfDay %q is not HH:MM:SS", s)
}

// timeValue reads a time: an ISO string, a {"__type": "Date", "iso"} or a number of milliseconds
// since 1970 (Parse Server stores lastRun as a Number), or a time.Time.
func timeValue(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, fmt.Errorf("missing")
	case time.Time:
		return t.UTC(), nil
	case bson.DateTime:
		return t.Time().UTC(), nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05", "2006-01-02"} {
			if p, err := time.Parse(layout, t); err == nil {
				return p.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not an ISO date", t)
	case map[string]any:
		if iso, ok := t["iso"].(string); ok {
			return timeValue(iso)
		}
	}
	if n, ok := number(v); ok {
		return time.UnixMilli(int64(n)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%v is not a date", v)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case interface{ Float64() (float64, error) }:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
