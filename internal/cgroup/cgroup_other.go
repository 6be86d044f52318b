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

// Limits are what the kernel would enforce on a run's tree.
type Limits struct {
	MemoryMax, MemoryHigh int64
	CPUQuota              float64
	CPUWeight, PidsMax    int
}

// Controllers are the controllers l needs.
func (l Limits) Controllers() []string { return nil }

// Enforcer applies limits; there is none here.
type Enforcer struct{}

// NewEnforcer finds nothing to enforce limits with.
func NewEnforcer(*Root, string) *Enforcer { return &Enforcer{} }

// Check fails for any limit.
func (e *Enforcer) Check(l Limits) error {
	if l != (Limits{}) {
		return errors.New("cannot enforce limits here: only Linux has cgroups")
	}
	return nil
}

// Close does nothing.
func (e *Enforcer) Close() {}

// Mechanism is empty.
func (e *Enforcer) Mechanism(Limits) string { return "" }

// Applied is a run's limits.
type Applied struct{ Join []string }

// Apply fails.
func (e *Enforcer) Apply(string, *Group, Limits) (*Applied, error) { return nil, errNone }

// OOMKills is 0.
func (a *Applied) OOMKills() int { return 0 }

// Use is nothing.
func (a *Applied) Use() (uint64, int) { return 0, 0 }

// Remove does nothing.
func (a *Applied) Remove() error { return nil }
