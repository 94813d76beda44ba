package main

import "testing"

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
