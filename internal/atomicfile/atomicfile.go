// Package atomicfile writes files that appear at their path only when complete: a candump log
// from an interrupted run, or a master's NVM from a process killed mid-write, is never left
// half-written where a reader would take it for whole.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// File is an output file that appears at its path only when complete.
// Writes go to a hidden temporary file in the same directory; Commit renames
// it over the path. A run that is aborted (error, Ctrl-C, crash) therefore
// never leaves a truncated candump log that looks like a finished one, and a
// previous file at the path survives until the new one is complete.
//
// Typical use:
//
//	f, err := Create(path)
//	if err != nil { ... }
//	defer f.Abort() // no-op after a successful Commit
//	... write ...
//	return f.Commit()
//
// An File is not safe for concurrent use.
type File struct {
	path string
	tmp  *os.File
	bw   *bufio.Writer
	done bool // Commit or Abort has run; the temp file is gone or renamed
}

// atomicFileMode is the final file's mode when no file existed at the path.
// os.CreateTemp makes 0600 files, which would surprise users sharing logs;
// 0644 is what os.Create gives under the usual 022 umask. (Reading the umask
// would mean setting it, which races with other goroutines creating files.)
const atomicFileMode fs.FileMode = 0o644

// Create starts writing a file that will appear at path on Commit. The
// temporary file is created in path's directory, because a rename is only
// atomic within one file system. If path already exists, its permission bits
// are kept on Commit.
//
// A missing directory is reported in one line naming the path, rather than
// as a bare "no such file or directory" for a temp name the user never typed.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" || base == "." || base == ".." {
		return nil, fmt.Errorf("create %s: not a file name; give a path that ends in a file name", path)
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("create %s: directory %s does not exist; create it first (mkdir -p %s) or choose another path", path, dir, dir)
	case err != nil:
		return nil, fmt.Errorf("create %s: %w", path, err)
	case !st.IsDir():
		return nil, fmt.Errorf("create %s: %s is not a directory; choose another path", path, dir)
	}
	mode := atomicFileMode
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("create %s: it is a directory; give a file name inside it", path)
		}
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	// Set the final mode now rather than at Commit so a failure shows up
	// before any data is written.
	if err := tmp.Chmod(mode); err != nil && runtime.GOOS != "windows" {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{path: path, tmp: tmp, bw: bufio.NewWriterSize(tmp, 64<<10)}, nil
}

// Write writes p to the temporary file, through a buffer. After Commit or
// Abort it fails with an error wrapping fs.ErrClosed.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("write %s: %w", f.path, fs.ErrClosed)
	}
	return f.bw.Write(p)
}

// Commit makes the written data appear at the path: it flushes the buffer,
// fsyncs and closes the temporary file, renames it over the path and fsyncs
// the directory so the rename itself survives a power cut. If any step
// before the rename fails, the temporary file is removed and the path is left
// as it was. An error from the final directory fsync means the file is in
// place but may not be durable yet. Commit after Commit or Abort returns an
// error wrapping fs.ErrClosed.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: %w", f.path, fs.ErrClosed)
	}
	f.done = true
	tmpName := f.tmp.Name()
	fail := func(err error) error {
		_ = f.tmp.Close() // may already be closed; the first error matters
		_ = os.Remove(tmpName)
		return fmt.Errorf("commit %s: %w", f.path, err)
	}
	if err := f.bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := f.tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpName, f.path); err != nil {
		return fail(err)
	}
	if err := atomicSyncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("commit %s: file written but directory sync failed: %w", f.path, err)
	}
	return nil
}

// Abort discards the written data: it closes and removes the temporary file
// and leaves the path untouched. It is a no-op after Commit or a previous
// Abort, so it can be deferred unconditionally.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	cerr := f.tmp.Close()
	rerr := os.Remove(f.tmp.Name())
	if rerr != nil {
		return fmt.Errorf("abort %s: %w", f.path, rerr)
	}
	if cerr != nil {
		return fmt.Errorf("abort %s: %w", f.path, cerr)
	}
	return nil
}

// atomicSyncDir fsyncs a directory so that a rename in it is durable. Windows
// cannot fsync directories (and makes renames durable itself), and some file
// systems refuse directory fsync with EINVAL or ENOTSUP; those cases are not
// errors, since there is nothing more the caller could do.
func atomicSyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	cerr := d.Close()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		err = nil
	}
	if err != nil {
		return err
	}
	return cerr
}
