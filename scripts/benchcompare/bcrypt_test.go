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

// TestSignupBudget checks the sign-up + login budget: ours without bcrypt (its CPU × the share
// outside bcrypt) against Parse Server's main thread.
func TestSignupBudget(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	build := func(share *float64, oursCPU, psMain float64) Budget {
		r := &Report{Settings: Settings{Concurrency: []int{1}}, OursSignupBcryptShare: share}
		r.Results = []Result{
			{Target: tkOurs, Scenario: scSignup, Concurrency: 1, ServerCPU: f(oursCPU)},
			{Target: tkParse, Scenario: scSignup, Concurrency: 1, ServerCPU: f(170), MainThreadCPU: f(psMain)},
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
		name     string
		share    *float64
		ours, ps float64
		status   string
		detail   string
	}{
		{"met", f(0.99), 140, 20, "met", "without bcrypt: ours 1.40 ms, Parse Server ≥ 20.00 ms (main thread) = 0.07×"},
		{"missed", f(0.98), 150, 20, "MISSED", "ours 3.00 ms, Parse Server ≥ 20.00 ms (main thread) = 0.15×!"},
		{"no profile", nil, 150, 20, "n/a", "c1 CPU per sign-up+login: ours 150.0 ms, Parse Server 170.0 ms"},
	}
	// The sampling error of the share outside bcrypt is shown with it.
	r := &Report{Settings: Settings{Concurrency: []int{1}}, OursSignupBcryptShare: f(0.98), OursSignupOtherSamples: 100}
	r.Results = []Result{{Target: tkOurs, Scenario: scSignup, Concurrency: 1, ServerCPU: f(150)}}
	r.evaluate()
	var detail string
	for _, b := range r.Budgets {
		if strings.HasPrefix(b.Name, "sign-up+login") {
			detail = b.Detail
		}
	}
	if !strings.Contains(detail, "100 samples outside bcrypt, so the rest is known to ±10%") {
		t.Errorf("sampling error not reported: %q", detail)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := build(c.share, c.ours, c.ps)
			if b.Status != c.status || !strings.Contains(b.Detail, c.detail) {
				t.Fatalf("status %q, detail %q; want %q containing %q", b.Status, b.Detail, c.status, c.detail)
			}
		})
	}
}

// perfScriptSample is what `perf script -F period,ip,sym` prints: a period line, then the call chain.
const perfScriptSample = `   1001001 
	         11e6980 golang.org/x/crypto/blowfish.encryptBlock
	         11e81c5 golang.org/x/crypto/bcrypt.expensiveBlowfishSetup
	         11f0353 github.com/parselambda/parselambda/shared/users.(*Service).SignUp

   2000000 
	ffffffff8206e69f __tcp_cleanup_rbuf
	ffffffff82070e1f tcp_recvmsg
	          35aa70 net/http.(*conn).serve

   999000 
	          97b01 runtime.goexit.abi0
`

func TestParsePerfScript(t *testing.T) {
	p, err := parsePerfScript(strings.NewReader(perfScriptSample))
	if err != nil {
		t.Fatal(err)
	}
	want := perfStacks{total: 4000001, inBcrypt: 1001001, samples: 3, otherSamples: 2, kernel: true}
	if p != want {
		t.Fatalf("parsed %+v, want %+v", p, want)
	}
	if got, w := p.share(), 1001001.0/4000001; got != w {
		t.Fatalf("share %v, want %v", got, w)
	}
	// Without kernel frames the split would leave system time out: reported, not hidden.
	user, err := parsePerfScript(strings.NewReader("   10 \n\t 97b01 runtime.goexit.abi0\n"))
	if err != nil || user.kernel {
		t.Fatalf("user-only sample: %+v, %v", user, err)
	}
	for _, bad := range []string{"", "\n\n", "not a period\n\t97b01 x\n"} {
		if _, err := parsePerfScript(strings.NewReader(bad)); err == nil {
			t.Errorf("parsePerfScript(%q): no error", bad)
		}
	}
}
