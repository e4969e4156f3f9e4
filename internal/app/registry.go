package app

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/internal/stage"
	"github.com/shipgate/shipgate/internal/stage/automerge"
	"github.com/shipgate/shipgate/internal/stage/build"
	"github.com/shipgate/shipgate/internal/stage/mergecheck"
	"github.com/shipgate/shipgate/internal/stage/promote"
	"github.com/shipgate/shipgate/internal/stage/rollback"
	"github.com/shipgate/shipgate/internal/stage/sandbox"
	"github.com/shipgate/shipgate/internal/stage/smoke"
)

// stages maps each value of the stage input to its implementation.
var stages = map[string]stage.Stage{
	"merge-check": mergecheck.Stage{},
	"build":       build.Stage{},
	"sandbox":     sandbox.Stage{},
	"smoke":       smoke.Stage{},
	"auto-merge":  automerge.Stage{},
	"promote":     promote.Stage{},
	"rollback":    rollback.Stage{},
	"history":     promote.HistoryStage{},
}

// lookup finds a stage or says what can be used instead.
func lookup(name string) (stage.Stage, error) {
	st, ok := stages[name]
	switch {
	case name == "":
		return nil, fmt.Errorf("input stage is empty; set it to one of: %s", available())
	case !ok:
		return nil, fmt.Errorf("input stage %q is not a shipgate stage; use one of: %s", name, available())
	}
	return st, nil
}

func available() string {
	return strings.Join(slices.Sorted(maps.Keys(stages)), ", ")
}
