package boot

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/parselambda/parselambda/functions/internal/docdbca"
	"github.com/parselambda/parselambda/functions/internal/fakes"
)

// The JSON that DocumentDB writes into a cluster's generated secret once CDK attaches it to the cluster.
const docdbSecret = `{"dbClusterIdentifier":"parse-db","engine":"mongo","host":"parse-db.cluster-abc.us-east-1.docdb.amazonaws.com","port":27017,"ssl":true,"username":"parseadmin","password":"p@ss:w/rd?"}`

// fakeSM starts the fake Secrets Manager over real HTTP and returns it with a real SDK client for it.
func fakeSM(t *testing.T) (*fakes.SecretsManager, *secretsmanager.Client) {
	t.Helper()
	f := fakes.NewSecretsManager()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	return f, client
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// deployedEnv is the environment the CDK app gives a function (infra/functions.go), without secrets.
func deployedEnv(parseARN, dbARN string) map[string]string {
	return map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "parselambda-dev-Fnclasses",
		"PARSE_FAMILY":             "classes",
		"APP_ID":                   "testapp",
		"STAGE":                    "dev",
		"SERVER_URL":               "https://abc123.execute-api.us-east-1.amazonaws.com/parse",
		"MOUNT_PATH":               "/parse",
		"PARSE_SECRET_ARN":         parseARN,
		"DB_KIND":                  "documentdb",
		"DB_SECRET_ARN":            dbARN,
		"DB_NAME":                  "parse",
		"MONGODB_MAX_POOL_SIZE":    "4",
		"DB_TLS_CA":                "documentdb",
	}
}

func TestLoadFromSecretsManager(t *testing.T) {
	f, client := fakeSM(t)
	parseARN := f.Put("parselambda-dev-app", `{"appId":"testapp","masterKey":"m4ster","clientKey":"ck","javascriptKey":"jk","restAPIKey":"rk","dotNetKey":"dk","webhookKey":"wk"}`)
	dbARN := f.Put("parselambda-dev-db", docdbSecret)
	sm := NewSecretsManager(client)
	var warnings []string
	warn := func(msg string, args ...any) { warnings = append(warnings, fmt.Sprint(append([]any{msg}, args...)...)) }

	s, err := Load(context.Background(), envOf(deployedEnv(parseARN, dbARN)), sm, warn)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config
	if c.AppID != "testapp" || c.MasterKey != "m4ster" || c.ClientKey != "ck" || c.JavaScriptKey != "jk" || c.RESTAPIKey != "rk" || c.WindowsKey != "dk" {
		t.Errorf("keys not taken from the secret: %+v", c)
	}
	if c.MountPath != "/parse" || c.ServerURL != "https://abc123.execute-api.us-east-1.amazonaws.com/parse" {
		t.Errorf("mount %q, server URL %q", c.MountPath, c.ServerURL)
	}
	if s.KeysFrom != parseARN || s.DBFrom != dbARN {
		t.Errorf("sources: %q %q", s.KeysFrom, s.DBFrom)
	}
	d := s.DB
	if d.Name != "parse" || c.DatabaseName != "parse" || d.MaxPoolSize != 4 || d.Kind != KindDocumentDB || d.TLSCA != CADocumentDB {
		t.Errorf("db settings: %+v", d)
	}
	u, err := url.Parse(d.URI)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	if u.Host != "parse-db.cluster-abc.us-east-1.docdb.amazonaws.com:27017" || u.User.Username() != "parseadmin" || pw != "p@ss:w/rd?" {
		t.Errorf("URI host/user: %s %s", u.Host, u.User.Username())
	}
	q := u.Query()
	if q.Get("tls") != "true" || q.Get("replicaSet") != "rs0" || q.Get("retryWrites") != "false" || strings.Trim(u.Path, "/") != "" {
		t.Errorf("URI options: path %q query %q", u.Path, u.RawQuery)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "webhookKey") {
		t.Errorf("warnings: %q", warnings)
	}

	// Cached for the container's life: asking again makes no call.
	if _, err := sm.SecretString(context.Background(), parseARN); err != nil {
		t.Fatal(err)
	}
	want := []string{"GetSecretValue " + parseARN, "GetSecretValue " + dbARN}
	if got := f.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q, want %q", got, want)
	}

	// The driver options for that: small pool, TLS with the embedded CA bundle, no retryable writes.
	o, err := ClientOptions(d, "parselambda-classes")
	if err != nil {
		t.Fatal(err)
	}
	if o.MaxPoolSize == nil || *o.MaxPoolSize != 4 || o.MinPoolSize == nil || *o.MinPoolSize != 0 {
		t.Errorf("pool: %v %v", o.MaxPoolSize, o.MinPoolSize)
	}
	if o.RetryWrites == nil || *o.RetryWrites {
		t.Errorf("retryWrites should be false on DocumentDB")
	}
	if o.TLSConfig == nil || o.TLSConfig.RootCAs == nil || o.TLSConfig.InsecureSkipVerify {
		t.Fatalf("TLS config: %+v", o.TLSConfig)
	}
	want0, _ := docdbca.Pool()
	if !o.TLSConfig.RootCAs.Equal(want0) {
		t.Errorf("root CAs are not the embedded bundle")
	}
	if o.ReplicaSet == nil || *o.ReplicaSet != "rs0" || len(o.Hosts) != 1 {
		t.Errorf("replica set %v hosts %v", o.ReplicaSet, o.Hosts)
	}
	if o.AppName == nil || *o.AppName != "parselambda-classes" {
		t.Errorf("app name %v", o.AppName)
	}
}

// TestDefaultSecretsManager goes through the SDK's default configuration, as the functions do in
// Lambda, with the endpoint taken from AWS_ENDPOINT_URL_SECRETS_MANAGER.
func TestDefaultSecretsManager(t *testing.T) {
	f := fakes.NewSecretsManager()
	srv := httptest.NewServer(f)
	defer srv.Close()
	arn := f.Put("app", `{"masterKey":"x"}`)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL,
		"AWS_REGION":                       "us-east-1",
		"AWS_ACCESS_KEY_ID":                "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":            "secret",
		"AWS_SESSION_TOKEN":                "token",
		"AWS_CONFIG_FILE":                  filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":      filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_PROFILE":                      "",
		"AWS_ENDPOINT_URL":                 "",
	} {
		t.Setenv(k, v)
	}
	sm := DefaultSecretsManager(LazyAWSConfig())
	v, err := sm.SecretString(context.Background(), arn)
	if err != nil || v != `{"masterKey":"x"}` {
		t.Fatalf("got %q, %v", v, err)
	}
	_, err = sm.SecretString(context.Background(), "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf")
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("missing secret: want ResourceNotFoundException, got %v", err)
	}
}

func TestLoadLocalFallback(t *testing.T) {
	s, err := Load(context.Background(), envOf(map[string]string{
		"APP_ID":      "testapp",
		"MASTER_KEY":  "testmaster",
		"MONGODB_URI": "mongodb://127.0.0.1:27017/mydb",
	}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.MasterKey != "testmaster" || s.DB.URI != "mongodb://127.0.0.1:27017/mydb" || s.DB.Name != "mydb" ||
		s.DB.MaxPoolSize != DefaultMaxPoolSize || s.DB.Kind != "" || s.DB.TLSCA != "" || s.KeysFrom != "env" {
		t.Errorf("settings: %+v", s)
	}
	o, err := ClientOptions(s.DB, "x")
	if err != nil {
		t.Fatal(err)
	}
	if o.TLSConfig != nil || o.RetryWrites != nil {
		t.Errorf("no TLS and driver-default retryable writes expected without DocumentDB")
	}
	// DB_NAME (the CDK app's name) works like DATABASE_NAME.
	s, err = Load(context.Background(), envOf(map[string]string{"MONGODB_URI": "mongodb://h/", "DB_NAME": "other", "MASTER_KEY": "k"}), nil, nil)
	if err != nil || s.DB.Name != "other" || s.Config.DatabaseName != "other" {
		t.Errorf("DB_NAME: %+v %v", s.DB, err)
	}
}

func TestLoadErrors(t *testing.T) {
	f, client := fakeSM(t)
	noMaster := f.Put("nomaster", `{"appId":"testapp"}`)
	otherApp := f.Put("otherapp", `{"appId":"other","masterKey":"k"}`)
	notJSON := f.Put("notjson", `hunter2-not-json`)
	goodApp := f.Put("app", `{"masterKey":"k"}`)
	badDB := f.Put("baddb", `{"username":"u","password":"hunter2"}`)
	sm := NewSecretsManager(client)
	missing := "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"

	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"lambda without keys", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "f", "MONGODB_URI": "mongodb://h"}, "no master key"},
		{"no database", map[string]string{"MASTER_KEY": "k"}, "no database"},
		{"bad pool", map[string]string{"MASTER_KEY": "k", "MONGODB_URI": "mongodb://h", "MONGODB_MAX_POOL_SIZE": "0"}, "MONGODB_MAX_POOL_SIZE"},
		{"bad kind", map[string]string{"MASTER_KEY": "k", "MONGODB_URI": "mongodb://h", "DB_KIND": "postgres"}, "DB_KIND"},
		{"mount mismatch", map[string]string{"MASTER_KEY": "k", "MONGODB_URI": "mongodb://h", "MOUNT_PATH": "/api"}, "MOUNT_PATH"},
		{"missing secret", map[string]string{"PARSE_SECRET_ARN": missing, "MONGODB_URI": "mongodb://h"}, "ResourceNotFoundException"},
		{"no masterKey", map[string]string{"PARSE_SECRET_ARN": noMaster, "MONGODB_URI": "mongodb://h"}, "no masterKey"},
		{"appId mismatch", map[string]string{"PARSE_SECRET_ARN": otherApp, "APP_ID": "testapp", "MONGODB_URI": "mongodb://h"}, "does not match APP_ID"},
		{"app secret not JSON", map[string]string{"PARSE_SECRET_ARN": notJSON, "MONGODB_URI": "mongodb://h"}, "not a JSON object"},
		{"db secret incomplete", map[string]string{"PARSE_SECRET_ARN": goodApp, "DB_SECRET_ARN": badDB, "DB_KIND": "documentdb"}, "neither uri nor username, password and host"},
		{"db secret not usable", map[string]string{"PARSE_SECRET_ARN": goodApp, "DB_SECRET_ARN": notJSON}, "neither a mongodb:// connection string nor a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), envOf(tc.env), sm, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error quotes a secret: %v", err)
			}
		})
	}
}

func TestURIFromDBSecret(t *testing.T) {
	cases := []struct{ kind, secret, want string }{
		{KindMongoDB, "mongodb+srv://u:p@cluster0.example.net/parse?retryWrites=true", "mongodb+srv://u:p@cluster0.example.net/parse?retryWrites=true"},
		{KindMongoDB, `{"uri":"mongodb://u:p@h:27017/"}`, "mongodb://u:p@h:27017/"},
		{KindMongoDB, `{"username":"u","password":"p w","host":"db.internal","port":"27018"}`, "mongodb://u:p%20w@db.internal:27018/"},
		{KindDocumentDB, `{"username":"u","password":"p","host":"h"}`, "mongodb://u:p@h:27017/?tls=true&replicaSet=rs0&retryWrites=false"},
	}
	for _, tc := range cases {
		got, err := uriFromDBSecret(tc.kind, tc.secret)
		if err != nil || got != tc.want {
			t.Errorf("%s %s: got %q, %v; want %q", tc.kind, tc.secret, got, err, tc.want)
		}
	}
	if _, err := uriFromDBSecret(KindMongoDB, `{"uri":"postgres://x"}`); err == nil {
		t.Error("a non-MongoDB uri was accepted")
	}
}

func TestTLSCAFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(good, docdbca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("no certificates here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := DBSettings{URI: "mongodb://h/?tls=true", MaxPoolSize: 3, TLSCA: good}
	o, err := ClientOptions(d, "x")
	if err != nil || o.TLSConfig == nil || o.TLSConfig.RootCAs == nil {
		t.Fatalf("PEM file: %v", err)
	}
	if o.RetryWrites != nil {
		t.Errorf("a CA file alone should not turn retryable writes off")
	}
	for _, ca := range []string{empty, filepath.Join(dir, "missing.pem")} {
		d.TLSCA = ca
		if _, err := ClientOptions(d, "x"); err == nil || !strings.Contains(err.Error(), "DB_TLS_CA") {
			t.Errorf("%s: got %v", ca, err)
		}
	}
}
