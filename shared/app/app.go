// Package app is this deployment's own Cloud Code: the one place where the app's Cloud functions,
// triggers and jobs are written (in Go, against shared/cloud). Every file of the package registers
// what it defines in an init function into the registry below; the engine (local server, every
// Lambda function) serves it, and the CDK app reads the jobs' schedules from it, so a schedule is
// declared once, next to its job.
//
// example.go is a worked example (a function, a beforeSave validation, an afterSave counter and a
// scheduled job on the classes ExampleReview and ExampleBook): replace it with your own code.
package app

import "github.com/parselambda/parselambda/shared/cloud"

// cloudCode is built once per container, when the package is initialized; init functions fill it and
// the engine freezes it when it starts.
var cloudCode = cloud.NewRegistry()

// Cloud is the app's Cloud Code.
func Cloud() *cloud.Registry { return cloudCode }
