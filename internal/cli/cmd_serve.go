package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/apitype"
)

func newServeCmd() *cobra.Command {
	var (
		metrics, web string
		off          bool
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "serve [--metrics ADDR | --web ADDR | --off]",
		Short: "Open the daemon's TCP listener: Prometheus (/metrics), the web dashboard (/) and the API; or close it",
		Long: `serve tells the daemon to listen on ADDR for Prometheus' /metrics, the web
dashboard at / and the API, prints the URLs and the token, and returns.
One listener serves all three: --metrics and --web name its address
(127.0.0.1:9615 by default). It is off until asked for, and the choice is
stored: a restarted daemon opens it again; --off closes it.

On a loopback address /metrics needs no token. The API needs
"Authorization: Bearer TOKEN" (the token is in TEND_HOME/token, mode
0600), or a dashboard login; it serves the read routes and start, stop,
restart and reload, never the owner's (delete, apply, secrets: the local
socket only). The dashboard logs in with the token (an HttpOnly,
SameSite=Strict cookie); each change it asks for carries a CSRF token
and must come from the listener's own Origin. A Host header that is not
the listener's own is refused. Without flags, serve says what is served.`,
		Example: "  tend serve --web 127.0.0.1:9616       # then open http://127.0.0.1:9616/ and log in with the token\n  tend serve --metrics 127.0.0.1:9615\n  curl http://127.0.0.1:9615/metrics\n  tend serve --off",
		Args:    exactArgs(0, "no arguments: tend serve --metrics 127.0.0.1:9615"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if off && (cmd.Flags().Changed("metrics") || cmd.Flags().Changed("web")) {
				return usagef("--off closes the listener; --metrics and --web open it: give one")
			}
			if cmd.Flags().Changed("metrics") && cmd.Flags().Changed("web") && metrics != web {
				return usagef("--metrics %s and --web %s: one listener serves both; give one address", metrics, web)
			}
			if cmd.Flags().Changed("web") {
				metrics = web
			}
			c, err := connect()
			if err != nil {
				return err
			}
			var out apitype.Serving
			switch {
			case off:
				out, err = c.Serve("")
			case cmd.Flags().Changed("metrics") || cmd.Flags().Changed("web"):
				out, err = c.Serve(metrics)
			default:
				out, err = c.Serving()
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(out)
			}
			if out.Address == "" {
				fmt.Fprintln(Stdout, "not serving: tend serve --metrics 127.0.0.1:9615 opens the listener")
				return nil
			}
			fmt.Fprintf(Stdout, "serving on %s (stored: a restarted daemon opens it again; tend serve --off closes it)\n", out.Address)
			if out.Loopback {
				fmt.Fprintf(Stdout, "metrics  %s  (no token needed on loopback)\n", out.Metrics)
			} else {
				fmt.Fprintf(Stdout, "metrics  %s  (with the token)\n", out.Metrics)
			}
			fmt.Fprintf(Stdout, "web      %s  (log in with the token)\n", out.Web)
			fmt.Fprintf(Stdout, "api      %s  (read, start, stop, restart, reload; with the token)\n", out.API)
			fmt.Fprintf(Stdout, "token    %s  (in %s)\n", out.Token, out.TokenFile)
			fmt.Fprintf(Stdout, "  curl -H 'Authorization: Bearer %s' %s\n", out.Token, out.API)
			return nil
		},
	}
	cmd.Flags().StringVar(&metrics, "metrics", "127.0.0.1:9615", "the address to listen on")
	cmd.Flags().StringVar(&web, "web", "127.0.0.1:9615", "the address to listen on (the same listener as --metrics)")
	cmd.Flags().BoolVar(&off, "off", false, "close the listener")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
