package testutil

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/tend-pm/tend/pkg/tend"
)

// poolWorker is a task pool's worker over pkg/tend's ServeTasks. A task
// says what to do: {"echo": X} answers X; {"pid": true} its pid;
// {"sleep_ms": N} answers after N ms, or, with "stuck", ignores its
// context; {"kill": true} SIGKILLs the worker mid-task; {"fail": "why"}
// answers an error. With a PIDFILE argument, it writes its pid there.
func poolWorker(args []string) {
	if len(args) > 0 && args[0] != "" {
		f, _ := os.OpenFile(args[0], os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
		f.Close()
	}
	err := tend.ServeTasks(func(ctx context.Context, data json.RawMessage) (any, error) {
		var in struct {
			Echo    json.RawMessage `json:"echo"`
			Pid     bool            `json:"pid"`
			SleepMS int             `json:"sleep_ms"`
			Stuck   bool            `json:"stuck"`
			Kill    bool            `json:"kill"`
			Fail    string          `json:"fail"`
		}
		if err := json.Unmarshal(data, &in); err != nil {
			return nil, err
		}
		switch {
		case in.Kill:
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case in.Fail != "":
			return nil, errors.New(in.Fail)
		case in.SleepMS > 0:
			t := time.NewTimer(time.Duration(in.SleepMS) * time.Millisecond)
			if in.Stuck {
				<-t.C
				return os.Getpid(), nil
			}
			select {
			case <-t.C:
				return os.Getpid(), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		case in.Pid:
			return os.Getpid(), nil
		}
		return in.Echo, nil
	})
	if err != nil {
		os.Exit(3)
	}
}
