package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// ColdStart is the time from exec to the first successful client read of an object.
type ColdStart struct {
	Target   string    `json:"target"`
	RunsMs   []float64 `json:"runsMs"`
	MedianMs float64   `json:"medianMs"`
	Error    string    `json:"error,omitempty"`
}

const coldClass = "ColdItem"

// coldStarter starts one kind of server; base is its REST URL.
type coldStarter struct {
	key, name string
	base      string
	appID     string
	masterKey string
	start     func(ctx context.Context, wait bool) (*proc, error)
}

// measureColdStart prepares one object (a first, unmeasured run creates it), then runs the server
// runs times, each from exec to the first 200 of GET /classes/ColdItem/:id as a client.
func measureColdStart(ctx context.Context, cs coldStarter, runs int, logf func(string, ...any)) ColdStart {
	out := ColdStart{Target: cs.key}
	fail := func(err error) ColdStart {
		out.Error = err.Error()
		logf("cold start %s: %v", cs.name, err)
		return out
	}
	p, err := cs.start(ctx, true)
	if err != nil {
		return fail(err)
	}
	d, err := newRESTDriver(cs.base, cs.appID, cs.masterKey)
	if err != nil {
		p.stop(5 * time.Second)
		return fail(err)
	}
	var created struct {
		ObjectID string `json:"objectId"`
	}
	err = d.do(ctx, "POST", "/classes/"+coldClass, true, map[string]any{"name": "cold", "ACL": publicACL}, &created)
	p.stop(10 * time.Second)
	if err != nil {
		return fail(fmt.Errorf("prepare the object: %w", err))
	}
	for range runs {
		ms, err := coldRun(ctx, cs, created.ObjectID)
		if err != nil {
			return fail(err)
		}
		out.RunsMs = append(out.RunsMs, ms)
	}
	s := slices.Clone(out.RunsMs)
	slices.Sort(s)
	out.MedianMs = s[len(s)/2]
	return out
}

func coldRun(ctx context.Context, cs coldStarter, id string) (float64, error) {
	// A fresh client per run: no connection survives from the previous process.
	d, err := newRESTDriver(cs.base, cs.appID, cs.masterKey)
	if err != nil {
		return 0, err
	}
	p, err := cs.start(ctx, false)
	if err != nil {
		return 0, err
	}
	defer p.stop(10 * time.Second)
	deadline := p.started.Add(90 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		var got struct {
			ObjectID string `json:"objectId"`
		}
		err := d.do(c, "GET", "/classes/"+coldClass+"/"+id, false, nil, &got)
		cancel()
		if err == nil && got.ObjectID != id {
			err = fmt.Errorf("answered objectId %q", got.ObjectID)
		}
		if err == nil {
			return float64(time.Since(p.started).Microseconds()) / 1000, nil
		}
		if p.exited() {
			return 0, fmt.Errorf("%s exited during cold start (%v):\n%s", cs.name, p.waitErr, p.output())
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: no successful read within 90 s: %v", cs.name, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Microsecond):
		}
	}
}
