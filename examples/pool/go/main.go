// Command go is a task pool's worker in Go: pkg/tend's ServeTasks reads
// the tasks tend sends on the IPC channel and answers each with the
// function's result or error, the context cancelled at the task's
// timeout.
//
//	go build -o examples/pool/go/fib-go ./examples/pool/go
//	tend start examples/pool/go/pool.yaml
//	tend task fib-go '{"n":30}'
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"

	"github.com/tend-pm/tend/pkg/tend"
)

// fib is the lesson's CPU-heavy task; it gives up when ctx ends.
func fib(ctx context.Context, n int) (int, error) {
	if n < 2 {
		return n, nil
	}
	if n > 20 && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	a, err := fib(ctx, n-1)
	if err != nil {
		return 0, err
	}
	b, err := fib(ctx, n-2)
	return a + b, err
}

func main() {
	err := tend.ServeTasks(func(ctx context.Context, data json.RawMessage) (any, error) {
		var in struct {
			N    *int            `json:"n"`
			Echo json.RawMessage `json:"echo"`
		}
		if err := json.Unmarshal(data, &in); err != nil {
			return nil, err
		}
		if in.Echo != nil {
			return in.Echo, nil
		}
		if in.N == nil || *in.N < 0 || *in.N > 60 {
			return nil, errors.New(`want {"n": 0…60}`)
		}
		f, err := fib(ctx, *in.N)
		if err != nil {
			return nil, err
		}
		return map[string]int{"n": *in.N, "fib": f}, nil
	})
	if err != nil {
		log.Fatal(err)
	}
}
