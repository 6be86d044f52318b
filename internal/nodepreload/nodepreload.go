// Package nodepreload ships the Node preload that serves an unmodified
// app's listen(port) from the socket tend passed (DESIGN §6).
package nodepreload

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

//go:embed preload.cjs
var source []byte

// Write puts the preload in dir (once per content) and returns its path.
func Write(dir string) (string, error) {
	path := filepath.Join(dir, "tend-preload.cjs")
	if b, err := os.ReadFile(path); err == nil && string(b) == string(source) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("node preload: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, source, 0o644); err != nil {
		return "", fmt.Errorf("node preload: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("node preload: %w", err)
	}
	return path, nil
}

// Options returns NODE_OPTIONS with the preload required, keeping what
// the app set.
func Options(existing, path string) string {
	req := `--require "` + strings.ReplaceAll(path, `"`, `\"`) + `"`
	if existing == "" {
		return req
	}
	return existing + " " + req
}
