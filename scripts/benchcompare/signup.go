package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/pprof/profile"
)

// bcryptShare is the share of the CPU samples of a profile whose stack is inside bcrypt (the
// golang.org/x/crypto bcrypt and blowfish packages): with a profile of our server under sign-up +
// login, what remains is the CPU of everything else those requests do. other is the number of samples
// outside bcrypt: the share of the rest is known to about ±1/√other (sampling error).
func bcryptShare(path string) (share float64, other int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return 0, 0, err
	}
	idx, count := -1, -1
	for i, st := range p.SampleType {
		switch st.Type {
		case "cpu":
			idx = i
		case "samples":
			count = i
		}
	}
	if idx < 0 || count < 0 {
		return 0, 0, fmt.Errorf("%s: not a CPU profile with sample counts", path)
	}
	var total, inBcrypt int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		total += v
		if inPackages(s, "golang.org/x/crypto/bcrypt.", "golang.org/x/crypto/blowfish.") {
			inBcrypt += v
		} else {
			other += s.Value[count]
		}
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("%s: no samples", path)
	}
	return float64(inBcrypt) / float64(total), other, nil
}

// inPackages reports whether a function of the sample's stack has one of the prefixes.
func inPackages(s *profile.Sample, prefixes ...string) bool {
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function == nil {
				continue
			}
			for _, p := range prefixes {
				if strings.HasPrefix(ln.Function.Name, p) {
					return true
				}
			}
		}
	}
	return false
}
