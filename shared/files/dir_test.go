package files

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A stored name longer than the file system takes cannot name a stored file: not found, as on S3.
func TestDirStoreNameTooLongIsNotFound(t *testing.T) {
	s := &DirStore{Dir: t.TempDir()}
	name := strings.Repeat("f", 300) + ".txt"
	if !SafeStoredName(name) {
		t.Fatalf("the name must pass SafeStoredName for this test to reach the store")
	}
	if _, err := s.Get(context.Background(), name); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a 304-byte name: %v, want ErrNotFound", err)
	}
	if err := s.Delete(context.Background(), name); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of a 304-byte name: %v, want ErrNotFound", err)
	}
}
