package ghemu

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Pull is a pull request to seed the emulator with. Zero fields take the
// defaults named below.
type Pull struct {
	Number int    // required, > 0
	Title  string // default "Update the README"
	User   string // author's login; default "octocat"
	State  string // "open" (default) or "closed"
	Draft  bool
	// HeadRef and BaseRef are branch names; defaults "feature-N" and the
	// repository's default branch (main).
	HeadRef, BaseRef string
	// HeadSHA and BaseSHA are 40-hex commit SHAs; defaults derived from the
	// repository, number and refs.
	HeadSHA, BaseSHA string
	// HeadRepo is the head repository ("owner/name") of a pull request from
	// a fork; default the base repository.
	HeadRepo string
	// Mergeable is what pulls/get reports once computed; nil keeps it
	// uncomputed (null) for good.
	Mergeable *bool
	// MergeableState defaults to clean (Mergeable true), dirty (false) or
	// unknown (nil).
	MergeableState string
	// MergeableNullFor makes the first N pulls/get answer mergeable null and
	// mergeable_state unknown, as while GitHub computes mergeability.
	MergeableNullFor int
	Merged           bool
	// MergeCommitSHA is set when the pull request is merged.
	MergeCommitSHA string
	// Commits are the pull request's commits besides HeadSHA, 40-hex SHAs;
	// repos/list-pull-requests-associated-with-commit lists the pull request
	// for them, its HeadSHA and its MergeCommitSHA.
	Commits []string
}

// Merge is one successful pulls/merge.
type Merge struct {
	Repo           string
	Number         int
	HeadSHA        string // the head merged
	Method         string // merge, squash or rebase
	CommitTitle    string
	CommitMessage  string
	MergeCommitSHA string
}

// pullState is a stored pull request.
type pullState struct {
	Pull
	gets                int // pulls/get calls since added or updated
	created, closed     time.Time
	merged              time.Time
	headOwner, headName string
}

// AddPull registers a pull request in repo ("owner/name"), adding the
// repository if needed. Invalid input fails the test.
func (s *Server) AddPull(repo string, p Pull) {
	s.t.Helper()
	owner, name, err := splitRepo(repo)
	if err != nil {
		s.t.Fatalf("ghemu: AddPull: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.addRepoLocked(owner, name)
	if _, dup := r.pulls[p.Number]; dup {
		s.t.Fatalf("ghemu: AddPull(%q): pull request #%d already exists; use UpdatePull to change it", repo, p.Number)
	}
	ps := &pullState{Pull: p, created: s.now()}
	if err := ps.normalize(r); err != nil {
		s.t.Fatalf("ghemu: AddPull(%q, #%d): %v", repo, p.Number, err)
	}
	r.pulls[p.Number] = ps
}

// UpdatePull changes a pull request, e.g. a new HeadSHA after a push. The
// count of pulls/get calls restarts, so MergeableNullFor applies again.
func (s *Server) UpdatePull(repo string, number int, edit func(*Pull)) {
	s.t.Helper()
	p, ok := s.PullRequest(repo, number)
	if !ok {
		s.t.Fatalf("ghemu: UpdatePull(%q, %d): no such pull request; add it with AddPull", repo, number)
	}
	edit(&p)
	if p.Number != number {
		s.t.Fatalf("ghemu: UpdatePull(%q, %d): the number cannot change", repo, number)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[lower(repo)]
	ps := r.pulls[number]
	ps.Pull, ps.gets = p, 0
	if err := ps.normalize(r); err != nil {
		s.t.Fatalf("ghemu: UpdatePull(%q, #%d): %v", repo, number, err)
	}
}

// PullRequest returns the current state of a pull request.
func (s *Server) PullRequest(repo string, number int) (Pull, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.repos[lower(repo)]; ok && r.pulls[number] != nil {
		p := r.pulls[number].Pull
		p.Commits = slices.Clone(p.Commits)
		return p, true
	}
	return Pull{}, false
}

// Merges returns the successful merges, in order.
func (s *Server) Merges() []Merge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.merges)
}

// normalize validates p and fills its defaults.
func (ps *pullState) normalize(r *repo) error {
	p := &ps.Pull
	switch {
	case p.Number <= 0:
		return fmt.Errorf("Number %d must be > 0", p.Number)
	case p.State != "" && p.State != "open" && p.State != "closed":
		return fmt.Errorf(`State %q must be "open" or "closed"`, p.State)
	case p.HeadSHA != "" && !hexSHA.MatchString(p.HeadSHA):
		return fmt.Errorf("HeadSHA %q must be 40 lowercase hex digits", p.HeadSHA)
	case p.BaseSHA != "" && !hexSHA.MatchString(p.BaseSHA):
		return fmt.Errorf("BaseSHA %q must be 40 lowercase hex digits", p.BaseSHA)
	case p.MergeableNullFor < 0:
		return fmt.Errorf("MergeableNullFor %d must be >= 0", p.MergeableNullFor)
	case p.MergeCommitSHA != "" && !hexSHA.MatchString(p.MergeCommitSHA):
		return fmt.Errorf("MergeCommitSHA %q must be 40 lowercase hex digits", p.MergeCommitSHA)
	}
	for _, c := range p.Commits {
		if !hexSHA.MatchString(c) {
			return fmt.Errorf("Commits: %q must be 40 lowercase hex digits", c)
		}
	}
	p.Commits = slices.Clone(p.Commits)
	ps.headOwner, ps.headName = r.owner, r.name
	if p.HeadRepo != "" {
		owner, name, err := splitRepo(p.HeadRepo)
		if err != nil {
			return fmt.Errorf("HeadRepo: %w", err)
		}
		ps.headOwner, ps.headName = owner, name
	}
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&p.Title, "Update the README")
	def(&p.User, "octocat")
	def(&p.State, "open")
	def(&p.HeadRef, fmt.Sprintf("feature-%d", p.Number))
	def(&p.BaseRef, r.defaultBranch)
	def(&p.HeadSHA, fakeSHA("head", r.fullName(), p.Number, p.HeadRef))
	def(&p.BaseSHA, fakeSHA("base", r.fullName(), p.BaseRef))
	if p.Merged {
		p.State = "closed"
		def(&p.MergeCommitSHA, fakeSHA("merge", r.fullName(), p.Number, p.HeadSHA))
	}
	if p.State == "closed" && ps.closed.IsZero() {
		ps.closed = ps.created
	}
	if p.Merged && ps.merged.IsZero() {
		ps.merged = ps.closed
	}
	return nil
}

// mergeableState is MergeableState or its default for Mergeable, decided
// when asked so that UpdatePull can change Mergeable alone.
func (ps *pullState) mergeableState() string {
	switch {
	case ps.MergeableState != "":
		return ps.MergeableState
	case ps.Mergeable == nil:
		return "unknown"
	case *ps.Mergeable:
		return "clean"
	default:
		return "dirty"
	}
}

// sortedPulls returns the repository's pull requests by number.
func (r *repo) sortedPulls() []*pullState {
	out := make([]*pullState, 0, len(r.pulls))
	for _, n := range slices.Sorted(maps.Keys(r.pulls)) {
		out = append(out, r.pulls[n])
	}
	return out
}

// fromFork reports whether the head lives in another repository.
func (ps *pullState) fromFork(r *repo) bool {
	return lower(ps.headOwner+"/"+ps.headName) != lower(r.fullName())
}
