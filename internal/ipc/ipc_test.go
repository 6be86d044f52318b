package ipc

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		line, typ, text string
		ok              bool
	}{
		{`"ready"`, "ready", "", true},
		{`{"type":"ready"}`, "ready", "", true},
		{`{"type":"status","text":"warming up"}`, "status", "warming up", true},
		{`{"hello":1}`, "message", "", true},
		{`[1,2]`, "message", "", true},
		{`42`, "message", "", true},
		{`"hi"`, "message", "", true},
		{`{"cmd":"NODE_HANDLE","type":"x"}`, "", "", false},
		{"  ", "", "", false},
	} {
		m, ok, err := Decode([]byte(c.line))
		if err != nil || ok != c.ok || m.Type != c.typ || m.Text != c.text {
			t.Errorf("Decode(%s) = %+v, %v, %v; want type %q text %q ok %v", c.line, m, ok, err, c.typ, c.text, c.ok)
		}
	}
	if _, _, err := Decode([]byte("{nope")); err == nil {
		t.Error("Decode of bad JSON gave no error")
	}
}

// child reads and writes the child's end as an app would.
func child(t *testing.T, f *os.File) (*bufio.Reader, func(string)) {
	t.Cleanup(func() { f.Close() })
	return bufio.NewReader(f), func(s string) {
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadAndSend(t *testing.T) {
	for _, node := range []bool{false, true} {
		c, cf, err := Pair(node)
		if err != nil {
			t.Fatal(err)
		}
		r, write := child(t, cf)
		got := make(chan Message, 10)
		bad := make(chan error, 10)
		done := make(chan struct{})
		go func() { c.Read(func(m Message) { got <- m }, func(err error) { bad <- err }, nil); close(done) }()

		// A value split across writes, bad JSON, and one over the limit.
		write(`{"type":"sta`)
		write(`tus","text":"up"}` + "\n" + "not json\n")
		write(strings.Repeat("x", MaxMessage+10) + "\n" + `"ready"` + "\n")
		if m := <-got; m.Type != "status" || m.Text != "up" {
			t.Errorf("first message %+v", m)
		}
		if err := <-bad; err == nil || !strings.Contains(err.Error(), "not JSON") {
			t.Errorf("bad line: %v", err)
		}
		if err := <-bad; !errors.Is(err, ErrTooLong) {
			t.Errorf("long line: %v", err)
		}
		if m := <-got; m.Type != "ready" {
			t.Errorf("after the long line: %+v", m)
		}

		if err := c.Send(json.RawMessage("{\n \"n\": 1}")); err != nil {
			t.Fatal(err)
		}
		c.Shutdown()
		line1, _ := r.ReadString('\n')
		line2, _ := r.ReadString('\n')
		want1, want2 := `{"type":"message","data":{"n":1}}`, `{"type":"shutdown"}`
		if node {
			want1, want2 = `{"n":1}`, `"shutdown"`
		}
		if line1 != want1+"\n" || line2 != want2+"\n" {
			t.Errorf("node=%v: child read %q %q; want %q %q", node, line1, line2, want1, want2)
		}
		if err := c.Send(json.RawMessage("{bad")); err == nil {
			t.Error("Send of bad JSON gave no error")
		}
		cf.Close() // the child ends: Read returns
		<-done
		c.Close()
	}
}

// A child that never reads gets an error after a bounded wait, and the
// daemon holds nothing for it.
func TestSendToChildThatNeverReads(t *testing.T) {
	c, cf, err := Pair(false)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	defer c.Close()
	msg := json.RawMessage(`"` + strings.Repeat("y", 64<<10) + `"`)
	start := time.Now()
	for i := 0; ; i++ {
		err := c.Send(msg)
		if err != nil {
			if !strings.Contains(err.Error(), "has not read") {
				t.Fatalf("send %d: %v", i, err)
			}
			break
		}
		if i > 1000 {
			t.Fatal("1000 sends of 64 KiB to a child that never reads all succeeded")
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the failing send took %s", d)
	}
	if err := c.Send(json.RawMessage(`1`)); err == nil {
		t.Error("a send after a cut-short one succeeded")
	}
}

// A pool's answers read the same by the fast path and the general one.
func TestDecodeTaskAnswers(t *testing.T) {
	for _, c := range []struct{ line, typ, id, data, text string }{
		{`{"type":"result","id":"a-1","data":{"n":30,"fib":832040}}`, "result", `"a-1"`, `{"n":30,"fib":832040}`, ""},
		{`{"type":"result","id":"a-2","data":"}"}`, "result", `"a-2"`, `"}"`, ""},
		{`{"type":"result","id":"a-3","data":1,"extra":2}`, "result", `"a-3"`, `1`, ""},
		{`{"type": "result", "id": "a-4", "data": [1, 2]}`, "result", `"a-4"`, `[1, 2]`, ""},
		{`{"data":5,"id":"a-5","type":"result"}`, "result", `"a-5"`, `5`, ""},
		{`{"type":"error","id":"a-6","message":"want n"}`, "error", `"a-6"`, ``, "want n"},
	} {
		m, ok, err := Decode([]byte(c.line))
		if err != nil || !ok || m.Type != c.typ || string(m.ID) != c.id || string(m.Data) != c.data || m.Text != c.text || string(m.Raw) != c.line {
			t.Errorf("Decode(%s) = %+v, %v, %v", c.line, m, ok, err)
		}
	}
}
