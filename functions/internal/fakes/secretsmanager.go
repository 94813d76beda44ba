// Package fakes holds stand-ins for AWS services that the functions' tests (and the local invoke
// command) talk to over real HTTP with the real SDK clients. No Lambda function imports it.
package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SecretsManager is a fake of the AWS Secrets Manager JSON API (awsJson1_1: POST /, X-Amz-Target
// "secretsmanager.<Operation>", a JSON body) holding secrets in memory. It implements GetSecretValue,
// enough for the functions; other operations answer UnknownOperationException. Secrets are found by
// ARN or by name. It checks no signature.
type SecretsManager struct {
	mu      sync.Mutex
	secrets map[string]fakeSecret // by ARN and by name
	calls   []string
}

type fakeSecret struct{ arn, name, value string }

// NewSecretsManager returns an empty fake.
func NewSecretsManager() *SecretsManager {
	return &SecretsManager{secrets: map[string]fakeSecret{}}
}

// Put stores a secret string under a name and returns its ARN (region us-east-1, account 123456789012,
// with Secrets Manager's random six-character suffix).
func (f *SecretsManager) Put(name, value string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := fmt.Sprintf("arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-%06d", name, len(f.secrets)+1)
	s := fakeSecret{arn: arn, name: name, value: value}
	f.secrets[arn] = s
	f.secrets[name] = s
	return arn
}

// Calls lists the operations served, as "Operation SecretId".
func (f *SecretsManager) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// ServeHTTP answers one API call.
func (f *SecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	if r.Method != http.MethodPost || !ok {
		writeErr(w, 400, "UnknownOperationException", "want POST with X-Amz-Target: secretsmanager.<Operation>")
		return
	}
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionStage string `json:"VersionStage"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, 400, "SerializationException", "body is not JSON")
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, op+" "+in.SecretID)
	s, found := f.secrets[in.SecretID]
	f.mu.Unlock()
	if op != "GetSecretValue" {
		writeErr(w, 400, "UnknownOperationException", "the fake implements GetSecretValue only")
		return
	}
	if in.SecretID == "" {
		writeErr(w, 400, "InvalidParameterException", "SecretId is required")
		return
	}
	if !found {
		writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	if in.VersionStage != "" && in.VersionStage != "AWSCURRENT" {
		writeErr(w, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: "+in.VersionStage)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN":           s.arn,
		"Name":          s.name,
		"SecretString":  s.value,
		"VersionId":     "00000000-0000-4000-8000-000000000001",
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   float64(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
	})
}

func writeErr(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
