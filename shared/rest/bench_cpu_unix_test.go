//go:build unix

package rest_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU starts counting this process's CPU time (user and system); the function it returns
// reports it per operation as cpu-µs/op. With MONGODB_URI on a database in another process, that is
// the engine's and the driver's CPU without the database's, which ns/op includes as waiting time.
func reportCPU(b *testing.B) func() {
	start := processCPU(b)
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU(b)-start).Microseconds())/float64(b.N), "cpu-µs/op")
		}
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
