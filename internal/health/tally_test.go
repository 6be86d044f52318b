package health

import (
	"testing"
	"time"
)

// TestRecord plays sequences of results and checks each step's change and
// the verdict at the end.
func TestRecord(t *testing.T) {
	const s = time.Second
	th := Thresholds{FailureThreshold: 3, SuccessThreshold: 1}
	tests := []struct {
		name    string
		th      Thresholds
		results string          // o: pass, x: fail
		uptimes []time.Duration // per result; nil: all after any start period
		changes string          // per result: . same, P passing, F failing
		passing bool
	}{
		{"first pass makes it passing", th, "o", nil, "P", true},
		{"three failures in a row fail it", th, "ooxxx", nil, "P...F", false},
		{"a pass between resets the count", th, "oxxoxx", nil, "P.....", true},
		{"failing is reported once", th, "xxxxx", nil, "..F..", false},
		{"a pass after failing recovers", th, "xxxo", nil, "..FP", true},
		{"success threshold 2", Thresholds{FailureThreshold: 1, SuccessThreshold: 2}, "oxoo", nil, ".F.P", true},
		{"zero thresholds count as 1", Thresholds{}, "xo", nil, "FP", true},
		{"failures in the start period do not count", Thresholds{FailureThreshold: 2, StartPeriod: 10 * s},
			"xxxxx", []time.Duration{1 * s, 5 * s, 9 * s, 10 * s, 11 * s}, "....F", false},
		{"a pass in the start period counts", Thresholds{FailureThreshold: 1, StartPeriod: 10 * s},
			"ox", []time.Duration{1 * s, 2 * s}, "P.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tally Tally
			got := make([]byte, len(tt.results))
			for i, r := range tt.results {
				up := time.Hour
				if tt.uptimes != nil {
					up = tt.uptimes[i]
				}
				var c Change
				tally, c = Record(tt.th, tally, r == 'o', up)
				got[i] = ".PF"[c]
			}
			if string(got) != tt.changes || tally.Passing != tt.passing {
				t.Errorf("%s: changes %s passing %v; want %s %v", tt.results, got, tally.Passing, tt.changes, tt.passing)
			}
		})
	}
}
