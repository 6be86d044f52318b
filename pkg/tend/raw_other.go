//go:build !linux

package tend

import "io"

// Elsewhere the channel is read and written through os.

func reader() io.Reader { return ch.f }

func writeAll(p []byte) error {
	_, err := ch.f.Write(p)
	return err
}
