// Package spec defines the App type that every other part of tend speaks:
// what to run and how to keep it running. It holds the closed enums
// (restart policy), the duration type accepted in config files, defaults
// and validation. It has no behaviour beyond that and imports nothing of
// tend's.
//
// Validation reports every problem at once (errors.Join), so a user fixes a
// file in one pass.
package spec
