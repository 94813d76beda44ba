// Package cloud is the Cloud Code API: what a deployer writes against to add server-side functions,
// triggers and jobs to the app, as Parse Server's Parse.Cloud does in JavaScript.
//
// The app's own Cloud Code lives in shared/app, which registers everything in init functions into one
// Registry built once per container:
//
//	func init() {
//		cloudCode.Define("hello", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
//			return "Hello " + req.Params.String("name"), nil
//		}, cloud.RequireParams("name"))
//		cloudCode.BeforeSave("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
//			if req.Object.Number("stars") > 5 {
//				return cloud.Error(cloud.ValidationError, "at most 5 stars")
//			}
//			return nil
//		})
//		cloudCode.Job("cleanup", cleanup, cloud.Schedule("cron(0 3 * * ? *)", "Europe/Berlin"))
//	}
//
// The engine (shared/cloud/engine) runs the registry: POST /functions/:name, the triggers around every
// object write and read, /jobs, and webhooks stored in _Hooks. Handlers get a Client that queries and
// saves objects in-process with the caller's rights, or with the master key (Client.UseMasterKey).
//
// This package depends on the standard library and shared/parse only, so the CDK app can import the
// registry to read the declared job schedules.
package cloud
