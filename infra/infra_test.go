package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/families"
)

var allFixtures = []string{"dev", "prod", "mongo", "full"}

// Every prefix of every family has ANY /parse/P and ANY /parse/P/{proxy+}, integrated (payload 2.0)
// with that family's function, which API Gateway may invoke; no other routes exist.
func TestRoutesReachFamilyFunctions(t *testing.T) {
	for _, name := range []string{"dev", "full"} {
		f := getFixture(t, name)
		routes := map[string]string{} // route key -> integration logical id
		for _, id := range f.ofType("AWS::ApiGatewayV2::Route") {
			p := f.res[id].Properties
			if p["AuthorizationType"] != nil && p["AuthorizationType"] != "NONE" {
				t.Errorf("%s: route %v has authorization %v", name, p["RouteKey"], p["AuthorizationType"])
			}
			ids := refs(p["Target"])
			if len(ids) != 1 {
				t.Fatalf("%s: route %v target %v", name, p["RouteKey"], jsonString(p["Target"]))
			}
			routes[p["RouteKey"].(string)] = ids[0]
		}
		want := 0
		for _, fam := range families.All {
			fnID := f.logicalID(f.stack.Functions.ByName[fam.Name])
			for _, path := range RoutePaths(fam) {
				want++
				key := "ANY " + path
				integ, ok := routes[key]
				if !ok {
					t.Errorf("%s: no route %q", name, key)
					continue
				}
				ip := f.res[integ].Properties
				if !isGetAtt(ip["IntegrationUri"], fnID, "Arn") {
					t.Errorf("%s: %q integrates %s, want function %s (%s)", name, key, jsonString(ip["IntegrationUri"]), fnID, fam.Name)
				}
				if ip["IntegrationType"] != "AWS_PROXY" || ip["PayloadFormatVersion"] != "2.0" {
					t.Errorf("%s: %q integration type %v payload %v", name, key, ip["IntegrationType"], ip["PayloadFormatVersion"])
				}
			}
			if !strings.HasPrefix(RoutePaths(fam)[0], "/parse/") {
				t.Errorf("route outside /parse: %v", RoutePaths(fam))
			}
			// API Gateway may invoke the function.
			found := false
			for _, id := range f.ofType("AWS::Lambda::Permission") {
				p := f.res[id].Properties
				if isGetAtt(p["FunctionName"], fnID, "Arn") && p["Principal"] == "apigateway.amazonaws.com" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no apigateway invoke permission for %s", name, fam.Name)
			}
		}
		if len(routes) != want {
			t.Errorf("%s: %d routes, want %d", name, len(routes), want)
		}
	}
}

// Each family has exactly one function: provided.al2023, arm64, handler bootstrap, in the VPC, with the
// configured memory, timeout and reserved concurrency.
func TestFamilyFunctions(t *testing.T) {
	f := getFixture(t, "dev")
	if len(f.stack.Functions.ByName) != len(families.All) {
		t.Fatalf("%d functions for %d families", len(f.stack.Functions.ByName), len(families.All))
	}
	fnSG := f.logicalID(f.stack.Network.FunctionsSG)
	seen := map[string]bool{}
	for _, fam := range families.All {
		id := f.logicalID(f.stack.Functions.ByName[fam.Name])
		if seen[id] {
			t.Fatalf("function %s shared", id)
		}
		seen[id] = true
		p := f.res[id].Properties
		if p["Runtime"] != "provided.al2023" || jsonString(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
			t.Errorf("%s: runtime %v arch %v handler %v", fam.Name, p["Runtime"], p["Architectures"], p["Handler"])
		}
		wantTimeout := 30.0
		if fam.Name == "jobs" {
			wantTimeout = 900
		}
		if p["Timeout"] != wantTimeout || p["MemorySize"] != 512.0 || p["ReservedConcurrentExecutions"] != 5.0 {
			t.Errorf("%s: timeout %v memory %v reserved %v", fam.Name, p["Timeout"], p["MemorySize"], p["ReservedConcurrentExecutions"])
		}
		vpc, _ := p["VpcConfig"].(map[string]any)
		if vpc == nil || !strings.Contains(jsonString(vpc["SecurityGroupIds"]), fnSG) || len(vpc["SubnetIds"].([]any)) != 2 {
			t.Errorf("%s: VpcConfig %s", fam.Name, jsonString(vpc))
		}
		for _, sub := range refs(vpc["SubnetIds"]) {
			if tag(f.res[sub], "aws-cdk:subnet-name") != subnetApp {
				t.Errorf("%s: function subnet %s is not an app subnet", fam.Name, sub)
			}
		}
		// The runtime reads GODEBUG before main, so only the environment can set it.
		vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		if vars["GODEBUG"] != config.LambdaGODEBUG {
			t.Errorf("%s: GODEBUG = %v, want %q", fam.Name, vars["GODEBUG"], config.LambdaGODEBUG)
		}
	}
	// CDK's helper functions (bucket auto-delete, log retention, default SG) are Node.js; only the
	// family functions run bootstrap.
	n := 0
	for _, id := range f.ofType("AWS::Lambda::Function") {
		if f.res[id].Properties["Handler"] == "bootstrap" {
			n++
		}
	}
	if n != len(families.All) {
		t.Errorf("%d bootstrap functions, want %d", n, len(families.All))
	}
}

// The database security group admits exactly one rule: the functions' security group on TCP 27017.
// The cluster lives in isolated subnets (no routes at all) and is encrypted, TLS-only, backed up and
// exports audit and profiler logs.
func TestDatabaseIsolation(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		f := getFixture(t, name)
		dbSG := f.logicalID(f.stack.Database.SecurityGroup)
		fnSG := f.logicalID(f.stack.Network.FunctionsSG)
		if in := f.res[dbSG].Properties["SecurityGroupIngress"]; in != nil {
			t.Errorf("%s: inline ingress on database SG: %s", name, jsonString(in))
		}
		var rules []map[string]any
		for _, id := range f.ofType("AWS::EC2::SecurityGroupIngress") {
			p := f.res[id].Properties
			if isGetAtt(p["GroupId"], dbSG, "GroupId") {
				rules = append(rules, p)
			}
		}
		if len(rules) != 1 {
			t.Fatalf("%s: database SG has %d ingress rules, want 1: %s", name, len(rules), jsonString(rules))
		}
		r := rules[0]
		if !isGetAtt(r["SourceSecurityGroupId"], fnSG, "GroupId") || r["IpProtocol"] != "tcp" || r["FromPort"] != 27017.0 || r["ToPort"] != 27017.0 || r["CidrIp"] != nil || r["CidrIpv6"] != nil {
			t.Errorf("%s: database ingress %s", name, jsonString(r))
		}

		clusters := f.ofType("AWS::DocDB::DBCluster")
		if len(clusters) != 1 {
			t.Fatalf("%s: %d DocumentDB clusters", name, len(clusters))
		}
		cp := f.res[clusters[0]].Properties
		if jsonString(refs(cp["VpcSecurityGroupIds"])) != jsonString([]string{dbSG}) {
			t.Errorf("%s: cluster SGs %s", name, jsonString(cp["VpcSecurityGroupIds"]))
		}
		if cp["StorageEncrypted"] != true || cp["Port"] != 27017.0 {
			t.Errorf("%s: encrypted %v port %v", name, cp["StorageEncrypted"], cp["Port"])
		}
		if br, _ := cp["BackupRetentionPeriod"].(float64); br < 7 {
			t.Errorf("%s: backup retention %v", name, cp["BackupRetentionPeriod"])
		}
		if exp := jsonString(cp["EnableCloudwatchLogsExports"]); !containsAll(exp, "audit", "profiler") {
			t.Errorf("%s: log exports %s", name, exp)
		}
		pg := refs(cp["DBClusterParameterGroupName"])
		if len(pg) != 1 || !containsAll(jsonString(f.res[pg[0]].Properties["Parameters"]), `"tls":"enabled"`, `"audit_logs":"enabled"`) {
			t.Errorf("%s: parameter group %v", name, pg)
		}

		sng := refs(cp["DBSubnetGroupName"])
		if len(sng) != 1 {
			t.Fatalf("%s: subnet group %v", name, cp["DBSubnetGroupName"])
		}
		subnets := refs(f.res[sng[0]].Properties["SubnetIds"])
		if len(subnets) != 2 {
			t.Errorf("%s: database in %d subnets, want 2 AZs", name, len(subnets))
		}
		for _, sub := range subnets {
			sr := f.res[sub]
			if tag(sr, "aws-cdk:subnet-type") != "Isolated" || tag(sr, "aws-cdk:subnet-name") != subnetDB || sr.Properties["MapPublicIpOnLaunch"] == true {
				t.Errorf("%s: database subnet %s is not isolated: %s", name, sub, jsonString(sr.Properties))
			}
			// No route (to an internet or NAT gateway) from the subnet's route table.
			for _, assoc := range f.ofType("AWS::EC2::SubnetRouteTableAssociation") {
				ap := f.res[assoc].Properties
				if refs(ap["SubnetId"])[0] != sub {
					continue
				}
				rt := refs(ap["RouteTableId"])[0]
				for _, rid := range f.ofType("AWS::EC2::Route") {
					if refs(f.res[rid].Properties["RouteTableId"])[0] == rt {
						t.Errorf("%s: database subnet %s has route %s", name, sub, jsonString(f.res[rid].Properties))
					}
				}
			}
		}
		for _, id := range f.ofType("AWS::DocDB::DBInstance") {
			if v, ok := f.res[id].Properties["PubliclyAccessible"]; ok && v != false {
				t.Errorf("%s: instance %s publicly accessible", name, id)
			}
		}
	}
}

// The files bucket blocks all public access, is encrypted, logs access, and its policy denies requests
// without TLS.
func TestFilesBucket(t *testing.T) {
	f := getFixture(t, "dev")
	b := f.logicalID(f.stack.Files)
	p := f.res[b].Properties
	if jsonString(p["PublicAccessBlockConfiguration"]) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
		t.Errorf("public access block %s", jsonString(p["PublicAccessBlockConfiguration"]))
	}
	if !strings.Contains(jsonString(p["BucketEncryption"]), "AES256") {
		t.Errorf("encryption %s", jsonString(p["BucketEncryption"]))
	}
	if p["LoggingConfiguration"] == nil {
		t.Error("no access logging")
	}
	if cors := jsonString(p["CorsConfiguration"]); !strings.Contains(cors, `"PUT"`) || !strings.Contains(cors, `"AllowedOrigins":["*"]`) {
		t.Errorf("files bucket CORS (presigned uploads from browsers) %s", cors)
	}
	denies := false
	for _, id := range f.ofType("AWS::S3::BucketPolicy") {
		bp := f.res[id].Properties
		if refs(bp["Bucket"])[0] != b {
			continue
		}
		for _, st := range bp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			s := st.(map[string]any)
			if s["Effect"] == "Deny" && jsonString(s["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` &&
				strings.Contains(jsonString(s["Principal"]), `"*"`) && strings.Contains(jsonString(s["Action"]), "s3:*") {
				denies = true
			}
		}
	}
	if !denies {
		t.Error("files bucket policy does not deny aws:SecureTransport=false")
	}
	// The logs bucket too.
	lp := f.res[f.logicalID(f.stack.Logs)].Properties
	if !strings.Contains(jsonString(lp["PublicAccessBlockConfiguration"]), `"RestrictPublicBuckets":true`) {
		t.Error("logs bucket public")
	}
}

// No IAM statement allows Action "*" on Resource "*" (roles' inline policies, policies, managed
// policies), in any configuration.
func TestNoAdminStatements(t *testing.T) {
	for _, name := range allFixtures {
		f := getFixture(t, name)
		var docs []any
		for _, r := range f.res {
			switch r.Type {
			case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
				docs = append(docs, r.Properties["PolicyDocument"])
			case "AWS::IAM::Role":
				pols, _ := r.Properties["Policies"].([]any)
				for _, p := range pols {
					docs = append(docs, p.(map[string]any)["PolicyDocument"])
				}
			}
		}
		if len(docs) == 0 {
			t.Fatalf("%s: no policies found", name)
		}
		for _, d := range docs {
			for _, st := range d.(map[string]any)["Statement"].([]any) {
				s := st.(map[string]any)
				if s["Effect"] != "Allow" {
					continue
				}
				star := func(field string) bool {
					for _, v := range strs(s[field]) {
						if v == "*" {
							return true
						}
					}
					return false
				}
				if (star("Action") || s["NotAction"] != nil) && (star("Resource") || s["NotResource"] != nil) {
					t.Errorf("%s: statement allows * on *: %s", name, jsonString(s))
				}
			}
		}
	}
}

// prod retains the database and buckets and turns on deletion protection; dev does neither.
func TestStageRemovalPolicies(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		protect      bool
	}{{"prod", "Retain", true}, {"dev", "Delete", false}} {
		f := getFixture(t, tc.name)
		check := func(what string, ids []string) {
			if len(ids) == 0 {
				t.Errorf("%s: no %s", tc.name, what)
			}
			for _, id := range ids {
				if f.res[id].DeletionPolicy != tc.policy {
					t.Errorf("%s: %s %s DeletionPolicy %q, want %q", tc.name, what, id, f.res[id].DeletionPolicy, tc.policy)
				}
			}
		}
		check("DocumentDB cluster", f.ofType("AWS::DocDB::DBCluster"))
		check("DocumentDB instance", f.ofType("AWS::DocDB::DBInstance"))
		check("files bucket", []string{f.logicalID(f.stack.Files)})
		check("app secret", f.ofType("AWS::SecretsManager::Secret"))
		for _, id := range f.ofType("AWS::DocDB::DBCluster") {
			if got, _ := f.res[id].Properties["DeletionProtection"].(bool); got != tc.protect {
				t.Errorf("%s: DeletionProtection %v", tc.name, got)
			}
		}
		if tc.name == "prod" && len(f.ofType("AWS::DocDB::DBInstance")) != 2 {
			t.Errorf("prod: dbInstances=2 gave %d instances", len(f.ofType("AWS::DocDB::DBInstance")))
		}
		autoDelete := len(f.ofType("Custom::S3AutoDeleteObjects")) > 0
		if autoDelete == tc.protect {
			t.Errorf("%s: auto-delete objects %v", tc.name, autoDelete)
		}
	}
}

// cdk-nag AwsSolutions reports nothing unsuppressed.
func TestCdkNagAwsSolutions(t *testing.T) {
	for _, name := range allFixtures {
		f := getFixture(t, name)
		ann := assertions.Annotations_FromStack(f.stack.Stack)
		match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
		for _, m := range *ann.FindError(jsii.String("*"), match) {
			t.Errorf("%s: nag error %s: %v", name, *m.Id, m.Entry.Data)
		}
		for _, m := range *ann.FindWarning(jsii.String("*"), match) {
			t.Errorf("%s: nag warning %s: %v", name, *m.Id, m.Entry.Data)
		}
	}
}

var secretLike = regexp.MustCompile(`(?i)(master|client|rest|javascript|dotnet|api)_?key|password|passwd|token|mongodb(\+srv)?://`)

// Functions get secret ARNs, never secret values: no key-like variable names, no dynamic references,
// and the *_SECRET_ARN variables point at Secrets Manager secrets.
func TestNoSecretsInEnvironment(t *testing.T) {
	for _, name := range allFixtures {
		f := getFixture(t, name)
		for _, fam := range families.All {
			p := f.res[f.logicalID(f.stack.Functions.ByName[fam.Name])].Properties
			vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			for _, k := range []string{"APP_ID", "SERVER_URL", "PARSE_SECRET_ARN", "DB_SECRET_ARN", "DB_KIND", "FILES_BUCKET", "MONGODB_MAX_POOL_SIZE"} {
				if vars[k] == nil {
					t.Errorf("%s/%s: no %s", name, fam.Name, k)
				}
			}
			for k, v := range vars {
				js := jsonString(v)
				if secretLike.MatchString(k) || strings.Contains(js, "resolve:secretsmanager") || strings.Contains(js, "resolve:ssm-secure") {
					t.Errorf("%s/%s: %s=%s looks like a secret", name, fam.Name, k, js)
				}
				if s, ok := v.(string); ok && secretLike.MatchString(s) {
					t.Errorf("%s/%s: %s=%q looks like a secret", name, fam.Name, k, s)
				}
			}
			for _, k := range []string{"PARSE_SECRET_ARN", "DB_SECRET_ARN"} {
				switch v := vars[k].(type) {
				case string:
					if !strings.HasPrefix(v, "arn:aws:secretsmanager:") {
						t.Errorf("%s/%s: %s=%q", name, fam.Name, k, v)
					}
				default:
					ids := refs(v)
					if len(ids) != 1 || !strings.HasPrefix(f.res[ids[0]].Type, "AWS::SecretsManager::") {
						t.Errorf("%s/%s: %s=%s is not a secret reference", name, fam.Name, k, jsonString(v))
					}
				}
			}
		}
	}
}

// An existing MongoDB: no cluster, the functions read the given secret, DB_KIND=mongodb.
func TestExternalMongo(t *testing.T) {
	f := getFixture(t, "mongo")
	if n := len(f.ofType("AWS::DocDB::DBCluster")); n != 0 {
		t.Errorf("%d clusters with mongoUriSecretArn", n)
	}
	arn := fixtureContexts["mongo"]["mongoUriSecretArn"]
	for _, fam := range families.All {
		vars := f.res[f.logicalID(f.stack.Functions.ByName[fam.Name])].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if vars["DB_SECRET_ARN"] != arn || vars["DB_KIND"] != DBKindMongoDB || vars["DB_TLS_CA"] != nil {
			t.Errorf("%s: DB env %v %v %v", fam.Name, vars["DB_SECRET_ARN"], vars["DB_KIND"], vars["DB_TLS_CA"])
		}
	}
	if !strings.Contains(jsonString(f.tmpl.ToJSON()), arn.(string)) {
		t.Error("secret ARN not granted")
	}
}

// Without NAT: no internet or NAT gateway, functions in isolated subnets, interface endpoints for the
// services they call. With nat=true: one NAT gateway and functions in private subnets with egress.
func TestNetworkModes(t *testing.T) {
	dev := getFixture(t, "dev")
	if n := len(dev.ofType("AWS::EC2::NatGateway")) + len(dev.ofType("AWS::EC2::InternetGateway")); n != 0 {
		t.Errorf("dev: %d NAT/internet gateways", n)
	}
	var services []string
	for _, id := range dev.ofType("AWS::EC2::VPCEndpoint") {
		services = append(services, jsonString(dev.res[id].Properties["ServiceName"]))
	}
	all := strings.Join(services, " ")
	if !containsAll(all, ".s3", ".secretsmanager", ".lambda") || len(services) != 3 {
		t.Errorf("dev endpoints: %v", services)
	}
	if len(dev.ofType("AWS::EC2::FlowLog")) != 1 {
		t.Error("dev: no flow log")
	}

	full := getFixture(t, "full")
	if n := len(full.ofType("AWS::EC2::NatGateway")); n != 1 {
		t.Errorf("nat=true: %d NAT gateways", n)
	}
	for _, sub := range refs(full.res[full.logicalID(full.stack.Functions.ByName["classes"])].Properties["VpcConfig"]) {
		r := full.res[sub]
		if r.Type == "AWS::EC2::Subnet" && tag(r, "aws-cdk:subnet-type") != "Private" {
			t.Errorf("nat=true: function subnet %s type %s", sub, tag(r, "aws-cdk:subnet-type"))
		}
	}
	if n := len(full.ofType("AWS::EC2::VPCEndpoint")); n != 2 { // S3 + endpoints=secretsmanager
		t.Errorf("nat=true with endpoints=secretsmanager: %d endpoints", n)
	}
}

// The HTTP API: CORS, throttling and JSON access logs on the $default stage, the ParseServerURL output,
// and the custom domain when configured.
func TestApi(t *testing.T) {
	f := getFixture(t, "dev")
	apis := f.ofType("AWS::ApiGatewayV2::Api")
	if len(apis) != 1 {
		t.Fatalf("%d APIs", len(apis))
	}
	ap := f.res[apis[0]].Properties
	cors := jsonString(ap["CorsConfiguration"])
	if ap["ProtocolType"] != "HTTP" || !containsAll(cors, `"AllowOrigins":["*"]`, `"AllowHeaders":["*"]`, "X-Parse-Job-Status-Id", "X-Parse-Push-Status-Id", "DELETE", "OPTIONS") {
		t.Errorf("API %v CORS %s", ap["ProtocolType"], cors)
	}
	stages := f.ofType("AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages", len(stages))
	}
	sp := f.res[stages[0]].Properties
	if sp["StageName"] != "$default" || sp["AutoDeploy"] != true {
		t.Errorf("stage %v autodeploy %v", sp["StageName"], sp["AutoDeploy"])
	}
	if th := jsonString(sp["DefaultRouteSettings"]); !containsAll(th, `"ThrottlingBurstLimit":200`, `"ThrottlingRateLimit":100`) {
		t.Errorf("throttling %s", th)
	}
	als, _ := sp["AccessLogSettings"].(map[string]any)
	var format map[string]string
	if als == nil || json.Unmarshal([]byte(als["Format"].(string)), &format) != nil || format["requestId"] != "$context.requestId" {
		t.Errorf("access logs %s", jsonString(als))
	}
	out := f.tmpl.FindOutputs(jsii.String("ParseServerURL"), nil)
	if !strings.Contains(jsonString(out), `"parse"`) && !strings.Contains(jsonString(out), `/parse`) {
		t.Errorf("ParseServerURL %s", jsonString(out))
	}

	full := getFixture(t, "full")
	if len(full.ofType("AWS::ApiGatewayV2::DomainName")) != 1 || len(full.ofType("AWS::ApiGatewayV2::ApiMapping")) != 1 {
		t.Error("custom domain not mapped")
	}
	url := jsonString(full.tmpl.FindOutputs(jsii.String("ParseServerURL"), nil))
	if !strings.Contains(url, "https://api.example.com/parse") {
		t.Errorf("custom domain ParseServerURL %s", url)
	}
}

// Scheduled jobs: one schedule per job in the group, targeting the jobs function with {"job": name}.
func TestJobSchedules(t *testing.T) {
	f := getFixture(t, "full")
	jobsFn := f.logicalID(f.stack.Functions.ByName["jobs"])
	groups := f.ofType("AWS::Scheduler::ScheduleGroup")
	if len(groups) != 1 {
		t.Fatalf("%d schedule groups", len(groups))
	}
	got := map[string]map[string]any{}
	for _, id := range f.ofType("AWS::Scheduler::Schedule") {
		p := f.res[id].Properties
		target := p["Target"].(map[string]any)
		if !isGetAtt(target["Arn"], jobsFn, "Arn") {
			t.Errorf("schedule %s targets %s", id, jsonString(target["Arn"]))
		}
		if p["GroupName"] != f.res[groups[0]].Properties["Name"] || !strings.Contains(jsonString(f.res[id].DependsOn), groups[0]) {
			t.Errorf("schedule %s not in the group", id)
		}
		var in map[string]string
		if err := json.Unmarshal([]byte(target["Input"].(string)), &in); err != nil {
			t.Fatalf("input %v: %v", target["Input"], err)
		}
		got[in["job"]] = p
	}
	code := CodeJobSchedules(true) // the built-in jobs and the app's Cloud Code's, declared next to their jobs
	if len(got) != 2+len(code) || got["cleanup"]["ScheduleExpression"] != "cron(0 3 * * ? *)" || got["cleanup"]["ScheduleExpressionTimezone"] != "Europe/Berlin" ||
		got["hourly stats"]["ScheduleExpression"] != "rate(1 hour)" {
		t.Errorf("schedules %s", jsonString(got))
	}
	if got["_scheduleTick"]["ScheduleExpression"] != "rate(1 minute)" || got["_maintenance"]["ScheduleExpression"] != "cron(15 3 * * ? *)" {
		t.Errorf("built-in schedules: %s", jsonString(got))
	}
	vars := f.res[jobsFn].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	if vars["MAINTENANCE_JOBS"] != "true" || vars["JOB_STATUS_KEEP_DAYS"] != "30" {
		t.Errorf("jobs function maintenance settings %v", vars)
	}
	for _, j := range code {
		if got[j.Name]["ScheduleExpression"] != j.Expression || (j.TimeZone != "" && got[j.Name]["ScheduleExpressionTimezone"] != j.TimeZone) {
			t.Errorf("Cloud Code schedule %s: %s", j.Name, jsonString(got[j.Name]))
		}
	}
	if n := len(getFixture(t, "dev").ofType("AWS::Scheduler::Schedule")); n != len(code) {
		t.Errorf("dev: %d schedules, want the %d Cloud Code declares", n, len(code))
	}
}

// Messaging: email only for identities, push only on the platform applications and their endpoints.
func TestMessagingGrants(t *testing.T) {
	f := getFixture(t, "full")
	if len(f.ofType("AWS::SES::EmailIdentity")) != 1 {
		t.Error("no SES identity")
	}
	all := jsonString(f.tmpl.ToJSON())
	if !containsAll(all, `"ses:SendEmail"`, ":identity/", `:endpoint/APNS/myapp/*`, `:app/GCM/myapp`, `"sns:CreatePlatformEndpoint"`) {
		t.Error("missing SES / SNS platform grants")
	}
	for _, id := range f.ofType("AWS::SNS::Topic") {
		if f.res[id].Properties["KmsMasterKeyId"] == nil && !strings.Contains(id, "Alarm") {
			t.Errorf("topic %s not encrypted", id)
		}
	}
	// Alarms exist for API 5xx, each function's errors and throttles, DocumentDB CPU and connections.
	want := 1 + 2*len(families.All) + 2
	if n := len(f.ofType("AWS::CloudWatch::Alarm")); n != want {
		t.Errorf("%d alarms, want %d", n, want)
	}
	if len(f.ofType("AWS::CloudWatch::Dashboard")) != 1 {
		t.Error("no dashboard")
	}
}

// Context validation rejects bad values with a message.
func TestConfigValidation(t *testing.T) {
	for _, ctx := range []map[string]any{
		{"stage": "staging"},
		{"dbInstances": "0"},
		{"domainName": "api.example.com"},
		{"mongoUriSecretArn": "not-an-arn"},
		{"nat": "maybe"},
		{"endpoints": "secretsmanager,nosuch"},
		{"pushPlatformApplications": `{"ios":"arn:aws:sns:eu-west-1:123456789012:topic"}`},
		{"jobSchedules": `[{"name":"x","expression":"every day"}]`},
		{"apiTimeout": "60"},
		{"logRetentionDays": "8"},
		{"jobStatusKeepDays": "0"},
	} {
		app := NewApp(ctx, "")
		if _, err := ConfigFromContext(app.Node()); err == nil {
			t.Errorf("context %v accepted", ctx)
		}
	}
	app := NewApp(map[string]any{"corsOrigins": "https://a.example, https://b.example", "reservedConcurrency": 0.0, "nat": true}, "")
	cfg, err := ConfigFromContext(app.Node())
	if err != nil || len(cfg.CorsOrigins) != 2 || cfg.ReservedConcurrency != 0 || !cfg.NAT || cfg.Stage != StageDev || cfg.DBInstanceClass != "db.t4g.medium" {
		t.Errorf("cfg %+v err %v", cfg, err)
	}
	hasJob := func(c Config, name string) bool {
		for _, j := range c.JobSchedules {
			if j.Name == name {
				return true
			}
		}
		return false
	}
	if !cfg.MaintenanceJobs || cfg.JobStatusKeepDays != 30 || !hasJob(cfg, "_maintenance") || !hasJob(cfg, "_scheduleTick") {
		t.Errorf("maintenance defaults %v %d %v", cfg.MaintenanceJobs, cfg.JobStatusKeepDays, cfg.JobSchedules)
	}
	// maintenanceJobs=false: no maintenance schedule (the minute tick stays).
	off, err := ConfigFromContext(NewApp(map[string]any{"maintenanceJobs": "false", "jobStatusKeepDays": "7"}, "").Node())
	if err != nil || off.MaintenanceJobs || off.JobStatusKeepDays != 7 || hasJob(off, "_maintenance") || !hasJob(off, "_scheduleTick") {
		t.Errorf("maintenance off %+v %v", off.JobSchedules, err)
	}
	cfg.BuildDir = t.TempDir()
	if err := CheckAssets(cfg); err == nil || !strings.Contains(err.Error(), "bootstrap") {
		t.Errorf("missing assets: %v", err)
	}
}
