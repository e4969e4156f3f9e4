package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// pollInterval is how often waitHTTP asks a health endpoint. Polling is the
// only way to learn that a server has started listening.
const pollInterval = 100 * time.Millisecond

// untilExit returns a context that is cancelled, with the process's
// ComponentError as its cause, as soon as any of procs exits.
func untilExit(ctx context.Context, procs ...*process) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	for _, p := range procs {
		if p == nil {
			continue
		}
		go func() {
			select {
			case <-p.done:
				cancel(p.exitError("exited"))
			case <-ctx.Done():
			}
		}()
	}
	return ctx, func() { cancel(nil) }
}

// waitErr turns a wait's error into the message a reader needs: the
// component's death if one died, else what was awaited, for how long, and
// the last state seen.
func waitErr(ctx context.Context, what string, timeout time.Duration, last string, err error) error {
	var ce *ComponentError
	if cause := context.Cause(ctx); errors.As(cause, &ce) {
		return fmt.Errorf("wait for %s: %w", what, cause)
	}
	if last != "" {
		return fmt.Errorf("waited %s for %s; last seen: %s: %w", timeout, what, last, err)
	}
	return fmt.Errorf("waited %s for %s: %w", timeout, what, err)
}

// waitHTTP polls url until it answers 200 with a body containing want.
func waitHTTP(ctx context.Context, client *http.Client, url, want, what string, timeout time.Duration, procs ...*process) error {
	ctx, cancel := untilExit(ctx, procs...)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	defer cancelT()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	last := ""
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), want) {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		} else if ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return waitErr(ctx, what, timeout, last, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitObject watches lw (a list/watch narrowed to one object) until cond
// says done. cond also describes the object's state for the error message.
func waitObject(ctx context.Context, what string, timeout time.Duration, lw cache.ListerWatcher, objType runtime.Object,
	cond func(runtime.Object) (done bool, state string), procs ...*process,
) error {
	ctx, cancel := untilExit(ctx, procs...)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	defer cancelT()
	last := "not found"
	_, err := watchtools.UntilWithSync(ctx, lw, objType, nil, func(ev watch.Event) (bool, error) {
		if ev.Type == watch.Deleted {
			last = "deleted"
			return false, nil
		}
		done, state := cond(ev.Object)
		last = state
		return done, nil
	})
	if err != nil {
		return waitErr(ctx, what, timeout, last, err)
	}
	return nil
}
