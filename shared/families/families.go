// Package families is the one table of the Parse REST endpoint families: which path prefixes under the
// mount each family serves. The local server, the Lambda functions and the CDK app all read it, so a
// route lives in one place.
package families

// Family is one Lambda function's share of the REST surface.
type Family struct {
	// Name is the function's folder under functions/ and its build/<name>/bootstrap.
	Name string
	// Prefixes are the first path segments (after the mount, e.g. "classes" for /parse/classes/...) the
	// family serves. A prefix matches the bare segment and everything below it.
	Prefixes []string
}

// All lists every family, in a fixed order.
var All = []Family{
	{Name: "classes", Prefixes: []string{"classes", "aggregate", "purge"}},
	{Name: "users", Prefixes: []string{"users", "login", "logout", "loginAs", "verifyPassword", "requestPasswordReset", "verificationEmailRequest", "challenge"}},
	{Name: "sessions", Prefixes: []string{"sessions", "upgradeToRevocableSession"}},
	{Name: "roles", Prefixes: []string{"roles"}},
	{Name: "installations", Prefixes: []string{"installations"}},
	{Name: "files", Prefixes: []string{"files"}},
	{Name: "functions", Prefixes: []string{"functions", "hooks"}},
	{Name: "jobs", Prefixes: []string{"jobs", "cloud_code"}},
	{Name: "push", Prefixes: []string{"push", "push_audiences"}},
	{Name: "schemas", Prefixes: []string{"schemas"}},
	{Name: "config", Prefixes: []string{"config"}},
	{Name: "batch", Prefixes: []string{"batch"}},
	{Name: "rest", Prefixes: []string{"health", "serverInfo", "events", "apps"}},
}

// ByName returns the family called name.
func ByName(name string) (Family, bool) {
	for _, f := range All {
		if f.Name == name {
			return f, true
		}
	}
	return Family{}, false
}

// ForSegment returns the family serving the first path segment seg.
func ForSegment(seg string) (Family, bool) {
	for _, f := range All {
		for _, p := range f.Prefixes {
			if p == seg {
				return f, true
			}
		}
	}
	return Family{}, false
}
