// Package webui holds the web dashboard's files, embedded in the binary:
// plain HTML, CSS and a little JavaScript, no build step. The daemon's
// API package serves them (internal/api/web.go) behind its login.
package webui

import "embed"

// Files are the dashboard's pages and static files.
//
//go:embed index.html login.html static
var Files embed.FS
