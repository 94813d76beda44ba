package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// JobSchedule is one scheduled Cloud Code job. The jobs function receives {"job": Name}. Cloud Code
// declares schedules next to its jobs (shared/app, see CodeJobSchedules); the context's jobSchedules
// may change, add or disable them per stage.
type JobSchedule struct {
	Name string `json:"name"`
	// Expression is an EventBridge Scheduler expression: "cron(0 3 * * ? *)", "rate(1 hour)" or
	// "at(2030-01-01T00:00:00)".
	Expression string `json:"expression"`
	// TimeZone is an IANA time zone for cron and at expressions; empty means UTC.
	TimeZone string `json:"timeZone,omitempty"`
	// Disabled, in the context's jobSchedules, removes the schedule Cloud Code declares for the job.
	Disabled bool `json:"disabled,omitempty"`
}

var scheduleExprRe = regexp.MustCompile(`^(cron|rate|at)\(.+\)$`)

func (j JobSchedule) validate() error {
	if strings.TrimSpace(j.Name) == "" {
		return fmt.Errorf("job schedule without a name")
	}
	if !scheduleExprRe.MatchString(j.Expression) {
		return fmt.Errorf("job %q: expression %q is not cron(...), rate(...) or at(...)", j.Name, j.Expression)
	}
	return nil
}

// jobScheduleGroupID is the construct id of the stack's schedule group.
const jobScheduleGroupID = "JobScheduleGroup"

// NewJobScheduleGroup creates the EventBridge Scheduler group that holds the job schedules (empty until
// Cloud Code declares scheduled jobs; see AddJobSchedules).
func NewJobScheduleGroup(scope constructs.Construct, cfg Config) awsscheduler.ScheduleGroup {
	return awsscheduler.NewScheduleGroup(scope, jsii.String(jobScheduleGroupID), &awsscheduler.ScheduleGroupProps{
		RemovalPolicy: removalPolicy(cfg),
	})
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// AddJobSchedules creates one EventBridge Scheduler schedule per job in the stack's job schedule group
// (created if missing), each invoking fn (the jobs function) with the input {"job": name}.
func AddJobSchedules(stack awscdk.Stack, fn awslambda.IFunction, jobs []JobSchedule) []awsscheduler.Schedule {
	var group awsscheduler.IScheduleGroup
	if c := stack.Node().TryFindChild(jsii.String(jobScheduleGroupID)); c != nil {
		group = c.(awsscheduler.IScheduleGroup)
	} else {
		group = awsscheduler.NewScheduleGroup(stack, jsii.String(jobScheduleGroupID), nil)
	}
	var out []awsscheduler.Schedule
	used := map[string]bool{}
	for _, j := range jobs {
		if err := j.validate(); err != nil {
			panic(err)
		}
		id := "Job-" + idUnsafe.ReplaceAllString(j.Name, "_")
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("Job-%s-%d", idUnsafe.ReplaceAllString(j.Name, "_"), n)
		}
		used[id] = true
		var tz awscdk.TimeZone
		if j.TimeZone != "" {
			tz = awscdk.TimeZone_Of(jsii.String(j.TimeZone))
		}
		s := awsscheduler.NewSchedule(stack, jsii.String(id), &awsscheduler.ScheduleProps{
			Description:   jsii.String("Parse job " + j.Name),
			ScheduleGroup: group,
			Schedule:      awsscheduler.ScheduleExpression_Expression(jsii.String(j.Expression), tz),
			Target: awsschedulertargets.NewLambdaInvoke(fn, &awsschedulertargets.ScheduleTargetBaseProps{
				Input:         awsscheduler.ScheduleTargetInput_FromObject(map[string]any{"job": j.Name}),
				RetryAttempts: jsii.Number(3),
				MaxEventAge:   awscdk.Duration_Hours(jsii.Number(1)),
			}),
		})
		// The group's generated name is a literal, so make CloudFormation create the group first.
		s.Node().AddDependency(group)
		out = append(out, s)
	}
	// The scheduler's role (one per target, created by the LambdaInvoke target) may invoke fn and its
	// versions.
	for _, c := range *stack.Node().Children() {
		if strings.HasPrefix(*c.Node().Id(), "SchedulerRoleForTarget-") {
			suppress(c, sup("AwsSolutions-IAM5",
				"EventBridge Scheduler's role may invoke the jobs function and its versions/aliases (ARN:*), as "+
					"granted by CDK's LambdaInvoke target; nothing else.",
				"Resource::<"+logicalIDOf(stack, fn.(awslambda.Function))+".Arn>:*"))
		}
	}
	return out
}
