package main

import (
	"strings"
	"testing"
)

// TestGoBcryptTimeIsCPU checks that our bcrypt is timed in CPU time of the thread: cost 10 is tens of
// milliseconds of work on any machine this runs on, and a hash and a compare do the same work.
func TestGoBcryptTimeIsCPU(t *testing.T) {
	bt := goBcryptTime(3)
	for name, ms := range map[string]float64{"hash": bt.HashMs, "compare": bt.CompareMs} {
		if ms < 5 || ms > 2000 {
			t.Fatalf("%s: %.1f ms of CPU, want the work of one cost-10 bcrypt (5–2000 ms)", name, ms)
		}
	}
}

func TestLessBcrypt(t *testing.T) {
	if got := lessBcrypt(160, 150, 4); got != "10.0 ms ± 4.0" {
		t.Fatalf("lessBcrypt(160, 150, 4) = %q", got)
	}
	if got := lessBcrypt(148, 150, 4); got != "-2.0 ms ± 4.0" {
		t.Fatalf("lessBcrypt(148, 150, 4) = %q", got)
	}
	if got := lessBcrypt(140, 150, 4); !strings.Contains(got, "inconsistent") {
		t.Fatalf("lessBcrypt(140, 150, 4) = %q, want it called inconsistent", got)
	}
}

// TestSignupBudgetReport checks the sign-up + login line: reported, never judged, with ours minus
// the floor server when the floor ran it.
func TestSignupBudgetReport(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	r := &Report{Settings: Settings{Concurrency: []int{1}}}
	r.Results = []Result{
		{Target: tkOurs, Scenario: scSignup, Concurrency: 1, ServerCPU: f(153)},
		{Target: tkFloor, Scenario: scSignup, Concurrency: 1, ServerCPU: f(151.5)},
		{Target: tkParse, Scenario: scSignup, Concurrency: 1, ServerCPU: f(180)},
	}
	r.Bcrypt = []BcryptTime{
		{Impl: "golang.org/x/crypto/bcrypt (ours)", HashMs: 75, CompareMs: 75, SpreadMs: 2},
		{Impl: "@node-rs/bcrypt (node)", HashMs: 76, CompareMs: 76, SpreadMs: 1},
	}
	r.evaluate()
	for _, b := range r.Budgets {
		if !strings.HasPrefix(b.Name, "sign-up+login") {
			continue
		}
		for _, want := range []string{"ours − floor (Parse's work beyond the same bcrypt and database operations) 1.5 ms", "ours 3.0 ms ± 4.0", "Parse Server 28.0 ms ± 2.0", "(0.85×)"} {
			if !strings.Contains(b.Detail, want) {
				t.Errorf("detail %q lacks %q", b.Detail, want)
			}
		}
		if b.Status != "info" {
			t.Errorf("status %q, want info (not judged)", b.Status)
		}
		return
	}
	t.Fatal("no sign-up+login budget")
}
