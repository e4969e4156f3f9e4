package promote

import (
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/history"
)

func TestComputeFigures(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	at := func(daysAgo int, min int) time.Time {
		return now.Add(-time.Duration(daysAgo)*24*time.Hour + time.Duration(min)*time.Minute)
	}
	revs := []history.Revision{
		{Number: 1, State: history.Good, Started: at(40, 0), Switched: at(40, 1), Finished: at(40, 31)}, // too old
		{Number: 2, State: history.Good, Started: at(20, 0), Switched: at(20, 2), Finished: at(20, 32)},
		{Number: 3, State: history.RolledBack, Started: at(10, 0), Switched: at(10, 4), Finished: at(10, 10)},
		{Number: 4, State: history.Good, Started: at(5, 0), Switched: at(5, 1), Finished: at(5, 31)},
		{Number: 5, State: history.Failed, Started: at(2, 0)},
		{Number: 6, State: history.Live, Started: at(0, -5), Switched: at(0, -3)},
	}
	f := ComputeFigures(revs, now)
	if f.Promotions != 5 || f.Finished != 4 || f.Good != 2 || f.RolledBack != 1 {
		t.Errorf("counts %+v", f)
	}
	if f.SuccessRate() != 0.5 || f.ToLive != 2*time.Minute || f.ToGood != 32*time.Minute || f.Recover != 6*time.Minute {
		t.Errorf("figures %+v, rate %v", f, f.SuccessRate())
	}
	want := "Last 30 days: 5 promotion(s), 50.0% success (2 of 4 finished reached good); median start → live 2m0s, start → good 32m0s; 1 rollback(s), mean time to recover (bad switch → traffic restored) 6m0s."
	if got := f.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	if got := ComputeFigures(nil, now).String(); got != "No promotions since 2026-11-02." {
		t.Errorf("empty: %s", got)
	}
}
