package storage_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/parselambda/parselambda/shared/storage"
)

// encoderJSON is the reference MarshalJSON must match byte for byte: encoding/json without HTML
// escaping and without the trailing newline.
func encoderJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestMarshalJSONMatchesTheEncoder(t *testing.T) {
	cases := []struct {
		name string
		v    any
	}{
		{"create answer", map[string]any{"objectId": "a1B2c3D4e5", "createdAt": "2026-11-26T09:00:00.123Z"}},
		{"update answer", map[string]any{"updatedAt": "2026-11-26T09:00:00.123Z"}},
		{"empty map", map[string]any{}},
		{"nil map", map[string]any(nil)},
		{"keys sorted", map[string]any{"z": "1", "a": "2", "m": "3", "B": "4"}},
		{"quote", map[string]any{"a": `say "hi"`}},
		{"backslash", map[string]any{"a": `C:\dir`}},
		{"control", map[string]any{"a": "tab\there", "b": "nl\n"}},
		{"html kept", map[string]any{"a": "<b>&</b>"}},
		{"non-ASCII", map[string]any{"a": "café", "b": "line\u2028sep"}},
		{"invalid UTF-8", map[string]any{"a": "\xff\xfe"}},
		{"DEL", map[string]any{"a": "\x7f"}},
		{"escaped key", map[string]any{"k\"ey": "v"}},
		{"number value", map[string]any{"a": "x", "n": 3}},
		{"nested", map[string]any{"a": map[string]any{"b": "c"}}},
		{"nil value", map[string]any{"a": nil}},
		{"nine keys", map[string]any{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8", "i": "9"}},
		{"eight keys", map[string]any{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8"}},
		{"not a map", []any{"a", 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := storage.MarshalJSON(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if want := encoderJSON(t, tc.v); !bytes.Equal(got, want) {
				t.Fatalf("MarshalJSON = %s, encoding/json = %s", got, want)
			}
		})
	}
}

func FuzzMarshalJSONStrings(f *testing.F) {
	f.Add("objectId", "a1B2c3D4e5", "createdAt", "2026-11-26T09:00:00.123Z")
	f.Add("a", `"\`, "b", "\u2028")
	f.Add("", "", "x", "\x00")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]any{k1: v1, k2: v2}
		got, err := storage.MarshalJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		if want := encoderJSON(t, m); !bytes.Equal(got, want) {
			t.Fatalf("MarshalJSON = %q, encoding/json = %q", got, want)
		}
	})
}
