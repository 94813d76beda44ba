package main

import (
	"slices"
	"testing"

	"github.com/parselambda/parselambda/shared/config"
)

// lastValue is the value exec gives a child for key: the last of repeated entries.
func lastValue(env []string, key string) (string, bool) {
	val, found := "", false
	for _, kv := range env {
		if len(kv) > len(key) && kv[:len(key)+1] == key+"=" {
			val, found = kv[len(key)+1:], true
		}
	}
	return val, found
}

func TestOursEnvRuntime(t *testing.T) {
	base := oursSpec{addr: "127.0.0.1:1", mongoURI: "mongodb://127.0.0.1:2/", dbName: "d", appID: "a", masterKey: "m"}
	if _, ok := lastValue(base.env(), "GOMAXPROCS"); ok {
		t.Fatalf("the embedded-database target must keep Go's default GOMAXPROCS: %v", base.env())
	}
	lam := base
	lam.lambdaRuntime = true
	if v, _ := lastValue(lam.env(), "GOMAXPROCS"); v != "1" {
		t.Fatalf("lambdaRuntime: GOMAXPROCS = %q, want 1 (env %v)", v, lam.env())
	}
	if v, _ := lastValue(lam.env(), "GODEBUG"); v != config.LambdaGODEBUG {
		t.Fatalf("lambdaRuntime: GODEBUG = %q, want the functions' %q", v, config.LambdaGODEBUG)
	}
	if _, ok := lastValue(base.env(), "GODEBUG"); ok {
		t.Fatalf("the embedded-database target must keep the runtime's defaults: %v", base.env())
	}
	t.Setenv("BENCH_OURS_GOMAXPROCS", "2")
	if v, _ := lastValue(lam.env(), "GOMAXPROCS"); v != "2" {
		t.Fatalf("BENCH_OURS_GOMAXPROCS=2 must win over lambdaRuntime: GOMAXPROCS = %q", v)
	}
	if !slices.Contains(oursEnvOverrides(), "GOMAXPROCS=2") {
		t.Fatalf("overrides %v should record GOMAXPROCS=2", oursEnvOverrides())
	}
}
