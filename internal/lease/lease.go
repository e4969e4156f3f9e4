// Package lease lets one promotion at a time change an app in an
// environment: a coordination.k8s.io/v1 Lease per app and environment,
// taken with optimistic concurrency and renewed while the stage runs.
//
//	lock, err := lease.Acquire(ctx, lease.Options{Client: cs, Namespace: "shop",
//		Name: lease.LeaseName("web", "production"), Holder: "octo/shop run 41 attempt 1"})
//	if err != nil { ... } // a *HeldError names the run that holds it
//	defer lock.Release(context.WithoutCancel(ctx))
//	select { case <-lock.Lost(): ...; default: }
//
// Expiry is judged by the renew time the holder wrote plus the lease
// duration, read against this machine's clock: clocks that disagree by more
// than a fraction of the duration shorten or lengthen a dead holder's grace.
package lease

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
)

// DefaultDuration is the lease duration when Options.Duration is zero.
const DefaultDuration = 60 * time.Second

// Annotations and labels written on the Lease.
const (
	// RunURLAnnotation holds Options.RunURL, so a refused run can name the
	// run that holds the lease.
	RunURLAnnotation = "shipgate.io/run-url"
	// TokenAnnotation holds a random token chosen by each Acquire: the lease
	// is ours only while it carries our token, even when two runs share a
	// holder identity.
	TokenAnnotation = "shipgate.io/lock-token"
	managedByLabel  = "app.kubernetes.io/managed-by"
	managedBy       = "shipgate"
)

// Options say which Lease to take and how.
type Options struct {
	// Client talks to the cluster. Required.
	Client kubernetes.Interface
	// Namespace holds the Lease; it must exist. Required.
	Namespace string
	// Name is the Lease's name, e.g. LeaseName(app, environment). Required.
	Name string
	// Holder identifies this run, e.g. "octo/shop run 41 attempt 1";
	// empty means "<hostname> pid <pid>".
	Holder string
	// RunURL is stored in an annotation so that a refused run can link to
	// the run holding the lease. Optional.
	RunURL string
	// Duration is how long the lease lasts without renewal, in whole
	// seconds (rounded up); zero means DefaultDuration. The lease is renewed
	// every Duration/3.
	Duration time.Duration
	// Wait is how long Acquire waits for a held lease to be released or to
	// expire (the lock-timeout config field): zero refuses at once.
	Wait time.Duration
	// Logf logs progress; nil discards it.
	Logf func(format string, args ...any)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.Client == nil {
		errs = append(errs, errors.New("lease: Client is nil; pass the cluster's clientset"))
	}
	if o.Namespace == "" {
		errs = append(errs, errors.New("lease: Namespace is empty; name the namespace that keeps the lease"))
	}
	if o.Name == "" {
		errs = append(errs, errors.New("lease: Name is empty; use LeaseName(app, environment)"))
	}
	if o.Duration < 0 {
		errs = append(errs, fmt.Errorf("lease: Duration %s is negative; give a positive duration such as 60s, or zero for the default", o.Duration))
	}
	if o.Wait < 0 {
		errs = append(errs, fmt.Errorf("lease: lock-timeout %s is negative; give zero to refuse at once or a positive duration to wait", o.Wait))
	}
	if len(errs) > 0 {
		return o, errors.Join(errs...)
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	o.Duration = time.Duration(durationSeconds(o.Duration)) * time.Second
	if o.Holder == "" {
		o.Holder = defaultHolder()
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// durationSeconds rounds d up to whole seconds, at least one.
func durationSeconds(d time.Duration) int32 {
	s := (d + time.Second - 1) / time.Second
	return int32(max(s, 1))
}

// defaultHolder names this process: "<hostname> pid <pid>".
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}

// maxNameLen keeps names readable and valid as DNS-1123 labels.
const maxNameLen = 63

// LeaseName returns the Lease name of an app in an environment,
// "shipgate-<app>-<environment>", lower-cased with every character outside
// [a-z0-9-] turned into '-'. When that changed the input or the name would
// pass 63 characters, it is cut and ends in a hash of app and environment,
// so distinct inputs keep distinct names.
func LeaseName(app, environment string) string {
	raw := "shipgate-" + app + "-" + environment
	name := sanitize(raw)
	if name == raw && len(name) <= maxNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(app + "\x00" + environment))
	suffix := "-" + hex.EncodeToString(sum[:])[:10]
	name = strings.TrimRight(name[:min(len(name), maxNameLen-len(suffix))], "-")
	return name + suffix
}

// sanitize lower-cases s, maps characters outside [a-z0-9-] to '-' and
// trims dashes at both ends.
func sanitize(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			b[i] = '-'
		}
	}
	return strings.Trim(string(b), "-")
}
