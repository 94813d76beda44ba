package jobs

import (
	"testing"
	"time"
)

func TestDueSlot(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-11-25 is a Wednesday (3).
	start := at("2026-11-01T00:00:00Z")
	tod := func(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }
	cases := []struct {
		name     string
		row      ScheduleRow
		now      string
		wantDue  bool
		wantSlot string
	}{
		{"once, before startAfter", ScheduleRow{StartAfter: at("2026-11-26T00:00:00Z")}, "2026-11-25T12:00:00Z", false, ""},
		{"once, due", ScheduleRow{StartAfter: at("2026-11-25T11:00:00Z")}, "2026-11-25T12:00:00Z", true, "2026-11-25T11:00:00Z"},
		{"once, already ran", ScheduleRow{StartAfter: at("2026-11-25T11:00:00Z"), LastRun: at("2026-11-25T11:00:00Z")}, "2026-11-25T12:00:00Z", false, "2026-11-25T11:00:00Z"},
		{"daily, time passed today", ScheduleRow{StartAfter: start, TimeOfDay: tod(3, 0), HasTimeOfDay: true}, "2026-11-25T03:00:30Z", true, "2026-11-25T03:00:00Z"},
		{"daily, ran today", ScheduleRow{StartAfter: start, TimeOfDay: tod(3, 0), HasTimeOfDay: true, LastRun: at("2026-11-25T03:00:00Z")}, "2026-11-25T12:00:00Z", false, "2026-11-25T03:00:00Z"},
		{"daily, before today's time: yesterday's slot", ScheduleRow{StartAfter: start, TimeOfDay: tod(3, 0), HasTimeOfDay: true, LastRun: at("2026-11-23T03:00:00Z")}, "2026-11-25T02:00:00Z", true, "2026-11-24T03:00:00Z"},
		{"daily, startAfter later today", ScheduleRow{StartAfter: at("2026-11-25T04:00:00Z"), TimeOfDay: tod(3, 0), HasTimeOfDay: true}, "2026-11-25T12:00:00Z", false, ""},
		{"weekdays, wednesday", ScheduleRow{StartAfter: start, DaysOfWeek: []int{3}, TimeOfDay: tod(9, 30), HasTimeOfDay: true}, "2026-11-25T09:31:00Z", true, "2026-11-25T09:30:00Z"},
		{"weekdays, last monday", ScheduleRow{StartAfter: start, DaysOfWeek: []int{1}, TimeOfDay: tod(9, 30), HasTimeOfDay: true, LastRun: at("2026-11-16T09:30:00Z")}, "2026-11-25T09:31:00Z", true, "2026-11-23T09:30:00Z"},
		{"weekdays, ran monday", ScheduleRow{StartAfter: start, DaysOfWeek: []int{1}, TimeOfDay: tod(9, 30), HasTimeOfDay: true, LastRun: at("2026-11-23T09:30:00Z")}, "2026-11-25T09:31:00Z", false, "2026-11-23T09:30:00Z"},
		{"weekdays, not today: none before startAfter", ScheduleRow{StartAfter: at("2026-11-24T00:00:00Z"), DaysOfWeek: []int{1}, TimeOfDay: tod(9, 30), HasTimeOfDay: true}, "2026-11-25T09:31:00Z", false, ""},
		{"repeat 15, first slot", ScheduleRow{StartAfter: at("2026-11-25T10:00:00Z"), RepeatMinutes: 15}, "2026-11-25T10:00:20Z", true, "2026-11-25T10:00:00Z"},
		{"repeat 15, between slots, ran", ScheduleRow{StartAfter: at("2026-11-25T10:00:00Z"), RepeatMinutes: 15, LastRun: at("2026-11-25T10:30:00Z")}, "2026-11-25T10:44:59Z", false, "2026-11-25T10:30:00Z"},
		{"repeat 15, next slot", ScheduleRow{StartAfter: at("2026-11-25T10:00:00Z"), RepeatMinutes: 15, LastRun: at("2026-11-25T10:30:00Z")}, "2026-11-25T10:45:01Z", true, "2026-11-25T10:45:00Z"},
		{"repeat 15, missed many: latest once", ScheduleRow{StartAfter: at("2026-11-25T10:00:00Z"), RepeatMinutes: 15, LastRun: at("2026-11-25T10:00:00Z")}, "2026-11-25T13:07:00Z", true, "2026-11-25T13:00:00Z"},
		{"repeat 60 on tuesdays, wednesday now", ScheduleRow{StartAfter: start, RepeatMinutes: 60, DaysOfWeek: []int{2}}, "2026-11-25T10:10:00Z", true, "2026-11-24T23:00:00Z"},
		{"repeat 30 from timeOfDay", ScheduleRow{StartAfter: start, TimeOfDay: tod(8, 0), HasTimeOfDay: true, RepeatMinutes: 30, LastRun: at("2026-11-25T09:00:00Z")}, "2026-11-25T09:40:00Z", true, "2026-11-25T09:30:00Z"},
		{"repeat 30 from timeOfDay, before it: yesterday's last", ScheduleRow{StartAfter: start, TimeOfDay: tod(8, 0), HasTimeOfDay: true, RepeatMinutes: 30}, "2026-11-25T07:00:00Z", true, "2026-11-24T23:30:00Z"},
	}
	for _, c := range cases {
		slot, due := DueSlot(c.row, at(c.now))
		if due != c.wantDue {
			t.Errorf("%s: due %v, want %v (slot %v)", c.name, due, c.wantDue, slot)
			continue
		}
		if c.wantSlot != "" && !slot.Equal(at(c.wantSlot)) {
			t.Errorf("%s: slot %v, want %s", c.name, slot, c.wantSlot)
		}
	}
}

func TestParseScheduleRow(t *testing.T) {
	r, err := ParseScheduleRow(map[string]any{"startAfter": "2026-11-01T00:00:00.000Z", "daysOfWeek": []any{1.0, 3.0}, "timeOfDay": "09:30:00", "repeatMinutes": 15.0, "lastRun": 1.7640e12})
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasTimeOfDay || r.TimeOfDay != 9*time.Hour+30*time.Minute || len(r.DaysOfWeek) != 2 || r.RepeatMinutes != 15 || r.LastRun.UnixMilli() != 1.7640e12 {
		t.Errorf("%+v", r)
	}
	// Parse Dashboard's seven flags, Sunday first.
	for _, flags := range [][]any{{0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0}, {false, true, true, true, true, true, false}, {"0", "1", "1", "1", "1", "1", "0"}} {
		r, err := ParseScheduleRow(map[string]any{"startAfter": "2026-11-01T00:00:00Z", "daysOfWeek": flags, "timeOfDay": "03:00:00.000Z"})
		if err != nil || len(r.DaysOfWeek) != 5 || r.DaysOfWeek[0] != 1 || r.DaysOfWeek[4] != 5 || r.TimeOfDay != 3*time.Hour {
			t.Errorf("flags %v: %+v %v", flags, r, err)
		}
	}
	if _, err := ParseScheduleRow(map[string]any{"startAfter": "2026-11-01", "daysOfWeek": []any{0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}); err == nil {
		t.Error("no day accepted")
	}
	if _, err := ParseScheduleRow(map[string]any{"startAfter": "2026-11-01", "daysOfWeek": []any{7.0}}); err == nil {
		t.Error("day 7 accepted")
	}
	if _, err := ParseScheduleRow(map[string]any{"startAfter": "2026-11-01", "timeOfDay": "noon"}); err == nil {
		t.Error("timeOfDay noon accepted")
	}
}
