package crash

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary is the crashing daemon: TEND_CRASH_HELPER picks what
// it does.
func TestMain(m *testing.M) {
	switch os.Getenv("TEND_CRASH_HELPER") {
	case "guarded":
		f, _ := os.Create(os.Getenv("TEND_CRASH_LOG"))
		log := slog.New(slog.NewJSONHandler(f, nil))
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer Guard(log, "worker")
			var ids []int
			_ = ids[len(os.Args)]
		}()
		<-done
		select {} // the panic ends the process first
	case "unguarded":
		if _, err := Capture(os.Getenv("TEND_CRASH_FILE")); err != nil {
			panic(err)
		}
		go func() { panic("a library's goroutine broke") }()
		select {}
	}
	os.Exit(m.Run())
}

func helper(t *testing.T, mode string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append(env, "TEND_CRASH_HELPER="+mode)...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("%s helper exited 0; want a crash:\n%s", mode, out)
	}
	return string(out)
}

func TestGuardLogsThenExits(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "daemon.log")
	out := helper(t, "guarded", "TEND_CRASH_LOG="+logPath)
	b, _ := os.ReadFile(logPath)
	log := string(b)
	for _, want := range []string{`"level":"ERROR"`, `"where":"worker"`, `"panic":"runtime error: index out of range`, `"stack":"goroutine `, "crash_test.go"} {
		if !strings.Contains(log, want) {
			t.Errorf("daemon.log lacks %s:\n%s", want, log)
		}
	}
	if !strings.Contains(out, "panic: runtime error: index out of range") {
		t.Errorf("the process did not die of the panic:\n%s", out)
	}
}

func TestCaptureKeepsTheReportForTheNextDaemon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.crash")
	helper(t, "unguarded", "TEND_CRASH_FILE="+path)
	prev, err := Capture(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(prev, "panic: a library's goroutine broke") || !strings.Contains(prev, "goroutine ") {
		t.Errorf("the crash report is not kept: %q", prev)
	}
	if again, _ := Capture(path); again != "" {
		t.Errorf("the report is given twice: %q", again)
	}
}
