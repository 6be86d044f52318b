// Package api serves the daemon's HTTP/JSON API on the unix socket
// (DESIGN §12): one route table, handlers that return errors, one function
// that renders them, NDJSON for streams, and a peer-credential check on
// every connection. It holds no state of its own.
package api
