package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestServerLinksNoSESOrLambda: the local server (`make run`) sends mail to an outbox folder and runs
// jobs in goroutines, so it must not link the SES v2 and Lambda SDK packages (shared/mail/ses,
// shared/jobs/lambdastart): their package init adds milliseconds to every cold start.
func TestServerLinksNoSESOrLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	forbidden := []string{
		"github.com/aws/aws-sdk-go-v2/service/sesv2",
		"github.com/aws/aws-sdk-go-v2/service/lambda",
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	deps := strings.Fields(string(out))
	has := map[string]bool{}
	for _, d := range deps {
		has[d] = true
		for _, bad := range forbidden {
			if d == bad || strings.HasPrefix(d, bad+"/") {
				t.Errorf("the local server links %s (go list -deps ./scripts/server)", d)
			}
		}
	}
	// The check means something only if the list is complete: the engine and the local mail and job
	// pieces are there.
	for _, must := range []string{
		"github.com/parselambda/parselambda/scripts/server",
		"github.com/parselambda/parselambda/shared/rest",
		"github.com/parselambda/parselambda/shared/mail",
		"github.com/parselambda/parselambda/shared/jobs",
	} {
		if !has[must] {
			t.Errorf("go list -deps does not list %s", must)
		}
	}
}
