// Package health runs the sandbox stage's service and business health
// tiers. The service tier sends a sample of requests to each configured
// endpoint and holds its p95 latency and error rate to limits; the business
// tier checks JSON answers of the app and instant Prometheus queries
// against thresholds.
//
// Every configured check becomes one result.Check with a stable name
// (service/<name>, business/json/<name>, business/prometheus/<name>); a
// failing one carries a Failure finding whose message has the evidence:
// what was measured, the limits, and the first failing answers. A tier with
// nothing configured is one skipped check that says what to add, so it
// never passes silently. Errors mean a tier could not run at all: ctx
// ended, or Service endpoints were given without a cluster.
package health

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/internal/httpcheck"
	"github.com/shipgate/shipgate/internal/kube"
	"github.com/shipgate/shipgate/internal/result"
)

// The names of the tiers' checks when nothing is configured.
const (
	CheckService  = "service"
	CheckBusiness = "business"
)

// The reasons the tiers give for skipping.
const (
	NoServiceChecks  = "no service checks configured: add sandbox.service to the shipgate config"
	NoBusinessChecks = "no business checks configured: add sandbox.business.json or sandbox.business.prometheus to the shipgate config"
	NoPromQueries    = "sandbox.business.prometheus is set but has no queries: add sandbox.business.prometheus.queries"
)

// Locator maps a Service (namespace and name) to the place its manifest
// starts in the repository, so that findings point there; it returns the
// zero Source when it does not know the Service. A nil Locator knows none.
type Locator func(namespace, name string) kube.Source

// LocateIn returns a Locator over loaded manifests; a Service without a
// namespace in its manifest is taken to be in namespace.
func LocateIn(objs []kube.Object, namespace string) Locator {
	at := map[[2]string]kube.Source{}
	for _, o := range objs {
		id := o.ID()
		if id.Group != "" || id.Kind != "Service" {
			continue
		}
		ns := id.Namespace
		if ns == "" {
			ns = namespace
		}
		at[[2]string{ns, id.Name}] = o.Source
	}
	return func(namespace, name string) kube.Source { return at[[2]string{namespace, name}] }
}

// failure returns a Failure finding of check about object ("Service/ns/name"
// or empty), placed at the Service's manifest when loc knows it.
func failure(check, object, title, message string, loc Locator) result.Finding {
	f := result.Finding{Check: check, Level: result.Failure, Title: title, Message: message, Object: object}
	kind, rest, _ := strings.Cut(object, "/")
	ns, name, ok := strings.Cut(rest, "/")
	if loc != nil && kind == "Service" && ok {
		src := loc(ns, name)
		f.Path, f.Line = src.Path, src.Line
	}
	return f
}

// fatal returns the error that stops a tier: ctx ended, or a Service
// endpoint without a cluster. Other errors are the check's findings.
func fatal(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case errors.Is(err, httpcheck.ErrNoCluster):
		return err
	}
	return nil
}

// bullets renders lines as a list, continuation lines indented under their item.
func bullets(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "- %s", strings.ReplaceAll(l, "\n", "\n  "))
	}
	return b.String()
}
