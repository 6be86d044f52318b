// Package cgroup gives each instance a cgroup v2 of its own, so that no
// process it starts can leave it: not a double fork, not setsid, not a
// parent that exits at once. A child enters its cgroup before exec
// (clone3 with CLONE_INTO_CGROUP, Go's SysProcAttr.UseCgroupFD), is
// stopped through it (cgroup.kill), and is gone when cgroup.events says
// "populated 0". The members are read from cgroup.procs, exact at every
// moment, where a walk of /proc sees only what it sampled.
//
// It needs a writable cgroup v2 hierarchy and no controllers: hybrid
// hosts (cgroup v1 controllers, and the v2 hierarchy mounted as
// "unified" beside them) have one, as do pure v2 hosts. Where none can be
// written (macOS, an unprivileged container), Open says why and tend
// falls back to process groups and /proc; it never fails a start.
//
// The package knows files, not apps: the supervisor names the groups.
package cgroup
