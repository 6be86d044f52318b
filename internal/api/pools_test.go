package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/tend-pm/tend/internal/apitype"
)

// The stream's own encoder writes what encoding/json would: the same
// value when read back, for plain and awkward fields alike, and after
// the lines already in the buffer (the stream appends a batch's answers
// to one buffer) it leaves those as they were.
func TestAppendTaskReadsBackAsJSON(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 4, 5, 123456789, time.UTC)
	for _, want := range []apitype.Task{
		{ID: "mx5-1", Pool: "p", Status: "done", Worker: "p:1", Queued: at, Started: at, Ended: at.Add(time.Millisecond),
			Duration: 0.001, Attempts: 1, Result: json.RawMessage(`{"n": 1, "s":"é"}`), Line: 7},
		{ID: "mx5-2", Pool: "p", Status: "failed", Queued: at, Attempts: 2, Error: "worker p:0 exited (signal KILL) \"quoted\" <b>\n", Line: 1},
		{Pool: "p", Status: "failed", Error: "refused: queue full"},
	} {
		var got apitype.Task
		before := []byte(`{"id":"mx5-0","status":"done"}` + "\n")
		b := appendTask(bytes.Clone(before), want)
		if !bytes.HasPrefix(b, before) {
			t.Fatalf("the line before was changed:\n%s", b)
		}
		b = b[len(before):]
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		std, _ := json.Marshal(want)
		var ref apitype.Task
		json.Unmarshal(std, &ref)
		got.Result, ref.Result = compact(got.Result), compact(ref.Result) // as written, or compacted: the same value
		if !reflect.DeepEqual(got, ref) {
			t.Errorf("appendTask:\n%s\nencoding/json:\n%s", b, std)
		}
	}
}

func compact(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	var b bytes.Buffer
	json.Compact(&b, r)
	return b.Bytes()
}
