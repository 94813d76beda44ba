package config

import (
	"strings"
	"testing"
	"time"
)

func TestFromEnvTypedSettings(t *testing.T) {
	env := map[string]string{
		"SESSION_LENGTH":              "3600",
		"ACCOUNT_LOCKOUT_THRESHOLD":   "3",
		"ACCOUNT_LOCKOUT_DURATION":    "10",
		"PASSWORD_POLICY_MAX_AGE":     "2",
		"ALLOW_CLIENT_CLASS_CREATION": "true",
		"AUTH_GOOGLE_CLIENT_IDS":      " a, b ,,",
		"DEFAULT_LIMIT":               "20",
	}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionLength != time.Hour || c.LockoutThreshold != 3 || c.LockoutDuration != 10*time.Minute ||
		c.PasswordMaxAge != 48*time.Hour || !c.AllowClientClassCreation || c.DefaultLimit != 20 ||
		len(c.GoogleClientIDs) != 2 || c.GoogleClientIDs[1] != "b" {
		t.Fatalf("settings not read: %+v", c)
	}
	bad := []struct{ key, val, want string }{
		{"SESSION_LENGTH", "0", "SESSION_LENGTH"},
		{"DEFAULT_LIMIT", "0", "DEFAULT_LIMIT"},
		{"PASSWORD_POLICY_MAX_HISTORY", "21", "from 0 to 20"},
		{"EXTEND_SESSION_ON_USE", "maybe", "true or false"},
		{"ACCOUNT_LOCKOUT_DURATION", "-1", "ACCOUNT_LOCKOUT_DURATION"},
		{"PASSWORD_POLICY_PATTERN", "(", "PASSWORD_POLICY_PATTERN"},
	}
	for _, b := range bad {
		_, err := FromEnv(func(k string) string {
			if k == b.key {
				return b.val
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s=%s: error %v, want one naming %q", b.key, b.val, err, b.want)
		}
	}
}
