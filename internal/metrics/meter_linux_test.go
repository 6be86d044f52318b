package metrics

import "testing"

// TestReadNice: a negative nice, and the other fields of a real stat,
// come through the one parser show and the sampler share.
func TestReadNice(t *testing.T) {
	st, err := parseProcStat([]byte("4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 11 5 20 -5 2 0 123456 1000 25 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st.state != 'S' || st.ppid != 1 || st.utime != 7 || st.stime != 3 || st.cutime != 11 || st.cstime != 5 || st.nice != -5 || st.threads != 2 || st.start != 123456 || st.rssPages != 25 {
		t.Errorf("parsed %+v", st)
	}
}
