package users_test

import (
	"strings"
	"testing"

	"github.com/parselambda/parselambda/shared/users"
)

// longPassword is 94 bytes; its first 72 end between two of the two-byte é's.
var longPassword = strings.Repeat("p", 50) + strings.Repeat("é", 20) + "tail"

// Hashes of longPassword made by the bcrypt libraries Parse Server 7.3 installs (bcryptjs, and
// @node-rs/bcrypt, which spells the prefix $2y$), both at cost 10. Each reads only the first 72 bytes.
const (
	bcryptjsHash = "$2a$10$wc8rIVUKrhXJsPDM4tYAN.AuO5NrfJRyJbRTU94ue2FZ051xACRLe"
	nodeRSHash   = "$2y$10$SI2rW/YNzk8Pi9tvd/1dA.MyW8S0lqVm2yVVE/E41PH5B0oFNPHMO"
)

func TestPasswordsLongerThanBcryptReadsAsParseServer(t *testing.T) {
	for name, hash := range map[string]string{"bcryptjs": bcryptjsHash, "@node-rs/bcrypt": nodeRSHash} {
		if !users.CheckPassword(hash, longPassword) {
			t.Errorf("%s's hash of a 94-byte password does not verify", name)
		}
		if users.CheckPassword(hash, longPassword[:71]) {
			t.Errorf("%s's hash verifies with a 71-byte prefix", name)
		}
	}
	h, err := users.HashPassword(longPassword)
	if err != nil {
		t.Fatalf("HashPassword of a 94-byte password: %v", err)
	}
	if !users.CheckPassword(h, longPassword) || !users.CheckPassword(h, longPassword[:72]+"anything after") {
		t.Errorf("our hash of a long password does not verify as bcrypt reads it (the first 72 bytes)")
	}
	if users.CheckPassword(h, "p") {
		t.Errorf("our hash verifies a wrong password")
	}
}
