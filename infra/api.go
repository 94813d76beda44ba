package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/parselambda/parselambda/shared/families"
)

// MountPath is where Parse is mounted on the API.
const MountPath = "/parse"

// Api is the HTTP API in front of the functions.
type Api struct {
	HttpApi   awsapigatewayv2.HttpApi
	Stage     awsapigatewayv2.HttpStage
	LogGroup  awslogs.LogGroup
	Domain    awsapigatewayv2.DomainName // nil without a custom domain
	ParseURL  string                     // https://.../parse (a token), the functions' SERVER_URL
	hasRoutes map[string]bool
}

// accessLogFields is the JSON access log line (HTTP API $context variables).
var accessLogFields = map[string]string{
	"requestId":          "$context.requestId",
	"requestTime":        "$context.requestTime",
	"ip":                 "$context.identity.sourceIp",
	"userAgent":          "$context.identity.userAgent",
	"httpMethod":         "$context.httpMethod",
	"routeKey":           "$context.routeKey",
	"path":               "$context.path",
	"protocol":           "$context.protocol",
	"status":             "$context.status",
	"responseLength":     "$context.responseLength",
	"responseLatency":    "$context.responseLatency",
	"integrationLatency": "$context.integrationLatency",
	"integrationStatus":  "$context.integrationStatus",
	"integrationError":   "$context.integrationErrorMessage",
	"errorMessage":       "$context.error.message",
}

// accessLogSettings implements awsapigatewayv2.IAccessLogSettings.
type accessLogSettings struct {
	dest   awsapigatewayv2.IAccessLogDestination
	format awsapigateway.AccessLogFormat
}

func (a *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return a.dest }
func (a *accessLogSettings) Format() awsapigateway.AccessLogFormat              { return a.format }

// NewApi builds the HTTP API (payload 2.0) with CORS, its $default stage (throttling, JSON access logs)
// and the optional custom domain. Routes are added by AddFamilyRoutes once the functions exist, because
// the functions need the API's URL first (SERVER_URL).
func NewApi(scope constructs.Construct, cfg Config) *Api {
	origins := make([]*string, len(cfg.CorsOrigins))
	for i, o := range cfg.CorsOrigins {
		origins[i] = jsii.String(o)
	}
	httpApi := awsapigatewayv2.NewHttpApi(scope, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(cfg.AppID + "-" + cfg.Stage),
		Description:        jsii.String("Parse REST API (" + cfg.AppID + ", " + cfg.Stage + ")"),
		CreateDefaultStage: jsii.Bool(false),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: &origins,
			AllowHeaders: jsii.Strings("*"),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_DELETE, awsapigatewayv2.CorsHttpMethod_OPTIONS,
			},
			ExposeHeaders: jsii.Strings("X-Parse-Job-Status-Id", "X-Parse-Push-Status-Id"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		},
	})

	logGroup := awslogs.NewLogGroup(scope, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     cfg.LogRetention(),
		RemovalPolicy: removalPolicy(cfg),
	})
	format, _ := json.Marshal(accessLogFields)

	a := &Api{HttpApi: httpApi, LogGroup: logGroup, hasRoutes: map[string]bool{}}
	var mapping *awsapigatewayv2.DomainMappingOptions
	if cfg.DomainName != "" {
		a.Domain = awsapigatewayv2.NewDomainName(scope, jsii.String("ApiDomain"), &awsapigatewayv2.DomainNameProps{
			DomainName:     jsii.String(cfg.DomainName),
			Certificate:    awscertificatemanager.Certificate_FromCertificateArn(scope, jsii.String("ApiCertificate"), jsii.String(cfg.CertificateArn)),
			SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
		})
		mapping = &awsapigatewayv2.DomainMappingOptions{DomainName: a.Domain}
	}
	a.Stage = httpApi.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(cfg.RateLimit),
			BurstLimit: jsii.Number(float64(cfg.BurstLimit)),
		},
		AccessLogSettings: &accessLogSettings{
			dest:   awsapigatewayv2.NewLogGroupLogDestination(logGroup),
			format: awsapigateway.AccessLogFormat_Custom(jsii.String(string(format))),
		},
		DomainMapping: mapping,
	})
	if cfg.DomainName != "" {
		a.ParseURL = "https://" + cfg.DomainName + MountPath
	} else {
		a.ParseURL = *a.Stage.Url() + MountPath[1:] // the $default stage URL ends in "/"
	}
	return a
}

// RoutePaths returns the route paths of a family: for each prefix P, /parse/P and /parse/P/{proxy+}.
func RoutePaths(f families.Family) []string {
	var out []string
	for _, p := range f.Prefixes {
		out = append(out, MountPath+"/"+p, MountPath+"/"+p+"/{proxy+}")
	}
	return out
}

// AddFamilyRoutes routes ANY /parse/P and ANY /parse/P/{proxy+} for every prefix P of every family in
// families.All to that family's function (Lambda proxy integration, payload format 2.0).
func (a *Api) AddFamilyRoutes(fns map[string]awslambda.IFunction) {
	for _, f := range families.All {
		fn, ok := fns[f.Name]
		if !ok {
			panic("no function for family " + f.Name)
		}
		integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Integration-"+f.Name), fn,
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
			})
		for _, path := range RoutePaths(f) {
			if a.hasRoutes[path] {
				panic("route " + path + " served twice (families table)")
			}
			a.hasRoutes[path] = true
			a.HttpApi.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
				Path:        jsii.String(path),
				Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
				Integration: integration,
			})
		}
	}
}
