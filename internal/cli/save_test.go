package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// save syncs the new file before the rename and the directory after it
// (issue 10: it renamed without either, so a power cut could leave an
// empty dump).
func TestWriteAtomicSyncsFileThenDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.yaml")
	var synced []string
	sync := func(f *os.File) error {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if _, err := os.Stat(path); fi.Mode().IsRegular() && err == nil {
			t.Errorf("the file was synced after the rename")
		}
		synced = append(synced, f.Name())
		return f.Sync()
	}
	if err := writeAtomicWith(path, []byte("apps: []\n"), 0o600, sync); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 2 || filepath.Dir(synced[0]) != dir || synced[1] != dir {
		t.Errorf("synced %q; want the temporary file, then %s", synced, dir)
	}
	if b, _ := os.ReadFile(path); string(b) != "apps: []\n" {
		t.Errorf("file holds %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}
