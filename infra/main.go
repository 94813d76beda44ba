// Command infra is the CDK app that deploys parselambda: one Lambda function per endpoint family behind
// an HTTP API, DocumentDB (or an existing MongoDB), an S3 files bucket, SNS/SES for push and mail,
// EventBridge Scheduler for jobs, alarms and a dashboard. Run it through the CDK CLI from the repository
// root (cdk.json): `infra/node_modules/.bin/cdk synth -c stage=dev`; see infra/infra.mk.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// NewApp creates the App with the feature flags, extra context (tests; the CLI passes its context
// through the environment) and an optional output directory.
func NewApp(context map[string]any, outdir string) awscdk.App {
	ctx := map[string]any{}
	for k, v := range featureFlags {
		ctx[k] = v
	}
	for k, v := range context {
		ctx[k] = v
	}
	props := &awscdk.AppProps{Context: &ctx}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	return awscdk.NewApp(props)
}

// Build reads the config from app's context, checks the function assets, builds the stack and applies
// the cdk-nag AwsSolutions checks to the app.
func Build(app awscdk.App) (*ParseStack, error) {
	cfg, err := ConfigFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	if err := CheckAssets(cfg); err != nil {
		return nil, err
	}
	s := NewParseStack(app, cfg, nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return s, nil
}

func main() {
	defer jsii.Close()
	app := NewApp(nil, "")
	if _, err := Build(app); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}
