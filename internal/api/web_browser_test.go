package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tend-pm/tend/internal/pool"
	"github.com/tend-pm/tend/internal/spec"
	"github.com/tend-pm/tend/internal/testutil"
)

// TestDashboardInBrowser drives the web dashboard in Debian's chromium,
// headless: without a login the page sends to the login and the API
// answers 401; after it, every app is listed live, a click on restart
// changes the pid on the page, a log line written after the page loaded
// appears, and a page of another origin cannot restart anything through
// the session. With TEND_SCREENSHOTS=DIR it saves the list and an app's
// page there (docs/ holds them).
func TestDashboardInBrowser(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI installs chromium (.ci/run); this test must not skip there")
		}
		t.Skip("no chromium here (apt-get install -y chromium)")
	}
	zero := spec.Duration(0)
	var apps []*spec.App
	for _, n := range []string{"web", "api", "worker"} {
		apps = append(apps, &spec.App{Name: n, Shell: true, MinUptime: &zero,
			Script: "i=0; while :; do i=$((i+1)); echo " + n + " line $i; sleep 0.3; done"})
	}
	apps = append(apps, &spec.App{Name: "fib", Script: "sh", Args: []string{"-c", shWorker}, Pool: &spec.Pool{}})
	sup, served := serveTCP(t, apps...)
	base := "http://" + served.Address

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, 90*time.Second)
	defer stop()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	poll := func(what, expr string) {
		t.Helper()
		do(what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(15*time.Second)))
	}
	pidOf := func(name string) int {
		a, err := sup.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		return a.Instances[0].Pid
	}

	// Without a login: the login page, and the API refuses.
	do("open without a login", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/v1/apps").then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasSuffix(loc, "/login") || status != 401 {
		t.Fatalf("without a login: at %s, /v1/apps answered %d (%v); want /login and 401", loc, status, err)
	}
	// A wrong token is refused with a word.
	do("log in with a wrong token", chromedp.SendKeys(chromedp.ID("token"), "not-the-token"), chromedp.Submit(chromedp.ID("token")))
	var msg string
	testutil.WaitFor(t, 10*time.Second, "the login's answer", func() bool {
		// The page navigates meanwhile: an error is a read too early.
		msg, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#error") || {}).textContent || ""`))
		return msg != ""
	})
	if !strings.Contains(msg, "not the token") {
		t.Fatalf("a wrong token: the page says %q", msg)
	}

	// Log in: every app, live.
	do("log in", chromedp.SendKeys(chromedp.ID("token"), served.Token), chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.CSS(`#apps tbody tr[data-id="worker:0"]`)))
	// Page load (the browser's navigation timing) and the first list,
	// for docs/benchmarks.md.
	load, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].loadEventEnd`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page load %.1f ms (navigation start to the load event)", load)
	list := text("#apps tbody")
	for _, id := range []string{"web:0", "api:0", "worker:0"} {
		if !strings.Contains(list, id) {
			t.Errorf("the list lacks %s: %q", id, list)
		}
	}
	shoot(t, ctx, "dashboard-list.png")

	// An app's page: its logs follow, a line written after it opened shows.
	do("open web:0", chromedp.Click(chromedp.CSS(`#apps tbody tr[data-id="web:0"]`)), chromedp.WaitVisible(chromedp.ID("detail")))
	poll("the first log lines", `document.querySelector("#logs").textContent.includes("web line")`)
	last := lastLine(text("#logs"))
	poll("a new log line", fmt.Sprintf(`!document.querySelector("#logs").textContent.trim().endsWith(%q)`, last))

	// Restart from the page: the pid changes, on the page too.
	before := pidOf("web")
	do("click restart", chromedp.Click(chromedp.CSS(`button[data-action="restart"]`)))
	testutil.WaitFor(t, 10*time.Second, "web restarted", func() bool { p := pidOf("web"); return p != 0 && p != before })
	after := strconv.Itoa(pidOf("web"))
	poll("the new pid on the page", fmt.Sprintf(`document.querySelector('#apps tbody tr[data-id="web:0"] td:nth-child(3)').textContent === %q`, after))
	poll("the charts", `document.querySelectorAll("#chart-cpu polyline, #chart-mem polyline").length === 2`)
	shoot(t, ctx, "dashboard-app.png")

	// A live update: a crash of worker shows on the page (its new pid)
	// without a reload.
	wpid := pidOf("worker")
	if err := syscall.Kill(wpid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	poll("worker's crash on the page", fmt.Sprintf(`(() => { const c = document.querySelector('#apps tbody tr[data-id="worker:0"] td:nth-child(3)'); return c && c.textContent !== %q && c.textContent !== "-"; })()`, strconv.Itoa(wpid)))
	t.Logf("a crash on the page %.1f ms after the kill", float64(time.Since(killed).Microseconds())/1000)

	// A pool's queue and counts on its app's page, and in the summary.
	for range 3 {
		k, err := sup.SubmitTask("fib", json.RawMessage(`{"n":1}`), pool.SubmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		<-k.Done()
	}
	do("open fib:0", chromedp.Click(chromedp.CSS(`#apps tbody tr[data-id="fib:0"]`)))
	poll("the pool's counts", `((document.querySelector('#facts [data-fact="tasks"]') || {}).textContent || "").startsWith("3 done, 0 failed")`)
	poll("the pool's queue", `((document.querySelector('#facts [data-fact="task queue"]') || {}).textContent || "").startsWith("0 queued (of 10000), 0 in flight on 1 workers")`)
	poll("the summary", `document.querySelector("#summary").textContent.includes("0 tasks queued or running in 1 pools")`)

	// A page of another origin (another port of this host: the same site,
	// so the browser sends the cookie) posts a restart: refused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><p>sent</p><script>fetch(%q, {method: "POST", mode: "no-cors", credentials: "include", body: "{}"}).finally(() => document.title = "sent")</script>`,
			base+"/v1/apps/api/restart")
	}))
	defer evil.Close()
	apiBefore := pidOf("api")
	do("a foreign page", chromedp.Navigate(evil.URL), chromedp.Poll[chromedp.Void](`document.title === "sent"`))
	time.Sleep(500 * time.Millisecond) // a restart, had it been taken, starts at once
	if p := pidOf("api"); p != apiBefore {
		t.Fatalf("a page of another origin restarted api (pid %d → %d)", apiBefore, p)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// shoot saves a screenshot of the page in $TEND_SCREENSHOTS, when set.
func shoot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("TEND_SCREENSHOTS")
	if dir == "" {
		return
	}
	time.Sleep(5 * time.Second)                                 // some seconds of history in the charts
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG (below it, JPEG)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
