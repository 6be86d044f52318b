package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tend-pm/tend/internal/config"
)

func newSaveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "save [FILE]",
		Short: "Write the live apps as an ecosystem YAML file (default TEND_HOME/dump.yaml)",
		Long: `Write the live apps as an ecosystem YAML file, which resurrect (or start)
reads back. The file is private (0600): it holds the apps' env values.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			apps, err := c.Specs(true)
			if err != nil {
				return err
			}
			if len(apps) == 0 {
				return fmt.Errorf("save: no apps to save")
			}
			path := filepath.Join(c.Home, "dump.yaml")
			if len(args) == 1 {
				path = args[0]
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				return err
			}
			// Secret values go to one private .env file per app, which the
			// saved file names as an env_file: never into the file itself.
			for name, text := range config.SplitSecrets(apps) {
				sp := strings.TrimSuffix(abs, filepath.Ext(abs)) + "." + name + ".secrets.env"
				if err := writeFileAtomic(sp, []byte(text), 0o600); err != nil {
					return fmt.Errorf("save: %w", err)
				}
				for _, a := range apps {
					if a.Name == name {
						a.EnvFile = append(a.EnvFile, sp)
					}
				}
				fmt.Fprintf(Stdout, "saved the secrets of %s to %s\n", name, sp)
			}
			b, err := config.Marshal(apps)
			if err != nil {
				return err
			}
			if err := writeFileAtomic(abs, b, 0o600); err != nil {
				return fmt.Errorf("save: %w", err)
			}
			fmt.Fprintf(Stdout, "saved %d apps to %s\n", len(apps), abs)
			return nil
		},
	}
}

func newResurrectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "resurrect [FILE]",
		Short: "Apply a saved ecosystem file (default TEND_HOME/dump.yaml): start its apps, replacing those of the same name",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			path := filepath.Join(c.Home, "dump.yaml")
			if len(args) == 1 {
				path = args[0]
			}
			apps, err := loadFile(path, config.Options{})
			if err != nil {
				return err
			}
			ins, err := c.Start(apps, true)
			if err != nil {
				return err
			}
			printTable(ins)
			return nil
		},
	}
}

// writeFileAtomic writes to a temporary file in the same directory, syncs
// it, renames it over path and syncs the directory, so a crash or a power
// cut leaves the old file or the new one, never an empty one.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	return writeAtomicWith(path, b, mode, (*os.File).Sync)
}

// writeAtomicWith is writeFileAtomic with the sync to call (tests watch it).
func writeAtomicWith(path string, b []byte, mode os.FileMode, sync func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tend-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = sync(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return sync(d) // the rename itself is on disk only once the directory is
}
