package config

import "testing"

func TestRuntimeFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want RuntimeSettings
	}{
		{"local server", nil, RuntimeSettings{GCPercent: 400, MemoryLimit: 256 << 20}},
		{"lambda 512 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 384 << 20}},
		{"lambda 128 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 96 << 20}},
		{"bad memory size keeps the local limit", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, RuntimeSettings{GCPercent: 400, MemoryLimit: 256 << 20}},
		{"GOGC set by the operator", map[string]string{"GOGC": "100"}, RuntimeSettings{MemoryLimit: 256 << 20}},
		{"GOMEMLIMIT set by the operator", map[string]string{"GOMEMLIMIT": "1GiB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, RuntimeSettings{GCPercent: 400}},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "100MiB"}, RuntimeSettings{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := RuntimeFromEnv(func(k string) string { return c.env[k] })
			if got != c.want {
				t.Fatalf("RuntimeFromEnv = %+v, want %+v", got, c.want)
			}
		})
	}
}
