package logs

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bufSize is how much a Writer gathers before a write.
const bufSize = 256 << 10

// writeBuffers hold a Writer's lines between a burst's first line and its
// Flush; a Writer holds one only then. An app that printed one line at
// start held a 256 KiB buffer per stream for the rest of its life (issue
// 11: 280 KB of heap per idle instance, 280 MB for 1,000).
var writeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, bufSize); return &b }}

// Rotation limits of a Writer (DESIGN §11).
type Rotation struct {
	MaxSize  int64 // rotate before a line would take the file past this; 0: never
	MaxFiles int   // rotated files kept; older ones are deleted
	Compress bool  // gzip rotated files, off the writing path
}

// Writer appends lines to one log file, rotating it by size itself:
// rename and reopen, never copytruncate, and never a line split across
// two files. Lines are buffered and reach the file at Flush (the reader
// of a pipe flushes whenever the pipe has nothing more to give), so a
// burst costs few system calls. A line that cannot be written is counted;
// once writing works again a marker line says how many were lost. A
// Writer with no Path discards lines. It is safe for concurrent use (merge_logs
// shares one between instances).
type Writer struct {
	Path     string
	Rotation Rotation
	// Now is the clock used to name rotated files; nil means time.Now.
	Now func() time.Time
	// OnLoss, if set, hears when lines start being lost (lost == 0, with
	// the error) and when writing works again (lost > 0, the count the
	// marker line gives). It is called with the Writer's lock held and
	// must not block.
	OnLoss func(lost int64, err error)

	mu       sync.Mutex // guards the fields below
	f        *os.File
	buf      *[]byte // lines not yet written; nil when there are none
	size     int64   // bytes in the file, buffered ones included
	pending  int64   // lines in buf, lost if its flush fails
	lost     int64   // lines lost since the last successful write
	lostAt   time.Time
	total    atomic.Int64 // lines lost in all; read without mu, so a stalled disk never blocks a reader
	compress sync.WaitGroup
	cmu      sync.Mutex // serializes compression and pruning
}

// WriteLine writes text and a newline.
func (w *Writer) WriteLine(text []byte) {
	if w.Path == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		if err := w.open(); err != nil {
			w.failErr(1, err)
			return
		}
	}
	n := int64(len(text) + 1)
	if r := w.Rotation; r.MaxSize > 0 && w.size > 0 && w.size+n > r.MaxSize {
		if err := w.rotate(); err != nil {
			w.fail(1)
			return
		}
	}
	if w.lost > 0 && !w.writeMarker() {
		w.fail(1)
		return
	}
	if w.buffered()+len(text)+1 > bufSize && !w.flush() {
		w.fail(1) // the flush counted the lines it held
		return
	}
	if len(text)+1 > bufSize {
		// Longer than the buffer (a pipe's split line is at most
		// MaxLine, but a Writer takes any): straight to the file.
		if _, err := w.f.Write(append(slices.Clip(text), '\n')); err != nil {
			w.failErr(1, err)
			w.size = w.fileSize()
			return
		}
		w.size += n
		return
	}
	w.put(text)
	w.put([]byte{'\n'})
	w.size += n
	w.pending++
}

// buffered is how many bytes wait in the buffer.
func (w *Writer) buffered() int {
	if w.buf == nil {
		return 0
	}
	return len(*w.buf)
}

// put appends p to the buffer, taking one from the pool if none is held.
func (w *Writer) put(p []byte) {
	if w.buf == nil {
		w.buf = writeBuffers.Get().(*[]byte)
	}
	*w.buf = append(*w.buf, p...)
}

// release gives the buffer back to the pool, emptied.
func (w *Writer) release() {
	if w.buf != nil {
		*w.buf = (*w.buf)[:0]
		writeBuffers.Put(w.buf)
		w.buf = nil
	}
}

// Flush writes buffered lines to the file.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flush()
}

// flush writes the buffer to the file and gives it back. If the write
// fails, what the buffer held is dropped and its lines counted as lost.
func (w *Writer) flush() bool {
	if w.buffered() == 0 {
		w.pending = 0
		w.release()
		return true
	}
	_, err := w.f.Write(*w.buf)
	w.release()
	if err != nil {
		w.failErr(w.pending, err)
		w.size = w.fileSize()
		return false
	}
	w.pending = 0
	return true
}

func (w *Writer) fileSize() int64 {
	if fi, err := w.f.Stat(); err == nil {
		return fi.Size()
	}
	return 0
}

func (w *Writer) writeMarker() bool {
	marker := fmt.Sprintf("[tend] %d lines lost: could not write %s since %s\n",
		w.lost, w.Path, w.lostAt.Format(time.RFC3339))
	if w.tornTail() {
		marker = "\n" + marker // a failed write left part of a line
	}
	w.put([]byte(marker))
	if !w.flush() {
		return false
	}
	w.size += int64(len(marker))
	if w.OnLoss != nil {
		w.OnLoss(w.lost, nil)
	}
	w.lost = 0
	return true
}

// tornTail reports whether the file ends inside a line: a short write
// before the disk filled. Read only when a marker is due.
func (w *Writer) tornTail() bool {
	f, err := os.Open(w.Path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false
	}
	var last [1]byte
	_, err = f.ReadAt(last[:], fi.Size()-1)
	return err == nil && last[0] != '\n'
}

func (w *Writer) fail(lines int64) {
	w.failErr(lines, nil)
}

func (w *Writer) failErr(lines int64, err error) {
	if lines <= 0 {
		return
	}
	if w.lost == 0 {
		w.lostAt = time.Now()
		if w.OnLoss != nil {
			w.OnLoss(0, err)
		}
	}
	w.lost += lines
	w.total.Add(lines)
	w.pending = 0
}

func (w *Writer) open() error {
	if err := os.MkdirAll(filepath.Dir(w.Path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(w.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	w.f = f
	w.size = w.fileSize()
	// A daemon killed mid-write left part of a line: end it, so the next
	// line is not glued to it.
	if w.tornTail() {
		w.put([]byte{'\n'})
		w.size++
	}
	return nil
}

func (w *Writer) closeFile() error {
	if w.f == nil {
		return nil
	}
	w.flush()
	err := w.f.Close()
	w.release()
	w.f = nil
	return err
}

// rotate renames the file to its rotated name and opens a new one.
func (w *Writer) rotate() error {
	if !w.flush() {
		return fmt.Errorf("flush before rotation failed")
	}
	w.closeFile()
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	dst := rotatedName(w.Path, now())
	if err := os.Rename(w.Path, dst); err != nil && !os.IsNotExist(err) {
		w.open()
		return err
	}
	if err := w.open(); err != nil {
		return err
	}
	if w.Rotation.Compress {
		w.compress.Add(1)
		go func() {
			defer w.compress.Done()
			// One compression and prune at a time: a prune racing a
			// compression could delete a file whose .gz then appears,
			// one more than log_max_files.
			w.cmu.Lock()
			defer w.cmu.Unlock()
			gzipFile(dst) // a failure leaves the plain file, which is still read
			w.prune()
		}()
	} else {
		w.prune()
	}
	return nil
}

// rotatedName is base.YYYYMMDD-HHMMSS.mmm.log, with -N added if taken, so
// names sort in the order the files were made.
func rotatedName(path string, t time.Time) string {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	if ext == "" {
		ext = ".log"
	}
	stamp := t.UTC().Format("20060102-150405.000")
	name := base + "." + stamp + ext
	for i := 1; exists(name) || exists(name+".gz"); i++ {
		name = fmt.Sprintf("%s.%s-%d%s", base, stamp, i, ext)
	}
	return name
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Rotated lists the rotated files of path, oldest first.
func Rotated(path string) []string {
	ext := filepath.Ext(path)
	if ext == "" {
		ext = ".log"
	}
	base := strings.TrimSuffix(path, filepath.Ext(path))
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Base(base)) + `\.(\d{8}-\d{6}\.\d{3})(?:-(\d+))?` + regexp.QuoteMeta(ext) + `(?:\.gz)?$`)
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return nil
	}
	type rotated struct {
		path, stamp string
		n           int
	}
	var found []rotated
	for _, e := range ents {
		if m := re.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[2]) // "" (the first of its millisecond) is 0
			found = append(found, rotated{filepath.Join(filepath.Dir(path), e.Name()), m[1], n})
		}
	}
	slices.SortFunc(found, func(a, b rotated) int {
		if c := strings.Compare(a.stamp, b.stamp); c != 0 {
			return c
		}
		return a.n - b.n
	})
	out := make([]string, len(found))
	for i, r := range found {
		out[i] = r.path
	}
	return out
}

// prune deletes the oldest rotated files beyond MaxFiles.
func (w *Writer) prune() {
	files := Rotated(w.Path)
	keep := max(w.Rotation.MaxFiles, 0)
	for len(files) > keep {
		os.Remove(files[0])
		files = files[1:]
	}
}

func gzipFile(p string) error {
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := p + ".gz.tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, in)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p+".gz")
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Remove(p)
}

// SetRotation changes the limits (a new spec of the app).
func (w *Writer) SetRotation(r Rotation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Rotation = r
}

// Lost reports how many lines this Writer could not write in all. It
// does not wait for a write in progress.
func (w *Writer) Lost() int64 { return w.total.Load() }

// Truncate empties the file (tend flush) and deletes rotated ones.
func (w *Writer) Truncate() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.compress.Wait()
	for _, r := range Rotated(w.Path) {
		os.Remove(r)
	}
	if w.f != nil {
		w.flush()
		w.size = 0
		return w.f.Truncate(0)
	}
	err := os.Truncate(w.Path, 0)
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// Reopen closes the file and opens it again by name: for an external
// logrotate that moved it away (tend reload-logs, SIGUSR1).
func (w *Writer) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.closeFile()
	if oerr := w.open(); err == nil {
		err = oerr
	}
	return err
}

// Close flushes and closes the file and waits for compressions; a later
// write opens it again.
func (w *Writer) Close() error {
	w.mu.Lock()
	err := w.closeFile()
	w.mu.Unlock()
	w.compress.Wait()
	return err
}
