package parse

import (
	"crypto/rand"
	"encoding/hex"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewObjectID returns a random 10-character objectId over [A-Za-z0-9], without modulo bias.
func NewObjectID() string { return RandomString(10) }

// RandomString returns n random characters of [A-Za-z0-9].
func RandomString(n int) string {
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			if b >= 248 { // 248 = 62*4: reject to stay uniform
				continue
			}
			out = append(out, idAlphabet[int(b)%62])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// RandomHex returns 2*n hex characters from n random bytes.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
