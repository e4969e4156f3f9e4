package imageindex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Presence is what a registry said of an image reference.
type Presence string

// The answers Look can give.
const (
	// Present: the registry has the manifest.
	Present Presence = "present"
	// Absent: the registry answered that it has no such manifest or
	// repository (404).
	Absent Presence = "absent"
	// Denied: the registry refused to say (401, 403): the image does not
	// exist, or it is private and the credentials used do not reach it.
	Denied Presence = "denied"
	// Unreachable: no answer (no network, DNS, TLS, a timeout, a server
	// error): nothing is known about the image.
	Unreachable Presence = "unreachable"
	// Invalid: the reference is not an image reference.
	Invalid Presence = "invalid"
	// Loaded: a tag ArchiveTag made for a digest (repo:sha256-…), which
	// exists in the nodes it was loaded into, not in a registry.
	Loaded Presence = "loaded"
)

// Lookup is the answer for one image reference.
type Lookup struct {
	Ref string
	// Registry is the registry's host, e.g. ghcr.io or index.docker.io.
	Registry string
	Presence Presence
	// Digest is the manifest's digest when Present.
	Digest string
	// Err is the registry's answer when the image is not Present.
	Err error
}

// lookParallel is how many registry requests Look makes at once.
const lookParallel = 8

var archiveTag = regexp.MustCompile(`:sha256-[0-9a-f]{64}$`)

// Look asks the registries whether each image of refs exists, each
// distinct reference once and several at a time, all within ctx (give it a
// deadline). It never fails: what could not be learnt is Unreachable, with
// the reason in Err.
func Look(ctx context.Context, refs []string, opts ...Option) map[string]Lookup {
	o := build(opts)
	out := make(map[string]Lookup, len(refs))
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, lookParallel)
	)
	seen := make(map[string]bool, len(refs))
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			l := look(ctx, o, ref)
			mu.Lock()
			out[ref] = l
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// look asks about one reference: HEAD of the manifest, and GET when the
// registry does not answer HEAD plainly.
func look(ctx context.Context, o *options, ref string) Lookup {
	l := Lookup{Ref: ref}
	r, err := name.ParseReference(ref)
	if err != nil {
		l.Presence, l.Err = Invalid, err
		return l
	}
	l.Registry = r.Context().RegistryStr()
	if archiveTag.MatchString(ref) {
		l.Presence = Loaded
		return l
	}
	if err := ctx.Err(); err != nil {
		l.Presence, l.Err = Unreachable, fmt.Errorf("no answer in time: %w", err)
		return l
	}
	desc, err := remote.Head(r, o.remote(ctx)...)
	if err != nil && presence(err) == Unreachable {
		// Some registries answer GET but not HEAD: ask again with GET.
		var d *remote.Descriptor
		if d, err = remote.Get(r, o.remote(ctx)...); err == nil {
			desc = &d.Descriptor
		}
	}
	if err != nil {
		l.Presence, l.Err = presence(err), err
		if ctx.Err() != nil {
			l.Err = fmt.Errorf("no answer in time: %w", err)
		}
		return l
	}
	l.Presence, l.Digest = Present, desc.Digest.String()
	return l
}

// presence classifies a registry's error.
func presence(err error) Presence {
	var te *transport.Error
	if !errors.As(err, &te) {
		return Unreachable
	}
	switch te.StatusCode {
	case http.StatusNotFound:
		return Absent
	case http.StatusUnauthorized, http.StatusForbidden:
		return Denied
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return Absent
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return Denied
		}
	}
	return Unreachable
}
