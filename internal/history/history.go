// Package history keeps the revision history of an app in an environment
// in the cluster: each promotion is a numbered Revision, written before
// anything changes and updated at every state change, so that a runner
// that dies mid-promote leaves a record the next promote or rollback can
// read and repair. No GitHub state is needed.
//
// Each revision is one Secret of type shipgate.io/revision (manifests may
// hold Secrets) named sh.shipgate.<app>.<environment>.v<N>, labelled with
// the app, environment, number and state, holding the revision as gzipped
// JSON and the schema version it was written with:
//
//	kubectl get secrets -l app.kubernetes.io/managed-by=shipgate -L shipgate.io/revision,shipgate.io/state
package history

import (
	"encoding/json"
	"fmt"
	"time"
)

// State is where a revision stands.
type State string

// The states of a revision.
const (
	// Promoting: recorded before anything changed, the promotion runs (or
	// its runner died: see Store.Unfinished).
	Promoting State = "promoting"
	// Live: production traffic goes to this revision and its watched
	// window runs.
	Live State = "live"
	// Good: the watched window passed; the revision is the one to come
	// back to.
	Good State = "good"
	// Failed: the promotion failed before or without switching traffic for
	// good; Reason says why.
	Failed State = "failed"
	// RolledBack: traffic went back to an earlier revision; Reason says
	// why.
	RolledBack State = "rolled-back"
)

// States lists every state, in the order a promotion meets them.
var States = []State{Promoting, Live, Good, Failed, RolledBack}

// valid reports whether s is one of States.
func (s State) valid() bool {
	for _, v := range States {
		if s == v {
			return true
		}
	}
	return false
}

// Revision is one promotion of an app in an environment.
type Revision struct {
	// Number counts the promotions of the app in the environment from 1;
	// Store.Create assigns it.
	Number int `json:"number"`
	// App and Environment say what was promoted where; Store.Create fills
	// them in from the Store.
	App         string `json:"app"`
	Environment string `json:"environment"`
	// Strategy is how it was promoted: blue-green, rolling or weighted.
	Strategy string `json:"strategy,omitempty"`
	// Image, SHA, Ref, RunURL and Actor say what was promoted, from which
	// commit and ref, by which run and by whom.
	Image  string `json:"image,omitempty"`
	SHA    string `json:"sha,omitempty"`
	Ref    string `json:"ref,omitempty"`
	RunURL string `json:"runURL,omitempty"`
	Actor  string `json:"actor,omitempty"`
	// State is where the revision stands.
	State State `json:"state"`
	// Reason says why a revision failed or was rolled back: the rule that
	// fired and its evidence, or the reason a user gave for a rollback.
	Reason string `json:"reason,omitempty"`
	// Previous is the number of the revision that was live before; 0 for
	// the first promotion. The caller sets it (e.g. from Store.Live).
	Previous int `json:"previous,omitempty"`
	// Started is when the revision was recorded, Switched when traffic
	// went to it (state live) and Finished when it reached good, failed or
	// rolled-back.
	Started  time.Time `json:"started,omitzero"`
	Switched time.Time `json:"switched,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Objects are the manifests as applied: full objects as JSON, enough
	// to restore them.
	Objects []json.RawMessage `json:"objects,omitempty"`
	// Names is the strategy's own bookkeeping, e.g. "Deployment/shop/web"
	// -> "web-r3".
	Names map[string]string `json:"names,omitempty"`
	// Events records every state change, oldest first.
	Events []Event `json:"events,omitempty"`
}

// Event is one state change of a revision.
type Event struct {
	Time    time.Time `json:"time"`
	State   State     `json:"state"`
	Message string    `json:"message,omitempty"`
}

// String names the revision for logs: "revision 3 of web in production".
func (r Revision) String() string {
	return fmt.Sprintf("revision %d of %s in %s", r.Number, r.App, r.Environment)
}
