package localcluster

import "context"

// TB is the part of testing.TB that StartT uses; declared here so that the
// product binary, which links this package, does not link testing.
type TB interface {
	Helper()
	Context() context.Context
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Failed() bool
	Cleanup(func())
}

// FirstNode is the node StartT adds.
const FirstNode = "kwok-node-0"

// StartT starts a cluster for a test with one Ready kwok node, FirstNode.
// opts adjust the Options (Logf defaults to t.Logf). The cluster is stopped
// on t.Cleanup; if the test failed, the tail of every component's log is
// logged first. A start failure, missing binaries included, fails the test.
func StartT(t TB, opts ...func(*Options)) *Cluster {
	t.Helper()
	o := Options{Logf: t.Logf}
	for _, f := range opts {
		f(&o)
	}
	c, err := Start(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.logTails(t)
		}
		if err := c.Stop(); err != nil {
			t.Errorf("stop local cluster: %v", err)
		}
	})
	if err := c.AddNode(t.Context(), FirstNode); err != nil {
		t.Fatal(err)
	}
	return c
}

// logTails logs the last lines of every component's log.
func (c *Cluster) logTails(t TB) {
	t.Helper()
	for _, name := range components {
		t.Logf("--- last lines of %s ---\n%s", c.l.logPath(name), tailFile(c.l.logPath(name), 40))
	}
}
