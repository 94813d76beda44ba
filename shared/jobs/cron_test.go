package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/cloud"
)

func TestScheduleNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		expr, tz, after, want string // want "" : no next run
	}{
		{"rate(1 minute)", "", "2026-11-25T10:00:30Z", "2026-11-25T10:01:30Z"},
		{"rate(5 minutes)", "", "2026-11-25T10:00:00Z", "2026-11-25T10:05:00Z"},
		{"rate(2 hours)", "", "2026-11-25T10:00:00Z", "2026-11-25T12:00:00Z"},
		{"rate(1 day)", "", "2026-11-25T10:00:00Z", "2026-11-26T10:00:00Z"},
		{"cron(15 3 * * ? *)", "", "2026-11-25T03:14:59Z", "2026-11-25T03:15:00Z"},
		{"cron(15 3 * * ? *)", "", "2026-11-25T03:15:00Z", "2026-11-26T03:15:00Z"},
		{"cron(0 3 * * ? *)", "Europe/Berlin", "2026-11-25T00:00:00Z", "2026-11-25T02:00:00Z"},  // CET = UTC+1
		{"cron(0 3 * * ? *)", "Europe/Berlin", "2026-07-01T00:00:00Z", "2026-07-01T01:00:00Z"},  // CEST = UTC+2
		{"cron(30 2 * * ? *)", "Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-30T00:30:00Z"}, // 02:30 does not exist on the 29th
		{"cron(0/15 * * * ? *)", "", "2026-11-25T10:16:00Z", "2026-11-25T10:30:00Z"},
		{"cron(*/20 8-9 * * ? *)", "", "2026-11-25T09:45:00Z", "2026-11-26T08:00:00Z"},
		{"cron(0 9 ? * MON-FRI *)", "", "2026-11-27T09:00:00Z", "2026-11-30T09:00:00Z"}, // Friday → Monday
		{"cron(0 9 ? * 1 *)", "", "2026-11-25T00:00:00Z", "2026-11-29T09:00:00Z"},       // 1 is Sunday
		{"cron(0 9 ? * 2,4 *)", "", "2026-11-25T00:00:00Z", "2026-11-25T09:00:00Z"},     // 2 Monday, 4 Wednesday
		{"cron(0 0 1 * ? *)", "", "2026-11-25T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"cron(0 0 29 FEB ? *)", "", "2026-11-25T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"cron(0 12 1 JAN,JUL ? 2027)", "", "2026-11-25T00:00:00Z", "2027-01-01T12:00:00Z"},
		{"cron(0 12 1 1 ? 2025)", "", "2026-11-25T00:00:00Z", ""},
		{"at(2026-12-24T18:00:00)", "America/New_York", "2026-11-25T00:00:00Z", "2026-12-24T23:00:00Z"},
		{"at(2026-01-01T00:00:00)", "", "2026-11-25T00:00:00Z", ""},
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.expr, c.tz)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got, ok := s.Next(at(c.after))
		if c.want == "" {
			if ok {
				t.Errorf("%s after %s: %v, want none", c.expr, c.after, got)
			}
			continue
		}
		if !ok || !got.Equal(at(c.want)) {
			t.Errorf("%s (%s) after %s: %v %v, want %s", c.expr, c.tz, c.after, got.UTC(), ok, c.want)
		}
	}
	for _, bad := range []string{"rate(0 minutes)", "rate(1 week)", "cron(0 3 * * ?)", "cron(60 3 * * ? *)", "cron(0 3 L * ? *)", "every day", "at(tomorrow)"} {
		if _, err := ParseSchedule(bad, ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseSchedule("rate(1 hour)", "Mars/Olympus"); err == nil {
		t.Error("bad time zone accepted")
	}
	// The built-in schedules parse.
	for _, js := range cloud.BuiltinSchedules(true) {
		if _, err := ParseSchedule(js.Expression, js.TimeZone); err != nil {
			t.Error(err)
		}
	}
}

// The scheduler with an injected clock: sleeping advances it, runs are recorded, no real waiting.
func TestSchedulerLoop(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	var runs []string
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(ctx context.Context, d time.Duration) bool {
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil || len(runs) >= 3 {
				return false
			}
			now = now.Add(d)
			return true
		},
		Run: func(ctx context.Context, name string) error {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, name+"@"+now.Format("15:04"))
			return nil
		},
	}
	if err := s.Start(ctx, []cloud.JobSchedule{{Name: "m", Expression: "cron(15 3 * * ? *)"}}); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	cancel()
	want := []string{"m@03:15", "m@03:15", "m@03:15"}
	if len(runs) != 3 || runs[0] != want[0] {
		t.Errorf("runs %v", runs)
	}
	if now != time.Date(2026, 11, 27, 3, 15, 0, 0, time.UTC) {
		t.Errorf("clock at %v, want the third day's run", now)
	}
	if err := s.Start(ctx, []cloud.JobSchedule{{Name: "x", Expression: "nope"}}); err == nil {
		t.Error("bad expression accepted")
	}
}
