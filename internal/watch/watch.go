// Package watch follows the files of an app (watch:, ignore_watch:,
// watch_delay:) and says when they changed: one event per burst of
// changes, after the burst has been quiet for the delay. It uses inotify
// through fsnotify, so a tree nobody touches costs nothing; new
// directories are followed as they appear, and an editor's save by
// rename-and-replace is seen as the change it is (directories are
// watched, not files). It imports no sibling.
package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultIgnore are names never watched: dependencies and version
// control churn on their own.
var DefaultIgnore = []string{"node_modules", ".git"}

// Watcher follows some trees. Changes delivers the path (relative to the
// first root, when under it) of the first change of each burst.
type Watcher struct {
	fw     *fsnotify.Watcher
	roots  []string
	ignore []string
	delay  time.Duration
	// only are the directories watched for some files of theirs alone
	// (a root that is a file), with those files.
	only    map[string]map[string]bool
	trees   map[string]bool // directories watched whole
	changes chan string
	done    chan struct{}
}

// New watches roots (absolute paths: directories, whole trees, or
// files), leaving out what ignore matches (see Ignored), and reports a
// burst of changes once it has been quiet for delay.
func New(roots, ignore []string, delay time.Duration) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", limitHint(err))
	}
	w := &Watcher{fw: fw, roots: roots, ignore: append(append([]string(nil), DefaultIgnore...), ignore...),
		delay: delay, changes: make(chan string, 1), done: make(chan struct{}),
		only: map[string]map[string]bool{}, trees: map[string]bool{}}
	for _, r := range roots {
		if err := w.addTree(r); err != nil {
			fw.Close()
			return nil, err
		}
	}
	go w.loop()
	return w, nil
}

// Changes delivers one path per burst of changes.
func (w *Watcher) Changes() <-chan string { return w.changes }

// Close stops watching.
func (w *Watcher) Close() {
	w.fw.Close()
	<-w.done
}

// addTree watches dir and every directory under it that is not ignored;
// a file is watched through its directory.
func (w *Watcher) addTree(root string) error {
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("watch %s: %w", root, err)
	}
	if !fi.IsDir() {
		dir := filepath.Dir(root)
		if w.only[dir] == nil {
			w.only[dir] = map[string]bool{}
		}
		w.only[dir][root] = true
		return w.add(dir)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // a directory gone or unreadable meanwhile
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && w.Ignored(p) {
			return filepath.SkipDir
		}
		w.trees[p] = true
		return w.add(p)
	})
}

func (w *Watcher) add(dir string) error {
	if err := w.fw.Add(dir); err != nil {
		return fmt.Errorf("watch %s: %w", dir, limitHint(err))
	}
	return nil
}

// limitHint explains inotify's limits, the usual reason a big tree
// cannot be watched.
func limitHint(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w: more directories than the inotify limit (fs.inotify.max_user_watches = %s); raise it with `sysctl fs.inotify.max_user_watches=524288`, or add the big directories to ignore_watch", err, sysctl("max_user_watches"))
	case errors.Is(err, syscall.EMFILE):
		return fmt.Errorf("%w: too many inotify instances (fs.inotify.max_user_instances = %s); raise it with `sysctl fs.inotify.max_user_instances=1024`", err, sysctl("max_user_instances"))
	}
	return err
}

func sysctl(name string) string {
	b, err := os.ReadFile("/proc/sys/fs/inotify/" + name)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// Ignored reports whether path is left out: a pattern without a slash
// (node_modules, *.log) matches any one element of the path; one with a
// slash (src/gen, build/*.js) matches the path relative to a root, or
// its leading elements; an absolute pattern matches the path or a
// directory above it.
func (w *Watcher) Ignored(path string) bool {
	for _, pat := range w.ignore {
		if filepath.IsAbs(pat) {
			if path == pat || strings.HasPrefix(path, pat+string(filepath.Separator)) {
				return true
			}
			continue
		}
		if !strings.Contains(pat, "/") {
			for _, el := range strings.Split(path, string(filepath.Separator)) {
				if ok, _ := filepath.Match(pat, el); ok {
					return true
				}
			}
			continue
		}
		for _, root := range w.roots {
			rel, err := filepath.Rel(root, path)
			if err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			els := strings.Split(rel, string(filepath.Separator))
			for i := range els {
				if ok, _ := filepath.Match(pat, filepath.Join(els[:i+1]...)); ok {
					return true
				}
			}
		}
	}
	return false
}

// loop gathers events into bursts.
func (w *Watcher) loop() {
	defer close(w.done)
	var quiet <-chan time.Time
	first := ""
	for {
		select {
		case ev, ok := <-w.fw.Events:
			if !ok {
				return
			}
			if w.Ignored(ev.Name) || ev.Op == fsnotify.Chmod {
				continue
			}
			if dir := filepath.Dir(ev.Name); !w.trees[dir] && w.only[dir] != nil && !w.only[dir][ev.Name] {
				continue // a neighbour of a watched file
			}
			if ev.Op.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					w.addTree(ev.Name) // a new directory: follow it (and what it already holds)
				}
			}
			if first == "" {
				first = w.rel(ev.Name)
			}
			quiet = time.After(w.delay)
		case <-quiet:
			quiet = nil
			select {
			case w.changes <- first:
			default: // one not taken yet says as much
			}
			first = ""
		case _, ok := <-w.fw.Errors:
			if !ok {
				return
			}
		}
	}
}

// rel is path relative to the first root that holds it.
func (w *Watcher) rel(path string) string {
	for _, root := range w.roots {
		if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
			if rel == "." {
				return filepath.Base(path)
			}
			return rel
		}
	}
	return path
}
