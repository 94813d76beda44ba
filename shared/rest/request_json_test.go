package rest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sameAsStd checks that decodeJSON answers in exactly as encoding/json with UseNumber does: the same
// value, or an error for the same inputs.
func sameAsStd(t *testing.T, in []byte) {
	t.Helper()
	got, gotErr := decodeJSON(in)
	want, wantErr := decodeJSONStd(in)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, encoding/json %v", in, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got  %#v\n want %#v", in, got, want)
	}
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		`{}`, `[]`, `{"a":1}`, ` { "a" : [ 1 , -2.5e3 , 0 , true , false , null , "x" ] } `,
		`{"a":{"b":{"c":[{"d":"é ✓ 😀"}]}}}`, `{"a":1,"a":2}`, `"s"`, `12`, `-0`, `0.5E-7`, `1e+2`,
		`{"requests":[{"method":"POST","path":"/parse/classes/New","body":{"n":1,"g":{"__type":"Date","iso":"2024-01-02T03:04:05.000Z"}}}]}`,
		// Escapes: decoded by the scanner, except UTF-16 surrogates.
		`{"a":"line\nbreak \"q\" \\ \/ \b\f\r\t \u00e9\u20AC \u0000"}`, `{"k\u0065y":"v"}`, "\"é\\n\"",
		// encoding/json's path (surrogates, invalid UTF-8, bad escapes) or its error.
		`{"a":"\u00e9\ud83d\ude00"}`, `{"a":"\ud800"}`, `{"a":"\udc00x"}`, "{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}",
		"\"\xc3\\u00a9\"", "\"\\u00e9\xa9\"", `"\u12"`, `"\u12g4"`, `"\x"`, `"\'"`, `"\`, `"\u00`, "\"\\n\x01\"",
		``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `-`, `1.`, `.5`, `1e`, `+1`, `1x`,
		`tru`, `truex`, `nul`, `{} x`, `{} }`, `{}{}`, `[1 2]`, `{"a":1 "b":2}`, `"abc`, `{"a"`, `NaN`, `Infinity`,
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
		strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
	}
	for _, c := range cases {
		sameAsStd(t, []byte(c))
	}
	// The fast path really answers plain bodies and common escapes (this is what it is for).
	s := jsonScanner{b: []byte(`{"a":[1,"x",{"b":null}]}`)}
	if v, ok := s.document(); !ok || v.(map[string]any)["a"].([]any)[0] != json.Number("1") {
		t.Fatalf("plain body not scanned: %v %v", v, ok)
	}
	s = jsonScanner{b: []byte(`{"note":"two\nlines, \"quoted\", caf\u00e9"}`)}
	if v, ok := s.document(); !ok || v.(map[string]any)["note"] != "two\nlines, \"quoted\", café" {
		t.Fatalf("escapes not scanned: %q %v", v, ok)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,true,null,"x"]}`, `{"a":"\u00e9\n\"\ud83d\ude00"}`, `[{"k":{}},[]]`, `1e5`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { sameAsStd(t, in) })
}

// batchBodyJSON is a /batch of n creates shaped like benchcompare's.
func batchBodyJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"requests":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"method":"POST","path":"/parse/classes/New","body":{"title":"item %d","score":%d,"price":12.5,"active":true,"tags":["a","b"],"meta":{"k":"v","n":3},"when":{"__type":"Date","iso":"2024-01-02T03:04:05.000Z"},"owner":{"__type":"Pointer","className":"_User","objectId":"abcdefghij"},"note":null}}`, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// go test -run '^$' -bench DecodeJSON -benchmem ./shared/rest/
func BenchmarkDecodeJSON(b *testing.B) {
	body := batchBodyJSON(20)
	for _, c := range []struct {
		name string
		fn   func([]byte) (any, error)
	}{{"scanner", decodeJSON}, {"encoding-json", decodeJSONStd}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := c.fn(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
