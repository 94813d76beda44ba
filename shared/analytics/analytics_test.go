package analytics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/parse"
)

func TestTrackWritesOneEMFLinePerEvent(t *testing.T) {
	var buf bytes.Buffer
	r := &Recorder{W: &buf, Now: func() time.Time { return time.UnixMilli(1700000000123) }}
	if err := r.Track(" signup ", map[string]any{"dimensions": map[string]any{"plan": "pro"}}); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("%q: %v", buf.String(), err)
	}
	want := `{"_aws":{"CloudWatchMetrics":[{"Dimensions":[["plan"]],"Metrics":[{"Name":"signup","Unit":"Count"}],"Namespace":"Parse/Events"}],"Timestamp":1700000000123},"plan":"pro","signup":1}`
	if got, _ := json.Marshal(line); string(got) != want {
		t.Errorf("line\n got %s\nwant %s", got, want)
	}
}

func TestParseRejects(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		name string
		body map[string]any
		code int
	}{
		{"", nil, 160},
		{"a/b", nil, 160},
		{string(make([]byte, 300)), nil, 160},
		{"evt", map[string]any{"dimensions": "x"}, 107},
		{"evt", map[string]any{"dimensions": map[string]any{"ok": "x", "_aws": "y"}}, 107},
		{"evt", map[string]any{"dimensions": map[string]any{"ok": "x"}}, 0},
		{"evt", map[string]any{"dimensions": map[string]any{"ok": "x"}, "at": map[string]any{"__type": "Date", "iso": "nope"}}, 107},
	} {
		_, err := Parse(c.name, c.body, now)
		code := 0
		if pe, ok := parse.As(err); ok {
			code = pe.Code
		}
		if code != c.code {
			t.Errorf("Parse(%q, %v) = %v, want code %d", c.name, c.body, err, c.code)
		}
	}
}
