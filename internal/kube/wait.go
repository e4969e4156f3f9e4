package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/cli-utils/pkg/kstatus/polling/event"
	"sigs.k8s.io/cli-utils/pkg/kstatus/watcher"
	"sigs.k8s.io/cli-utils/pkg/object"
)

// WaitOptions configures Wait; the zero value is the default.
type WaitOptions struct {
	// Timeout bounds the wait; five minutes when zero.
	Timeout time.Duration
	// Progress receives progress lines: what became ready, and what is
	// still not ready and why, whenever that changes. Nil discards them.
	Progress func(line string)
	// ProgressEvery is how often the lines of what is still not ready are
	// repeated when nothing changes; 15 seconds when zero.
	ProgressEvery time.Duration
}

// ObjectStatus is the readiness of one object when a wait ended.
type ObjectStatus struct {
	ID ID
	// Status is kstatus's: Current, InProgress, Failed, Terminating,
	// NotFound or Unknown.
	Status string
	// Line says what the object's state is and why, as progress lines do.
	Line string
}

// WaitError is a wait that ended with objects not ready: some failed (a
// Deployment past its progress deadline), the deadline passed, or the
// watch stopped.
type WaitError struct {
	// Timeout is the deadline the wait had.
	Timeout time.Duration
	// Failed are the objects whose status is Failed; the wait stops at the
	// first one.
	Failed []ObjectStatus
	// NotReady are the objects not ready when the wait ended (Failed ones
	// included).
	NotReady []ObjectStatus
	// Err is why the wait ended, when not a failure: the context's error on
	// timeout, or the watch's error.
	Err error
}

func (e *WaitError) Error() string {
	lines := func(ss []ObjectStatus) string {
		parts := make([]string, len(ss))
		for i, s := range ss {
			parts[i] = s.Line
		}
		return strings.Join(parts, "; ")
	}
	switch {
	case len(e.Failed) > 0:
		return lines(e.Failed)
	case errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("not ready after %s: %s", e.Timeout, lines(e.NotReady))
	default:
		return fmt.Sprintf("%v; not ready: %s", e.Err, lines(e.NotReady))
	}
}

func (e *WaitError) Unwrap() error { return e.Err }

// ReadyIDs returns the IDs of the objects that were applied, to wait for.
func ReadyIDs(applied []Applied) []ID {
	var ids []ID
	for _, a := range applied {
		if a.Outcome != Failed {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// Wait waits until every object of ids is ready (kstatus Current),
// watching them with kstatus's watcher rather than polling; pods of
// workloads that are not ready yet are watched too, to say why. It returns
// a *WaitError, at once when an object fails (a Deployment whose
// Progressing condition says ProgressDeadlineExceeded), or when the
// deadline passes, naming every object not ready and its last status. The
// watches list again and resume after a connection is lost, so an API
// server restart only delays the wait.
func (c *Client) Wait(ctx context.Context, ids []ID, opts WaitOptions) error {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.ProgressEvery == 0 {
		opts.ProgressEvery = 15 * time.Second
	}
	if opts.Progress == nil {
		opts.Progress = func(string) {}
	}
	if len(ids) == 0 {
		return nil
	}
	w := newWaiter(c, ids)
	opts.Progress(fmt.Sprintf("waiting up to %s for %d objects to be ready", opts.Timeout, len(ids)))
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	podsChanged, stopPods := w.watchPods(ctx)
	defer stopPods()

	sw := watcher.NewDefaultStatusWatcher(c.Dynamic, c.Mapper)
	sw.StatusReader = computeReader{mapper: c.Mapper}
	set := make(object.ObjMetadataSet, len(ids))
	for i, id := range ids {
		set[i] = object.ObjMetadata{GroupKind: id.GroupKind(), Namespace: id.Namespace, Name: id.Name}
	}
	events := sw.Watch(ctx, set, watcher.Options{})
	defer func() {
		// The watcher's goroutines send until the channel closes.
		cancel()
		for range events {
		}
	}()

	tick := time.NewTicker(opts.ProgressEvery)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				err := ctx.Err()
				if err == nil {
					err = errors.New("the status watch stopped")
				}
				return w.fail(opts.Timeout, err)
			}
			switch ev.Type {
			case event.ErrorEvent:
				return w.fail(opts.Timeout, fmt.Errorf("status watch: %w", ev.Error))
			case event.ResourceUpdateEvent:
				w.update(ev.Resource)
			}
		case <-podsChanged:
		case <-tick.C:
			w.heartbeat(opts.Progress, time.Since(start), opts.Timeout)
			continue
		case <-ctx.Done():
			return w.fail(opts.Timeout, ctx.Err())
		}
		w.report(opts.Progress)
		if failed := w.failed(); len(failed) > 0 {
			return &WaitError{Timeout: opts.Timeout, Failed: failed, NotReady: w.notReady()}
		}
		if w.allReady() {
			opts.Progress(fmt.Sprintf("all %d objects ready after %s", len(ids), time.Since(start).Round(100*time.Millisecond)))
			return nil
		}
	}
}
