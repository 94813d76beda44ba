// Package analytics records Parse analytics events (POST /events/:name) as CloudWatch Embedded Metric
// Format lines: one JSON object per event on a writer (stdout in Lambda, where CloudWatch Logs turns
// each line into a count of the event, by its dimensions, in the namespace Parse/Events).
package analytics

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/storage"
)

// Namespace is the CloudWatch namespace of event metrics.
const Namespace = "Parse/Events"

// MaxDimensions is CloudWatch's limit of dimensions per metric.
const MaxDimensions = 30

// Recorder writes events to W.
type Recorder struct {
	W   io.Writer
	Now func() time.Time

	mu sync.Mutex
}

// validName checks a name of 1..max characters: a letter or digit, then letters, digits, space and
// `_ . : # -`. (A regexp with a {0,254} repeat costs milliseconds to compile at every cold start.)
func validName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if alnum || i > 0 && strings.IndexByte(" _.:#-", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// Event is one parsed event.
type Event struct {
	Name       string
	At         time.Time
	Dimensions map[string]string
}

// Parse checks an event name and the SDKs' payload {at?, dimensions?}: an invalid name is 160, a
// dimensions value that is not an object of strings or an invalid "at" is 107.
func Parse(name string, body map[string]any, now time.Time) (*Event, error) {
	name = strings.TrimSpace(name)
	if !validName(name, 255) {
		return nil, parse.Errorf(parse.InvalidEventName, "Invalid event name: %q. Event names are 1 to 255 letters, digits, spaces and _ . : # -, starting with a letter or digit.", name)
	}
	ev := &Event{Name: name, At: now, Dimensions: map[string]string{}}
	switch at := body["at"].(type) {
	case nil:
	case string:
		t, ok := storage.ParseTime(at)
		if !ok {
			return nil, parse.NewError(parse.InvalidJSON, "at must be a date")
		}
		ev.At = t
	case map[string]any:
		iso, _ := at["iso"].(string)
		t, ok := storage.ParseTime(iso)
		if at["__type"] != "Date" || !ok {
			return nil, parse.NewError(parse.InvalidJSON, "at must be a date")
		}
		ev.At = t
	default:
		return nil, parse.NewError(parse.InvalidJSON, "at must be a date")
	}
	switch dims := body["dimensions"].(type) {
	case nil:
	case map[string]any:
		if len(dims) > MaxDimensions {
			return nil, parse.Errorf(parse.InvalidJSON, "An event may have at most %d dimensions.", MaxDimensions)
		}
		for k, v := range dims {
			s, ok := v.(string)
			if !ok {
				return nil, parse.NewError(parse.InvalidJSON, `dimensions expects keys and values of type "string".`)
			}
			if !validName(k, 250) || k == name {
				return nil, parse.Errorf(parse.InvalidJSON, "Invalid dimension name: %q.", k)
			}
			if len(s) > 1024 {
				return nil, parse.Errorf(parse.InvalidJSON, "The value of dimension %q is longer than 1024 characters.", k)
			}
			ev.Dimensions[k] = s
		}
	default:
		return nil, parse.NewError(parse.InvalidJSON, `dimensions expects keys and values of type "string".`)
	}
	return ev, nil
}

// Line is the EMF object of an event.
func Line(ev *Event) map[string]any {
	names := make([]string, 0, len(ev.Dimensions))
	for k := range ev.Dimensions {
		names = append(names, k)
	}
	sort.Strings(names)
	line := map[string]any{
		"_aws": map[string]any{
			"Timestamp": ev.At.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  Namespace,
				"Dimensions": [][]string{names},
				"Metrics":    []any{map[string]any{"Name": ev.Name, "Unit": "Count"}},
			}},
		},
		ev.Name: 1,
	}
	for k, v := range ev.Dimensions {
		line[k] = v
	}
	return line
}

// Record writes the event's line.
func (r *Recorder) Record(ev *Event) error {
	b, err := json.Marshal(Line(ev))
	if err != nil {
		return err
	}
	b = append(b, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err = r.W.Write(b)
	return err
}

// Track parses and records an event.
func (r *Recorder) Track(name string, body map[string]any) error {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	ev, err := Parse(name, body, now)
	if err != nil {
		return err
	}
	return r.Record(ev)
}
