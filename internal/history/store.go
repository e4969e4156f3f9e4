package history

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/util/retry"
)

// DefaultKeep is how many revisions Prune keeps when asked to keep none.
const DefaultKeep = 10

// Store reads and writes the revisions of one app in one environment.
// Its methods are safe for concurrent use, also by several processes: the
// cluster arbitrates.
type Store struct {
	// Now is the clock for Started, Switched, Finished and event times;
	// nil means time.Now. Set it before the first call.
	Now func() time.Time

	namespace, app, environment string
	secrets                     corev1client.SecretInterface
}

// NewStore returns the history of app in environment, kept as Secrets in
// namespace. It makes no request; the first call checks the arguments.
func NewStore(client kubernetes.Interface, namespace, app, environment string) *Store {
	s := &Store{namespace: namespace, app: app, environment: environment}
	if client != nil {
		s.secrets = client.CoreV1().Secrets(namespace)
	}
	return s
}

// check says what is missing to use the Store.
func (s *Store) check() error {
	var errs []error
	if s.secrets == nil {
		errs = append(errs, errors.New("history: no Kubernetes client; pass the cluster's clientset to NewStore"))
	}
	for _, f := range []struct{ name, value string }{{"namespace", s.namespace}, {"app", s.app}, {"environment", s.environment}} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("history: %s is empty; pass it to NewStore", f.name))
		}
	}
	return errors.Join(errs...)
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// selector selects the Secrets of this app and environment.
func (s *Store) selector() string {
	return labels.SelectorFromSet(labels.Set{
		ManagedByLabel:   ManagedBy,
		AppLabel:         labelValue(s.app),
		EnvironmentLabel: labelValue(s.environment),
	}).String()
}

// what names the history in errors: "history of web in production".
func (s *Store) what() string {
	return fmt.Sprintf("history of %s in %s (namespace %s)", s.app, s.environment, s.namespace)
}

// apiError wraps an API error, adding the permission needed when access
// is refused.
func (s *Store) apiError(verb string, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%s %s: %w; grant get, list, create, update and delete on secrets in namespace %s", verb, s.what(), err, s.namespace)
	}
	return fmt.Errorf("%s %s: %w", verb, s.what(), err)
}

// list returns the Secrets of this history, newest first, skipping any
// whose number label is not a number (List reads them to say so).
func (s *Store) list(ctx context.Context) ([]corev1.Secret, error) {
	l, err := s.secrets.List(ctx, metav1.ListOptions{LabelSelector: s.selector()})
	if err != nil {
		return nil, s.apiError("list", err)
	}
	items := l.Items
	slices.SortFunc(items, func(a, b corev1.Secret) int { return cmp.Compare(number(&b), number(&a)) })
	return items, nil
}

// number returns a Secret's revision number from its label, 0 when it has
// none.
func number(sec *corev1.Secret) int {
	n, err := strconv.Atoi(sec.Labels[RevisionLabel])
	if err != nil {
		return 0
	}
	return n
}

// List returns every revision, newest first, in full (Objects included:
// the Secrets are read whole anyway). A record that cannot be read fails
// the whole List with a *CorruptError or *SchemaError naming its Secret.
// Secrets that match the labels but hold another app or environment (two
// names that make the same label value) are skipped.
func (s *Store) List(ctx context.Context) ([]Revision, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	secs, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []Revision
	for i := range secs {
		r, err := decode(&secs[i])
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.what(), err)
		}
		if r.App != s.app || r.Environment != s.environment {
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Revision) int { return cmp.Compare(b.Number, a.Number) })
	return out, nil
}

// Get returns one revision, or a *NotFoundError listing the numbers that
// exist.
func (s *Store) Get(ctx context.Context, number int) (Revision, error) {
	if err := s.check(); err != nil {
		return Revision{}, err
	}
	r, _, err := s.get(ctx, number)
	return r, err
}

// get reads a revision and its Secret.
func (s *Store) get(ctx context.Context, n int) (Revision, *corev1.Secret, error) {
	sec, err := s.secrets.Get(ctx, SecretName(s.app, s.environment, n), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Revision{}, nil, s.notFound(ctx, n)
	}
	if err != nil {
		return Revision{}, nil, s.apiError(fmt.Sprintf("read revision %d of", n), err)
	}
	r, err := decode(sec)
	if err != nil {
		return Revision{}, nil, fmt.Errorf("read revision %d of %s: %w", n, s.what(), err)
	}
	if r.Number != n || r.App != s.app || r.Environment != s.environment {
		return Revision{}, nil, fmt.Errorf("read revision %d of %s: %w", n, s.what(), &CorruptError{Namespace: sec.Namespace, Secret: sec.Name,
			Err: fmt.Errorf("it holds %s", r)})
	}
	return r, sec, nil
}

// notFound builds the error for a missing revision, listing those that
// exist.
func (s *Store) notFound(ctx context.Context, n int) error {
	e := &NotFoundError{Number: n, App: s.app, Environment: s.environment, Namespace: s.namespace}
	secs, err := s.list(ctx)
	if err != nil {
		return errors.Join(e, err)
	}
	for i := range secs {
		if k := number(&secs[i]); k > 0 {
			e.Existing = append(e.Existing, k)
		}
	}
	slices.Sort(e.Existing)
	return e
}

// NotFoundError says a revision does not exist.
type NotFoundError struct {
	Number                      int
	App, Environment, Namespace string
	// Existing lists the revisions that exist, oldest first.
	Existing []int
}

// Error names the revision and those that exist.
func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("revision %d of %s in %s not found in namespace %s", e.Number, e.App, e.Environment, e.Namespace)
	if len(e.Existing) == 0 {
		return msg + "; no revisions are recorded there (is the namespace right?)"
	}
	nums := make([]string, len(e.Existing))
	for i, n := range e.Existing {
		nums[i] = strconv.Itoa(n)
	}
	return msg + "; the revisions recorded are " + strings.Join(nums, ", ")
}

// maxCreateAttempts bounds how many numbers Create tries when concurrent
// Creates take the ones it picked.
const maxCreateAttempts = 100

// Create records r as the next revision and returns it as stored. It
// assigns Number (ignoring r.Number) as one more than the highest number
// recorded: the Secret's name carries the number, so when a concurrent
// Create took it first the API answers AlreadyExists and Create tries the
// next. It fills in App and Environment, State (Promoting when empty) and
// Started (now when zero), and appends an Event for the initial state.
// Nothing is written when the record would be too large (*TooLargeError).
func (s *Store) Create(ctx context.Context, r Revision) (Revision, error) {
	if err := s.check(); err != nil {
		return Revision{}, err
	}
	switch {
	case r.App != "" && r.App != s.app:
		return Revision{}, fmt.Errorf("create revision in %s: App is %q; leave it empty or set it to %q", s.what(), r.App, s.app)
	case r.Environment != "" && r.Environment != s.environment:
		return Revision{}, fmt.Errorf("create revision in %s: Environment is %q; leave it empty or set it to %q", s.what(), r.Environment, s.environment)
	case r.State == "":
		r.State = Promoting
	case !r.State.valid():
		return Revision{}, fmt.Errorf("create revision in %s: State %q is not one of %v", s.what(), r.State, States)
	}
	r.App, r.Environment = s.app, s.environment
	now := s.now()
	if r.Started.IsZero() {
		r.Started = now
	}
	r.Events = append(slices.Clone(r.Events), Event{Time: now, State: r.State, Message: "revision recorded"})

	secs, err := s.list(ctx)
	if err != nil {
		return Revision{}, err
	}
	next := 1
	if len(secs) > 0 {
		next = number(&secs[0]) + 1
	}
	for range maxCreateAttempts {
		r.Number = next
		sec, err := s.secret(r)
		if err != nil {
			return Revision{}, fmt.Errorf("create: %w", err)
		}
		_, err = s.secrets.Create(ctx, sec, metav1.CreateOptions{})
		switch {
		case err == nil:
			return r, nil
		case apierrors.IsAlreadyExists(err):
			next++
			continue
		case apierrors.IsNotFound(err):
			return Revision{}, fmt.Errorf("create %s: namespace %q does not exist; create it (kubectl create namespace %s) or keep the history in a namespace that exists: %w",
				r, s.namespace, s.namespace, err)
		}
		return Revision{}, s.apiError(fmt.Sprintf("create revision %d in", r.Number), err)
	}
	return Revision{}, fmt.Errorf("create revision in %s: numbers %d to %d were all taken by concurrent writers", s.what(), next-maxCreateAttempts+1, next)
}

// secret returns the Secret that holds r.
func (s *Store) secret(r Revision) (*corev1.Secret, error) {
	data, err := encode(r)
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      SecretName(s.app, s.environment, r.Number),
			Namespace: s.namespace,
			Labels: map[string]string{
				ManagedByLabel:   ManagedBy,
				AppLabel:         labelValue(s.app),
				EnvironmentLabel: labelValue(s.environment),
				RevisionLabel:    strconv.Itoa(r.Number),
				StateLabel:       string(r.State),
			},
		},
		Type: SecretType,
		Data: data,
	}, nil
}

// updateBackoff retries an update that conflicted with another writer.
var updateBackoff = wait.Backoff{Duration: 20 * time.Millisecond, Factor: 2, Jitter: 0.5, Steps: 10, Cap: time.Second}

// SetState moves a revision to state st and appends an Event with msg.
// Entering Live sets Switched and entering Good, Failed or RolledBack sets
// Finished, when still zero; entering Failed or RolledBack with no Reason
// sets Reason to msg. Then mutate, if not nil, may change more (it must
// not change Number, App or Environment). The write carries the
// resourceVersion read; on a conflict the revision is read again and
// mutate called again, so mutate must only depend on its argument.
func (s *Store) SetState(ctx context.Context, number int, st State, msg string, mutate func(*Revision)) (Revision, error) {
	if err := s.check(); err != nil {
		return Revision{}, err
	}
	if !st.valid() {
		return Revision{}, fmt.Errorf("set state of revision %d in %s: %q is not one of %v", number, s.what(), st, States)
	}
	var out Revision
	err := retry.RetryOnConflict(updateBackoff, func() error {
		r, sec, err := s.get(ctx, number)
		if err != nil {
			return err
		}
		now := s.now()
		r.State = st
		r.Events = append(r.Events, Event{Time: now, State: st, Message: msg})
		switch {
		case st == Live && r.Switched.IsZero():
			r.Switched = now
		case st == Good || st == Failed || st == RolledBack:
			if r.Finished.IsZero() {
				r.Finished = now
			}
			if st != Good && r.Reason == "" {
				r.Reason = msg
			}
		}
		if mutate != nil {
			mutate(&r)
			if r.Number != number || r.App != s.app || r.Environment != s.environment || !r.State.valid() {
				return fmt.Errorf("set state of revision %d in %s: mutate changed Number, App or Environment, or set an unknown State %q",
					number, s.what(), r.State)
			}
		}
		next, err := s.secret(r)
		if err != nil {
			return fmt.Errorf("set state: %w", err)
		}
		next.ResourceVersion = sec.ResourceVersion
		next.UID = sec.UID
		if _, err := s.secrets.Update(ctx, next, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsConflict(err) {
				return err
			}
			return s.apiError(fmt.Sprintf("update revision %d of", number), err)
		}
		out = r
		return nil
	})
	if apierrors.IsConflict(err) {
		return Revision{}, fmt.Errorf("set state of revision %d in %s: still conflicting with other writers after %d attempts: %w", number, s.what(), updateBackoff.Steps, err)
	}
	return out, err
}

// Live returns the revision serving production: the newest whose state is
// live (in its watched window) or good (passed it). Failed, rolled-back
// and promoting revisions are never live. ok is false when there is none.
func (s *Store) Live(ctx context.Context) (r Revision, ok bool, err error) {
	return s.newest(ctx, Live, Good)
}

// LastGood returns the newest revision whose state is good: it passed its
// watched window and was not rolled back since. During a watched window
// it is the revision before the live one (the one a rollback returns to);
// afterwards it is the live one itself, and a rollback goes to its
// Previous. ok is false when there is none.
func (s *Store) LastGood(ctx context.Context) (r Revision, ok bool, err error) {
	return s.newest(ctx, Good)
}

// newest returns the newest revision in one of states.
func (s *Store) newest(ctx context.Context, states ...State) (Revision, bool, error) {
	all, err := s.List(ctx)
	if err != nil {
		return Revision{}, false, err
	}
	for _, r := range all {
		if slices.Contains(states, r.State) {
			return r, true, nil
		}
	}
	return Revision{}, false, nil
}

// Unfinished returns the revisions still promoting, newest first: left so
// by a runner that died (or by a promotion running now; hold the lease
// before repairing them).
func (s *Store) Unfinished(ctx context.Context) ([]Revision, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Revision
	for _, r := range all {
		if r.State == Promoting {
			out = append(out, r)
		}
	}
	return out, nil
}

// Prune deletes old revisions, keeping the newest keep (DefaultKeep when
// keep < 1) and, whatever their age, the live one and the last good one
// (see Live and LastGood). It works from the labels alone, so a corrupt
// old record is pruned too. A revision whose Secret changed since it was
// listed is left for the next Prune. It returns the numbers deleted,
// oldest first.
func (s *Store) Prune(ctx context.Context, keep int) ([]int, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if keep < 1 {
		keep = DefaultKeep
	}
	secs, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	protected := map[int]bool{}
	for _, want := range [][]State{{Live, Good}, {Good}} {
		for i := range secs {
			if slices.Contains(want, State(secs[i].Labels[StateLabel])) {
				protected[number(&secs[i])] = true
				break
			}
		}
	}
	var deleted []int
	var errs []error
	for i := range secs[min(keep, len(secs)):] {
		sec := &secs[keep+i]
		n := number(sec)
		if n < 1 || protected[n] {
			continue
		}
		err := s.secrets.Delete(ctx, sec.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &sec.UID, ResourceVersion: &sec.ResourceVersion},
		})
		switch {
		case err == nil:
			deleted = append(deleted, n)
		case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		default:
			errs = append(errs, s.apiError(fmt.Sprintf("prune revision %d of", n), err))
		}
	}
	slices.Sort(deleted)
	return deleted, errors.Join(errs...)
}
