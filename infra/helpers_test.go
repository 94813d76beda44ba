package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/parselambda/parselambda/shared/families"
)

// testRoot holds the placeholder assets and the cloud assemblies of all fixtures; removed after the run.
var testRoot string

func TestMain(m *testing.M) {
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20") // node 20 banner
	}
	dir, err := os.MkdirTemp("", "infra-test-")
	if err != nil {
		panic(err)
	}
	testRoot = dir
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// placeholderBuild creates <testRoot>/build/<family>/bootstrap for every family, once.
var placeholderBuild = sync.OnceValue(func() string {
	dir := filepath.Join(testRoot, "build")
	for _, f := range families.All {
		d := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(d, "bootstrap"), []byte("#!/bin/sh\necho placeholder\n"), 0o755); err != nil {
			panic(err)
		}
	}
	return dir
})

// fixture is one synthesized stack.
type fixture struct {
	stack *ParseStack
	tmpl  assertions.Template
	res   map[string]resource // logical id -> resource
}

type resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
	UpdateReplace  string         `json:"UpdateReplacePolicy"`
	DependsOn      any            `json:"DependsOn"`
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[string]*fixture{}
)

// Fixture contexts. Synthesis is the slow part, so each is built once and shared by the tests.
var fixtureContexts = map[string]map[string]any{
	"dev":  {"stage": "dev"},
	"prod": {"stage": "prod", "dbInstances": "2"},
	"mongo": {
		"stage":             "dev",
		"mongoUriSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:atlas-uri-AbCdEf",
		"nat":               "true",
	},
	"full": {
		"stage":                    "prod",
		"nat":                      "true",
		"senderEmail":              "noreply@example.com",
		"alarmEmail":               "ops@example.com",
		"pushPlatformApplications": `{"ios":"arn:aws:sns:eu-west-1:123456789012:app/APNS/myapp","android":"arn:aws:sns:eu-west-1:123456789012:app/GCM/myapp"}`,
		"domainName":               "api.example.com",
		"certificateArn":           "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
		"jobSchedules":             `[{"name":"cleanup","expression":"cron(0 3 * * ? *)","timeZone":"Europe/Berlin"},{"name":"hourly stats","expression":"rate(1 hour)"}]`,
		"endpoints":                "secretsmanager",
		"filesVersioned":           true,
	},
}

func getFixture(t *testing.T, name string) *fixture {
	t.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[name]; ok {
		return f
	}
	ctx := map[string]any{"buildDir": placeholderBuild()}
	for k, v := range fixtureContexts[name] {
		ctx[k] = v
	}
	outdir := filepath.Join(testRoot, "cdk.out."+name)
	app := NewApp(ctx, outdir)
	s, err := Build(app)
	if err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	tmpl := assertions.Template_FromStack(s.Stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]resource `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	f := &fixture{stack: s, tmpl: tmpl, res: doc.Resources}
	fixtures[name] = f
	return f
}

// logicalID is the template logical id of a construct's default CloudFormation resource.
func (f *fixture) logicalID(c interface{ Node() constructs.Node }) string {
	el := c.Node().DefaultChild().(awscdk.CfnElement)
	return *f.stack.Stack.GetLogicalId(el)
}

// ofType returns the logical ids of all resources of type typ, sorted.
func (f *fixture) ofType(typ string) []string {
	var ids []string
	for id, r := range f.res {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// refs returns every logical id referenced (Ref / Fn::GetAtt) anywhere inside v.
func refs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["Ref"].(string); ok && len(x) == 1 {
				out = append(out, r)
			}
			if ga, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 && len(ga) > 0 {
				if s, ok := ga[0].(string); ok {
					out = append(out, s)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// getAtt reports whether v is {"Fn::GetAtt": [id, attr]}.
func isGetAtt(v any, id, attr string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	ga, ok := m["Fn::GetAtt"].([]any)
	return ok && len(ga) == 2 && ga[0] == id && ga[1] == attr
}

// strs normalizes a string-or-list IAM field.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			} else {
				b, _ := json.Marshal(e)
				out = append(out, string(b))
			}
		}
		return out
	case nil:
		return nil
	default:
		b, _ := json.Marshal(x)
		return []string{string(b)}
	}
}

func tag(r resource, key string) string {
	tags, _ := r.Properties["Tags"].([]any)
	for _, t := range tags {
		m := t.(map[string]any)
		if m["Key"] == key {
			return fmt.Sprint(m["Value"])
		}
	}
	return ""
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
