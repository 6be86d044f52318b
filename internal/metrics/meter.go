package metrics

import "sync"

// Meter measures the members of one tree again and again (the sampler,
// each second), keeping what it reads each time open between readings.
// It is safe for concurrent use: the sampler measures, the run's end
// closes.
type Meter struct {
	mu      sync.Mutex
	members map[int]*member
	closed  bool
}

// Measure reads each of pids now and sums what it finds; zombies and
// pids that are gone count for nothing. Members not in pids any more are
// forgotten.
func (m *Meter) Measure(pids []int) Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	var u Usage
	if m.closed {
		return u
	}
	if m.members == nil {
		m.members = make(map[int]*member, len(pids))
	}
	for _, mem := range m.members {
		mem.seen = false
	}
	for _, pid := range pids {
		mem := m.members[pid]
		if mem == nil {
			if mem = openMember(pid); mem == nil {
				continue
			}
			m.members[pid] = mem
		}
		mem.seen = true
		if !mem.read(pid, &u) {
			// Gone, or its pid handed to a new member: open it anew.
			mem.close()
			if mem = openMember(pid); mem == nil || !mem.read(pid, &u) {
				delete(m.members, pid)
				continue
			}
			mem.seen = true
			m.members[pid] = mem
		}
	}
	for pid, mem := range m.members {
		if !mem.seen {
			mem.close()
			delete(m.members, pid)
		}
	}
	return u
}

// Close lets go of what the Meter keeps open; Measure then reads nothing.
func (m *Meter) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mem := range m.members {
		mem.close()
	}
	m.members, m.closed = nil, true
}
