package storage_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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
		{"array", []any{"a", 1, int64(-2), 2.5, true, false, nil}},
		{"nil array", map[string]any{"a": []any(nil)}},
		{"batch answer", []any{
			map[string]any{"success": map[string]any{"objectId": "a1", "createdAt": "2026-11-26T09:00:00.123Z"}},
			map[string]any{"error": map[string]any{"code": 137, "error": "A duplicate value for a field with unique values was provided"}},
		}},
		{"update answer with a number", map[string]any{"updatedAt": "2026-11-26T09:00:00.123Z", "counter": float64(12)}},
		{"ints", []any{0, -1, math.MaxInt64, int64(math.MinInt64)}},
		{"typed int", map[string]any{"code": int32(5)}},
		{"other map type", map[string]any{"a": map[string]string{"b": "c"}}},
		{"seventeen keys", map[string]any{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10, "k": 11, "l": 12, "m": 13, "n": 14, "o": 15, "p": 16, "q": 17}},
		{"deep", deep(40)},
		{"emoji", map[string]any{"name": "Zoë 🎉", "日本": "語"}},
	}
	// Each float alone: one value the fast path leaves to the encoder sends the whole answer there.
	for _, f := range []float64{0, math.Copysign(0, -1), 1e-6, 9.99e-7, 1e20, 999999999999999999999, 1e21, -1e21, -123.456, 0.1 + 0.2, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		cases = append(cases, struct {
			name string
			v    any
		}{fmt.Sprint("float ", f), map[string]any{"f": f}})
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

// deep is n arrays nested in each other around a string.
func deep(n int) any {
	var v any = "x"
	for range n {
		v = []any{v}
	}
	return v
}

type (
	namedMap   map[string]any
	namedSlice []any
)

func TestMarshalJSONWritesNonFiniteNumbersAsNull(t *testing.T) {
	type typed struct{ F float64 }
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"NaN", math.NaN(), `null`},
		{"infinities in a map", map[string]any{"a": math.Inf(1), "b": []any{math.Inf(-1), 1.5}}, `{"a":null,"b":[null,1.5]}`},
		{"in named map and slice types", map[string]any{"p": namedMap{"x": math.Inf(1), "l": namedSlice{math.NaN()}}}, `{"p":{"l":[null],"x":null}}`},
		{"beside a value the fast path leaves to the encoder", map[string]any{"a": math.Inf(1), "t": int32(3), "s": "é\u2028"}, `{"a":null,"s":"é\u2028","t":3}`},
	}
	for _, tc := range cases {
		got, err := storage.MarshalJSON(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: MarshalJSON = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	// Inside a type of its own the value cannot be replaced: the encoder's error stands.
	if b, err := storage.MarshalJSON(map[string]any{"x": typed{F: math.Inf(1)}}); err == nil {
		t.Errorf("MarshalJSON of an infinite struct field = %s, want an error", b)
	}
}

// FuzzMarshalJSON checks MarshalJSON against the encoder on whatever JSON documents decode to
// (maps, []any, float64, string, bool, nil), and on two-key maps of arbitrary strings.
func FuzzMarshalJSON(f *testing.F) {
	f.Add(`{"objectId":"a1B2c3D4e5","createdAt":"2026-11-26T09:00:00.123Z"}`, "a", `"\`)
	f.Add(`[{"success":{"objectId":"x"}},{"error":{"code":137,"error":"dup"}}]`, "k", "\u2028")
	f.Add(`[1e-7,1e21,-0,0.30000000000000004,"\u00e9\ud83c\udf89"]`, "", "\x00\xff")
	f.Fuzz(func(t *testing.T, doc, k, s string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) == nil {
			checkMarshalJSON(t, v)
		}
		checkMarshalJSON(t, map[string]any{k: s, "n": []any{s, 1.5}})
	})
}

func checkMarshalJSON(t *testing.T, v any) {
	t.Helper()
	got, err := storage.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := encoderJSON(t, v); !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON = %q, encoding/json = %q", got, want)
	}
}
