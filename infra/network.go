package main

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Subnet group names. Functions run in "app", the database in "db"; "public" exists only with nat=true.
const (
	subnetApp    = "app"
	subnetDB     = "db"
	subnetPublic = "public"
)

// Network is the VPC and the security group every function uses.
type Network struct {
	Vpc             awsec2.Vpc
	FunctionsSG     awsec2.SecurityGroup
	FunctionSubnets *awsec2.SubnetSelection
	DBSubnets       *awsec2.SubnetSelection
	Endpoints       []string // interface endpoints created, by service key
}

// endpointServices are the interface endpoints the `endpoints` context may name. "email" is the SES API
// (sesv2) endpoint, "email-smtp" the SMTP one.
var endpointServices = map[string]func() awsec2.IInterfaceVpcEndpointService{
	"secretsmanager": func() awsec2.IInterfaceVpcEndpointService {
		return awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER()
	},
	"sns":        func() awsec2.IInterfaceVpcEndpointService { return awsec2.InterfaceVpcEndpointAwsService_SNS() },
	"email":      func() awsec2.IInterfaceVpcEndpointService { return awsService("email") },
	"email-smtp": func() awsec2.IInterfaceVpcEndpointService { return awsec2.InterfaceVpcEndpointAwsService_EMAIL_SMTP() },
	"lambda":     func() awsec2.IInterfaceVpcEndpointService { return awsec2.InterfaceVpcEndpointAwsService_LAMBDA() },
	"scheduler":  func() awsec2.IInterfaceVpcEndpointService { return awsService("scheduler") },
	"events":     func() awsec2.IInterfaceVpcEndpointService { return awsec2.InterfaceVpcEndpointAwsService_EVENTBRIDGE() },
	"logs": func() awsec2.IInterfaceVpcEndpointService {
		return awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS()
	},
	"monitoring": func() awsec2.IInterfaceVpcEndpointService {
		return awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_MONITORING()
	},
	"sts": func() awsec2.IInterfaceVpcEndpointService { return awsec2.InterfaceVpcEndpointAwsService_STS() },
	"kms": func() awsec2.IInterfaceVpcEndpointService { return awsec2.InterfaceVpcEndpointAwsService_KMS() },
}

func awsService(name string) awsec2.IInterfaceVpcEndpointService {
	return awsec2.NewInterfaceVpcEndpointAwsService(jsii.String(name), nil, nil, nil)
}

func knownEndpoints() []string { return sortedKeys(endpointServices) }

// defaultEndpoints is what the functions call when they have no NAT: Secrets Manager always (keys and DB
// credentials), Lambda (the jobs function invokes itself asynchronously to run a job), SNS only when push
// platform applications are configured, SES only when a sender identity is. With a NAT gateway the
// functions reach the public endpoints and no interface endpoint is created unless asked for.
func defaultEndpoints(cfg Config) []string {
	if cfg.NAT {
		return nil
	}
	eps := []string{"secretsmanager", "lambda"}
	if len(cfg.PushPlatformApplications) > 0 {
		eps = append(eps, "sns")
	}
	if cfg.SenderEmail != "" {
		eps = append(eps, "email")
	}
	return eps
}

// NewNetwork builds a two-AZ VPC: isolated "db" subnets for the database and "app" subnets for the
// functions (PRIVATE_WITH_EGRESS behind a NAT gateway with nat=true, otherwise PRIVATE_ISOLATED with VPC
// endpoints), a free S3 gateway endpoint, interface endpoints, and VPC flow logs into logsBucket.
func NewNetwork(scope constructs.Construct, cfg Config, logsBucket awss3.IBucket) *Network {
	appType := awsec2.SubnetType_PRIVATE_ISOLATED
	subnets := []*awsec2.SubnetConfiguration{}
	natGateways := 0
	if cfg.NAT {
		appType = awsec2.SubnetType_PRIVATE_WITH_EGRESS
		natGateways = cfg.NATGateways
		subnets = append(subnets, &awsec2.SubnetConfiguration{
			Name: jsii.String(subnetPublic), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24),
			MapPublicIpOnLaunch: jsii.Bool(false),
		})
	}
	subnets = append(subnets,
		&awsec2.SubnetConfiguration{Name: jsii.String(subnetApp), SubnetType: appType, CidrMask: jsii.Number(20)},
		&awsec2.SubnetConfiguration{Name: jsii.String(subnetDB), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
	)

	vpc := awsec2.NewVpc(scope, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:                  awsec2.IpAddresses_Cidr(jsii.String("10.0.0.0/16")),
		MaxAzs:                       jsii.Number(2),
		NatGateways:                  jsii.Number(float64(natGateways)),
		SubnetConfiguration:          &subnets,
		RestrictDefaultSecurityGroup: jsii.Bool(true),
	})
	vpc.AddFlowLog(jsii.String("FlowLogs"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToS3(logsBucket, jsii.String("vpc-flow-logs/"), nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})

	fnSubnets := &awsec2.SubnetSelection{SubnetGroupName: jsii.String(subnetApp)}
	n := &Network{
		Vpc:             vpc,
		FunctionSubnets: fnSubnets,
		DBSubnets:       &awsec2.SubnetSelection{SubnetGroupName: jsii.String(subnetDB)},
	}
	n.FunctionsSG = awsec2.NewSecurityGroup(scope, jsii.String("FunctionsSG"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Parse Lambda functions"),
		AllowAllOutbound: jsii.Bool(true),
	})

	// S3 gateway endpoint: free, and the files function's only path to S3 without a NAT.
	vpc.AddGatewayEndpoint(jsii.String("S3Endpoint"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{fnSubnets},
	})

	eps := cfg.Endpoints
	if eps == nil {
		eps = defaultEndpoints(cfg)
	}
	eps = append([]string(nil), eps...)
	sort.Strings(eps)
	if len(eps) > 0 {
		epSG := awsec2.NewSecurityGroup(scope, jsii.String("EndpointsSG"), &awsec2.SecurityGroupProps{
			Vpc:              vpc,
			Description:      jsii.String("Interface VPC endpoints, HTTPS from the functions only"),
			AllowAllOutbound: jsii.Bool(false),
		})
		epSG.AddIngressRule(n.FunctionsSG, awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS from the functions"), nil)
		for _, e := range eps {
			vpc.AddInterfaceEndpoint(jsii.String("Endpoint-"+e), &awsec2.InterfaceVpcEndpointOptions{
				Service:           endpointServices[e](),
				Subnets:           fnSubnets,
				SecurityGroups:    &[]awsec2.ISecurityGroup{epSG},
				PrivateDnsEnabled: jsii.Bool(true),
				Open:              jsii.Bool(false),
			})
		}
	}
	n.Endpoints = eps
	return n
}
