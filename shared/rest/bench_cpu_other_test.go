//go:build !unix

package rest_test

import "testing"

// reportCPU reports nothing where getrusage is missing (see bench_cpu_unix_test.go).
func reportCPU(*testing.B) func() { return func() {} }
