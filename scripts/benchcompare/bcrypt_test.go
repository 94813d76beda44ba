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
	if got := lessBcrypt(160, 150); got != "10.0 ms" {
		t.Fatalf("lessBcrypt(160, 150) = %q", got)
	}
	if got := lessBcrypt(150, 157); got != "≈0 ms (within the bcrypt timing's spread)" {
		t.Fatalf("lessBcrypt(150, 157) = %q", got)
	}
}

// TestSignupBudgetJudgement checks when the sign-up + login budget is judged: only where 0.1× Parse
// Server's CPU without bcrypt is above what the bcrypt timing resolves.
func TestSignupBudgetJudgement(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	build := func(ours, ps, spread float64) Budget {
		r := &Report{Settings: Settings{Concurrency: []int{1}}}
		r.Results = []Result{
			{Target: tkOurs, Scenario: scSignup, Concurrency: 1, ServerCPU: f(ours)},
			{Target: tkParse, Scenario: scSignup, Concurrency: 1, ServerCPU: f(ps)},
		}
		r.Bcrypt = []BcryptTime{
			{Impl: "golang.org/x/crypto/bcrypt (ours)", HashMs: 75, CompareMs: 75, SpreadMs: spread},
			{Impl: "@node-rs/bcrypt (node)", HashMs: 78, CompareMs: 78, SpreadMs: spread},
		}
		r.evaluate()
		for _, b := range r.Budgets {
			if strings.HasPrefix(b.Name, "sign-up+login") {
				return b
			}
		}
		t.Fatal("no sign-up+login budget")
		return Budget{}
	}
	cases := []struct {
		name             string
		ours, ps, spread float64
		status, inDetail string
	}{
		{"met", 151, 216, 1, "met", "(0.02×)"},
		{"missed", 160, 216, 1, "MISSED", "(0.17×!)"},
		{"below the resolution", 152, 165, 2, "n/a", "not judged"},
		{"ours below the bcrypt medians", 145, 216, 1, "met", "within the bcrypt timing's spread"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := build(c.ours, c.ps, c.spread)
			if b.Status != c.status || !strings.Contains(b.Detail, c.inDetail) {
				t.Fatalf("status %q, detail %q; want %q containing %q", b.Status, b.Detail, c.status, c.inDetail)
			}
		})
	}
}
