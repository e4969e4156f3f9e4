package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scripted is a Sampler that does what its fields say.
type scripted struct {
	name     string
	startErr error         // returned before sampling
	never    bool          // never calls started
	stuck    chan struct{} // when set, Run ignores ctx until it is closed
	ran      chan struct{} // closed when Run returns
}

func (s *scripted) Name() string { return s.name }

func (s *scripted) Run(ctx context.Context, rec *Recorder, started func()) error {
	defer close(s.ran)
	if s.startErr != nil {
		return s.startErr
	}
	if !s.never {
		started()
	}
	from := time.Now()
	if s.stuck != nil {
		<-s.stuck
		return nil
	}
	<-ctx.Done()
	rec.Record(Interval{From: from, To: rec.StopTime(), Level: Info, Source: "test", Locator: s.name})
	return nil
}

func newScripted(name string, f func(*scripted)) *scripted {
	s := &scripted{name: name, ran: make(chan struct{})}
	if f != nil {
		f(s)
	}
	return s
}

func TestMonitorStartFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bad  *scripted
		want string
	}{
		{"fails to start", newScripted("bad", func(s *scripted) { s.startErr = errors.New("no watch") }), "start monitor: bad: no watch"},
		{"never samples", newScripted("slow", func(s *scripted) { s.never = true }), "start monitor: waiting for slow to sample: not sampling within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			good := newScripted("good", nil)
			m := New(Options{StartTimeout: 200 * time.Millisecond}, good, tt.bad)
			err := m.Start(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start() error = %v, want one containing %q", err, tt.want)
			}
			select {
			case <-good.ran:
			case <-time.After(5 * time.Second):
				t.Fatal("the good sampler still runs after Start failed")
			}
		})
	}
}

func TestMonitorStop(t *testing.T) {
	t.Parallel()
	stuck := newScripted("stuck", func(s *scripted) { s.stuck = make(chan struct{}) })
	defer close(stuck.stuck)
	a, b := newScripted("a", nil), newScripted("b", nil)
	m := New(Options{StopTimeout: 200 * time.Millisecond}, a, stuck, b)
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	intervals, err := m.Stop()
	if err == nil || !strings.Contains(err.Error(), "monitor: stuck did not stop within 200ms") {
		t.Errorf("Stop() error = %v, want the stuck sampler named", err)
	}
	if len(intervals) != 2 || !intervals[0].To.Equal(intervals[1].To) {
		t.Fatalf("Stop() intervals = %v, want a's and b's, ending at one instant", intervals)
	}
	again, err2 := m.Stop()
	if diff := cmp.Diff(intervals, again); diff != "" || err2 != err {
		t.Errorf("second Stop() differs (-first +second):\n%s\nerror %v, then %v", diff, err, err2)
	}
	if err := m.Start(t.Context()); err == nil {
		t.Error("Start() after Stop succeeded")
	}
}
