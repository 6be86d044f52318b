//go:build !linux

package cgroup

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// Root is the directory under which the groups of one daemon live.
type Root struct{ Dir string }

// Group is one cgroup.
type Group struct{ Path string }

var errNone = errors.New("no cgroups on this system")

// Open fails: only Linux has cgroups.
func Open(string) (*Root, error) { return nil, errNone }

// Leftovers is never reached.
func (r *Root) Leftovers() (int, error) { return 0, errNone }

// New is never reached.
func (r *Root) New(string) (*Group, error) { return nil, errNone }

// Open is never reached.
func (g *Group) Open() (*os.File, error) { return nil, errNone }

// Procs is never reached.
func (g *Group) Procs() ([]int, error) { return nil, errNone }

// Populated is never reached.
func (g *Group) Populated() (bool, error) { return false, errNone }

// Signal is never reached.
func (g *Group) Signal(syscall.Signal) (int, error) { return 0, errNone }

// Kill is never reached.
func (g *Group) Kill() error { return errNone }

// CPU is never reached.
func (g *Group) CPU() (time.Duration, time.Duration, error) { return 0, 0, errNone }

// Memory is never reached.
func (g *Group) Memory() (uint64, error) { return 0, errNone }

// Remove is never reached.
func (g *Group) Remove() error { return errNone }
