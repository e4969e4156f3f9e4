package promote

import (
	"fmt"
	"slices"
	"time"

	"github.com/shipgate/shipgate/internal/history"
)

// FiguresWindow is how far back the pipeline figures look.
const FiguresWindow = 30 * 24 * time.Hour

// Figures are the pipeline's numbers over the history: how many
// promotions, how many reached good, how fast, how many were rolled back
// and how fast production recovered.
type Figures struct {
	Since time.Time
	// Promotions started since Since; Finished of them ended (good,
	// failed or rolled back), Good of those passed their window.
	Promotions, Finished, Good, RolledBack int
	// ToLive is the median time from a promotion's start to its switch
	// (traffic on it); ToGood to the end of its watched window.
	ToLive, ToGood time.Duration
	// Recover is the mean time from a bad revision's switch to its
	// rollback recorded (traffic restored and verified).
	Recover time.Duration
}

// SuccessRate is Good over Finished, 0 to 1; -1 with nothing finished.
func (f Figures) SuccessRate() float64 {
	if f.Finished == 0 {
		return -1
	}
	return float64(f.Good) / float64(f.Finished)
}

// String says the figures in one line.
func (f Figures) String() string {
	if f.Promotions == 0 {
		return fmt.Sprintf("No promotions since %s.", f.Since.UTC().Format("2006-01-02"))
	}
	rate := "no finished promotion"
	if r := f.SuccessRate(); r >= 0 {
		rate = fmt.Sprintf("%.1f%% success (%d of %d finished reached good)", r*100, f.Good, f.Finished)
	}
	out := fmt.Sprintf("Last %d days: %d promotion(s), %s; median start → live %s, start → good %s; %d rollback(s)",
		int(FiguresWindow.Hours()/24), f.Promotions, rate, round(f.ToLive), round(f.ToGood), f.RolledBack)
	if f.RolledBack > 0 {
		out += fmt.Sprintf(", mean time to recover (bad switch → traffic restored) %s", round(f.Recover))
	}
	return out + "."
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// ComputeFigures works out the figures of revs started since now minus
// FiguresWindow.
func ComputeFigures(revs []history.Revision, now time.Time) Figures {
	f := Figures{Since: now.Add(-FiguresWindow)}
	var toLive, toGood []time.Duration
	var recover time.Duration
	for _, r := range revs {
		if r.Started.Before(f.Since) {
			continue
		}
		f.Promotions++
		if !r.Switched.IsZero() {
			toLive = append(toLive, r.Switched.Sub(r.Started))
		}
		switch r.State {
		case history.Good:
			f.Finished++
			f.Good++
			if !r.Finished.IsZero() {
				toGood = append(toGood, r.Finished.Sub(r.Started))
			}
		case history.Failed:
			f.Finished++
		case history.RolledBack:
			f.Finished++
			f.RolledBack++
			if !r.Switched.IsZero() && !r.Finished.IsZero() {
				recover += r.Finished.Sub(r.Switched)
			}
		}
	}
	f.ToLive, f.ToGood = medianOf(toLive), medianOf(toGood)
	if f.RolledBack > 0 {
		f.Recover = recover / time.Duration(f.RolledBack)
	}
	return f
}

func medianOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
