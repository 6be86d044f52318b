package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// starter is the file `tend ecosystem init` writes: it starts as is, and
// its comments show the keys people reach for first.
const starter = `# tend ecosystem file: start it with  tend start ecosystem.yaml
# Every key: https://github.com/tend-pm/tend/blob/main/docs/configuration.md
apps:
  - name: hello
    # A shell command line; use script: + args: to run a program by argv.
    cmd: "while true; do echo hello from $TEND_APP:$TEND_INSTANCE; sleep 5; done"
    # script: server.js          # .js runs with node, .py with python3
    # args: ["--port", "3000"]
    # cwd: .                     # relative to this file
    # instances: 1               # or max: one per CPU
    env:
      GREETING: hello
    # env_production:            # tend start ecosystem.yaml --env production
    #   GREETING: bonjour
    # env_file: [.env]           # read at every start, Node's dotenv rules
    # required_env: [DATABASE_URL]
    # secret_env: [DATABASE_URL] # masked in show, ls and saved files
    # autorestart: always        # always, on-failure or never
    # min_uptime: 1s             # shorter runs back off: 100ms doubling to 30s
    # max_restarts: 0            # 0: never give up; else errored after N in restart_window
    # restart_window: 60s
    # kill_timeout: 10s          # after stop_signal, then SIGKILL of the whole tree
    # stop_signal: SIGTERM
`

func newEcosystemCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ecosystem",
		Short: "Work with ecosystem files",
	}
	var force bool
	initCmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starter ecosystem file (default ecosystem.yaml) that starts as is",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "ecosystem.yaml"
			if len(args) == 1 {
				path = args[0]
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flags, 0o644)
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists; keep it, or overwrite it with --force", path)
			}
			if err != nil {
				return err
			}
			if _, err := f.WriteString(starter); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(Stdout, "wrote %s; start it with: tend start %s\n", path, path)
			return nil
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	cmd.AddCommand(initCmd)
	return cmd
}
