package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// The daemon is root when it starts an app as another user, so access(2)
// would answer for root. These check the permission bits as c would meet
// them, to say which directory stops the app before it starts, rather
// than a bare "permission denied" from the fork.

// CanRun reports whether c may enter dir and run path there: the reason
// if not, naming the directory or file that stops it.
func CanRun(dir, path string, c *syscall.Credential, user string) error {
	if err := canEnter(dir, c); err != nil {
		return fmt.Errorf("cwd: user %s (uid %d): %w", user, c.Uid, err)
	}
	if err := canExec(path, c); err != nil {
		return fmt.Errorf("user %s (uid %d) cannot run %s: %w", user, c.Uid, path, err)
	}
	return nil
}

// canEnter reports whether c may search every directory down to dir.
func canEnter(dir string, c *syscall.Credential) error {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := abs; ; p = filepath.Dir(p) {
		if err := may(p, c, 1); err != nil {
			return err
		}
		if p == "/" {
			return nil
		}
	}
}

// canExec reports whether c may search the directories of path and run it.
func canExec(path string, c *syscall.Credential) error {
	if err := canEnter(filepath.Dir(path), c); err != nil {
		return err
	}
	return may(path, c, 1)
}

// may checks bit (1 = x, 2 = w, 4 = r) of p's mode for c.
func may(p string, c *syscall.Credential, bit uint32) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || c.Uid == 0 {
		return nil
	}
	mode := uint32(fi.Mode().Perm())
	var shift uint32
	switch {
	case st.Uid == c.Uid:
		shift = 6
	case st.Gid == c.Gid || slices.Contains(c.Groups, st.Gid):
		shift = 3
	}
	if mode>>shift&bit == 0 {
		return fmt.Errorf("%s is %s, owned by uid %d gid %d: no access", p, fi.Mode(), st.Uid, st.Gid)
	}
	return nil
}
