package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// DirStore keeps files in a local folder (the local server's DATA_DIR/files). Content types are not
// stored: downloads take them from the name's extension, as Parse Server does.
type DirStore struct {
	Dir string
}

var _ Store = (*DirStore)(nil)

// NewDirStore creates dir if needed.
func NewDirStore(dir string) (*DirStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("files folder: %w", err)
	}
	return &DirStore{Dir: dir}, nil
}

func (s *DirStore) path(name string) (string, error) {
	if !SafeStoredName(name) {
		return "", ErrNotFound
	}
	return filepath.Join(s.Dir, name), nil
}

// Put writes the file through a temporary file, so a reader never sees half of it.
func (s *DirStore) Put(ctx context.Context, name string, body io.Reader, size int64, contentType string) error {
	p, err := s.path(name)
	if err != nil {
		return fmt.Errorf("invalid file name %q", name)
	}
	tmp, err := os.CreateTemp(s.Dir, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("file %q: wrote %d bytes, expected %d", name, n, size)
	}
	return os.Rename(tmp.Name(), p)
}

// Get opens the file; its Body is an *os.File, so callers may seek (ranges).
func (s *DirStore) Get(ctx context.Context, name string) (*Object, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENAMETOOLONG) { // no such file can exist
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, ErrNotFound
	}
	etag := `"` + strconv.FormatInt(st.ModTime().UnixNano(), 36) + "-" + strconv.FormatInt(st.Size(), 36) + `"`
	return &Object{Body: f, Size: st.Size(), ContentType: TypeFor(name), ETag: etag, LastModified: st.ModTime()}, nil
}

// Delete removes the file.
func (s *DirStore) Delete(ctx context.Context, name string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENAMETOOLONG) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	return nil
}
