// webopen keeps tend's web dashboard open in headless chromium, logged
// in and with an app selected (its charts, logs and events following),
// for bench/monit.sh to measure what an open page costs the daemon.
//
//	webopen -url http://127.0.0.1:9616 -token TOKEN -secs 30
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	url := flag.String("url", "", "the listener, http://HOST:PORT")
	token := flag.String("token", "", "the token tend serve printed")
	secs := flag.Int("secs", 30, "how long to keep the page open")
	flag.Parse()
	if err := run(*url, *token, time.Duration(*secs)*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "webopen:", err)
		os.Exit(1)
	}
}

func run(url, token string, d time.Duration) error {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("no chromium (apt-get install -y chromium): %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/login"), chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Submit(chromedp.ID("token")), chromedp.WaitVisible(chromedp.CSS("#apps tbody tr")),
		chromedp.Click(chromedp.CSS("#apps tbody tr")), chromedp.WaitVisible(chromedp.ID("detail"))); err != nil {
		return err
	}
	fmt.Println("open")
	time.Sleep(d)
	return nil
}
