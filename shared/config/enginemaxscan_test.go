package config

import "testing"

func TestEngineMaxScan(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := FromEnv(env(nil))
	if err != nil || c.EngineMaxScan != 100000 {
		t.Fatalf("default: %d, %v", c.EngineMaxScan, err)
	}
	for v, want := range map[string]int{"0": 0, "5000": 5000, " 7 ": 7} {
		c, err := FromEnv(env(map[string]string{"ENGINE_MAX_SCAN": v}))
		if err != nil || c.EngineMaxScan != want {
			t.Errorf("ENGINE_MAX_SCAN=%q: %d, %v; want %d", v, c.EngineMaxScan, err, want)
		}
	}
	for _, v := range []string{"-1", "lots", "1e5"} {
		if _, err := FromEnv(env(map[string]string{"ENGINE_MAX_SCAN": v})); err == nil {
			t.Errorf("ENGINE_MAX_SCAN=%q accepted", v)
		}
	}
}
