package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// MonitoringProps is what NewMonitoring watches.
type MonitoringProps struct {
	Config    Config
	Api       *Api
	Functions *Functions
	Database  *Database
}

// Monitoring is the alarms, their topic and the dashboard.
type Monitoring struct {
	AlarmTopic awssns.Topic
	Alarms     []awscloudwatch.Alarm
	Dashboard  awscloudwatch.Dashboard
}

// NewMonitoring creates alarms (API 5xx; errors and throttles per function; DocumentDB CPU and
// connections) that notify an SNS topic (alarmEmail subscribed if given), and a dashboard.
func NewMonitoring(scope constructs.Construct, p MonitoringProps) *Monitoring {
	cfg := p.Config
	m := &Monitoring{}
	m.AlarmTopic = awssns.NewTopic(scope, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Parse alarms " + cfg.AppID + " " + cfg.Stage),
		EnforceSSL:  jsii.Bool(true),
	})
	// The TLS-only topic policy replaces SNS's default one, so let CloudWatch publish explicitly.
	m.AlarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{m.AlarmTopic.TopicArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}))
	if cfg.AlarmEmail != "" {
		m.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.AlarmEmail), nil))
	}
	action := awscloudwatchactions.NewSnsAction(m.AlarmTopic)
	five := awscdk.Duration_Minutes(jsii.Number(5))
	sum := func() *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}
	}
	alarm := func(id string, metric awscloudwatch.IMetric, threshold float64, periods float64, desc string) {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(periods),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(desc),
		})
		a.AddAlarmAction(action)
		m.Alarms = append(m.Alarms, a)
	}

	api5xx := p.Api.HttpApi.MetricServerError(sum())
	alarm("Alarm-Api5xx", api5xx, 5, 1, "HTTP API returned 5 or more 5xx responses in 5 minutes")

	var errs, throttles, durations, concurrency []awscloudwatch.IMetric
	for _, name := range p.Functions.Names {
		fn := p.Functions.ByName[name]
		e := fn.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum"), Label: jsii.String(name)})
		t := fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum"), Label: jsii.String(name)})
		alarm("Alarm-Errors-"+name, e, 1, 1, "Lambda "+name+" reported errors")
		alarm("Alarm-Throttles-"+name, t, 1, 1, "Lambda "+name+" was throttled (reserved concurrency reached)")
		errs = append(errs, e)
		throttles = append(throttles, t)
		durations = append(durations, fn.MetricDuration(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p95"), Label: jsii.String(name)}))
		concurrency = append(concurrency, fn.Metric(jsii.String("ConcurrentExecutions"), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum"), Label: jsii.String(name)}))
	}

	graph := func(title string, left []awscloudwatch.IMetric) awscloudwatch.GraphWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(12), Height: jsii.Number(6),
		})
	}
	m.Dashboard = awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	m.Dashboard.AddWidgets(
		graph("API requests / 4xx / 5xx", []awscloudwatch.IMetric{
			p.Api.HttpApi.MetricCount(sum()), p.Api.HttpApi.MetricClientError(sum()), api5xx,
		}),
		graph("API latency p95 (ms)", []awscloudwatch.IMetric{
			p.Api.HttpApi.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p95")}),
			p.Api.HttpApi.MetricIntegrationLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p95")}),
		}),
	)
	m.Dashboard.AddWidgets(graph("Lambda errors", errs), graph("Lambda throttles", throttles))
	m.Dashboard.AddWidgets(graph("Lambda duration p95 (ms)", durations), graph("Lambda concurrent executions", concurrency))

	if c := p.Database.Cluster; c != nil {
		dbMetric := func(name, stat string) awscloudwatch.Metric {
			return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String("AWS/DocDB"),
				MetricName:    jsii.String(name),
				DimensionsMap: &map[string]*string{"DBClusterIdentifier": c.ClusterIdentifier()},
				Period:        five,
				Statistic:     jsii.String(stat),
			})
		}
		cpu := dbMetric("CPUUtilization", "Average")
		conns := dbMetric("DatabaseConnections", "Maximum")
		alarm("Alarm-DbCpu", cpu, 80, 3, "DocumentDB CPU at or above 80% for 15 minutes")
		if limit := cfg.DBMaxConnections; limit > 0 {
			alarm("Alarm-DbConnections", conns, float64(limit*8/10), 1, "DocumentDB connections at or above 80% of the instance limit")
		}
		m.Dashboard.AddWidgets(graph("DocumentDB CPU %", []awscloudwatch.IMetric{cpu}), graph("DocumentDB connections", []awscloudwatch.IMetric{conns}))
	}

	alarms := make([]awscloudwatch.IAlarm, len(m.Alarms))
	for i, a := range m.Alarms {
		alarms[i] = a
	}
	m.Dashboard.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24),
	}))
	return m
}
