package history_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shipgate/shipgate/internal/history"
	"github.com/shipgate/shipgate/internal/localcluster"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// TestCluster records, reads, changes and prunes revisions on one local
// control plane, each subtest in its own namespace.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := localcluster.StartT(t)
	cs := kubernetes.NewForConfigOrDie(c.Config)

	t.Run("promote, go live, pass the window, promote again", func(t *testing.T) {
		t.Parallel()
		s := store(t, cs, "lifecycle")
		obj := json.RawMessage(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":2}}`)
		r1, err := s.Create(t.Context(), history.Revision{Strategy: "blue-green", Image: "web:1", SHA: "aaa", Actor: "octocat", Objects: []json.RawMessage{obj}})
		if err != nil {
			t.Fatal(err)
		}
		want1 := history.Revision{Number: 1, App: "web", Environment: "production", Strategy: "blue-green", Image: "web:1", SHA: "aaa", Actor: "octocat",
			State: history.Promoting, Started: t0, Objects: []json.RawMessage{obj},
			Events: []history.Event{{Time: t0, State: history.Promoting, Message: "revision recorded"}}}
		if diff := cmp.Diff(want1, r1); diff != "" {
			t.Errorf("Create (-want +got):\n%s", diff)
		}
		if got := numbersOf(t, s.Unfinished); !slices.Equal(got, []int{1}) {
			t.Errorf("Unfinished: %v, want [1]", got)
		}
		if _, ok, err := s.Live(t.Context()); err != nil || ok {
			t.Errorf("Live before any switch: ok %v, %v; want none", ok, err)
		}
		setState(t, s, 1, history.Live, "traffic switched", func(r *history.Revision) { r.Names = map[string]string{"Deployment/shop/web": "web-r1"} })
		r1 = setState(t, s, 1, history.Good, "watched window passed", nil)
		want1.State, want1.Switched, want1.Finished = history.Good, t0, t0
		want1.Names = map[string]string{"Deployment/shop/web": "web-r1"}
		want1.Events = append(want1.Events, history.Event{Time: t0, State: history.Live, Message: "traffic switched"},
			history.Event{Time: t0, State: history.Good, Message: "watched window passed"})
		if diff := cmp.Diff(want1, r1); diff != "" {
			t.Errorf("after SetState (-want +got):\n%s", diff)
		}
		got1, err := s.Get(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want1, got1); diff != "" {
			t.Errorf("Get(1) (-want +got):\n%s", diff)
		}

		r2, err := s.Create(t.Context(), history.Revision{Image: "web:2", Previous: 1})
		if err != nil {
			t.Fatal(err)
		}
		setState(t, s, 2, history.Live, "traffic switched", nil)
		checkLive(t, s, 2, 1)
		setState(t, s, 2, history.RolledBack, "error rate 3% > 1% for 2m", nil)
		checkLive(t, s, 1, 1)
		r2, err = s.Get(t.Context(), r2.Number)
		if err != nil {
			t.Fatal(err)
		}
		if r2.Reason != "error rate 3% > 1% for 2m" || r2.Finished.IsZero() || r2.Switched.IsZero() {
			t.Errorf("rolled-back revision: Reason %q, Switched %v, Finished %v; want the reason and both times", r2.Reason, r2.Switched, r2.Finished)
		}
		all, err := s.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]history.Revision{r2, want1}, all); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		sec, err := cs.CoreV1().Secrets("lifecycle").Get(t.Context(), "sh.shipgate.web.production.v2", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantLabels := map[string]string{"app.kubernetes.io/managed-by": "shipgate", "shipgate.io/app": "web", "shipgate.io/environment": "production",
			"shipgate.io/revision": "2", "shipgate.io/state": "rolled-back"}
		if diff := cmp.Diff(wantLabels, sec.Labels); diff != "" || sec.Type != history.SecretType {
			t.Errorf("Secret type %q, labels (-want +got):\n%s", sec.Type, diff)
		}
	})

	t.Run("concurrent Creates get distinct numbers", func(t *testing.T) {
		t.Parallel()
		s := store(t, cs, "concurrent")
		const n = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			nums []int
		)
		for i := range n {
			wg.Go(func() {
				r, err := s.Create(t.Context(), history.Revision{Image: fmt.Sprintf("web:%d", i)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				nums = append(nums, r.Number)
			})
		}
		wg.Wait()
		slices.Sort(nums)
		if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(nums, want) {
			t.Errorf("numbers %v, want %v", nums, want)
		}
	})

	t.Run("concurrent SetStates all land", func(t *testing.T) {
		t.Parallel()
		s := store(t, cs, "setstate")
		if _, err := s.Create(t.Context(), history.Revision{}); err != nil {
			t.Fatal(err)
		}
		const n = 5
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if _, err := s.SetState(t.Context(), 1, history.Promoting, fmt.Sprintf("step %d", i), nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		r, err := s.Get(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, e := range r.Events[1:] {
			msgs = append(msgs, e.Message)
		}
		slices.Sort(msgs)
		if want := []string{"step 0", "step 1", "step 2", "step 3", "step 4"}; !slices.Equal(msgs, want) {
			t.Errorf("events %v, want %v", msgs, want)
		}
	})

	pruneTests := []struct {
		name    string
		states  []history.State // of revisions 1, 2, ...
		keep    int
		deleted []int
		left    []int
	}{
		{
			name:   "keeps the live and the last good one",
			states: []history.State{history.Good, history.Failed, history.Failed, history.Live, history.RolledBack, history.Failed},
			keep:   1, deleted: []int{2, 3, 5}, left: []int{6, 4, 1},
		},
		{
			name:   "default keeps ten",
			states: slices.Repeat([]history.State{history.Good}, 12),
			keep:   0, deleted: []int{1, 2}, left: []int{12, 11, 10, 9, 8, 7, 6, 5, 4, 3},
		},
		{
			name:   "nothing to prune",
			states: []history.State{history.Good, history.Live},
			keep:   2, left: []int{2, 1},
		},
	}
	for i, tt := range pruneTests {
		t.Run("prune "+tt.name, func(t *testing.T) {
			t.Parallel()
			s := store(t, cs, fmt.Sprintf("prune-%d", i))
			for _, st := range tt.states {
				if _, err := s.Create(t.Context(), history.Revision{State: st}); err != nil {
					t.Fatal(err)
				}
			}
			deleted, err := s.Prune(t.Context(), tt.keep)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(deleted, tt.deleted) {
				t.Errorf("deleted %v, want %v", deleted, tt.deleted)
			}
			if got := numbers(t, s); !slices.Equal(got, tt.left) {
				t.Errorf("left %v, want %v", got, tt.left)
			}
		})
	}

	t.Run("missing revision names those that exist", func(t *testing.T) {
		t.Parallel()
		s := store(t, cs, "missing")
		_, err := s.Get(t.Context(), 1)
		var nf *history.NotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), "no revisions are recorded there") {
			t.Errorf("Get in an empty history: %v, want a NotFoundError saying there are none", err)
		}
		for range 2 {
			if _, err := s.Create(t.Context(), history.Revision{}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = s.Get(t.Context(), 7)
		want := "revision 7 of web in production not found in namespace missing; the revisions recorded are 1, 2"
		if !errors.As(err, &nf) || err.Error() != want {
			t.Errorf("Get(7): %v, want %q", err, want)
		}
	})

	t.Run("schema too new", func(t *testing.T) {
		t.Parallel()
		s := store(t, cs, "schema")
		if _, err := s.Create(t.Context(), history.Revision{}); err != nil {
			t.Fatal(err)
		}
		editSecret(t, cs, "schema", "sh.shipgate.web.production.v1", func(sec *corev1.Secret) { sec.Data[history.SchemaKey] = []byte("2") })
		want := "schema/sh.shipgate.web.production.v1 was written by a newer shipgate (schema 2; this one reads up to 1): upgrade shipgate"
		_, err := s.Get(t.Context(), 1)
		var se *history.SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("Get: %v, want a SchemaError containing %q", err, want)
		}
		if _, err := s.List(t.Context()); !errors.As(err, &se) {
			t.Errorf("List: %v, want a SchemaError", err)
		}
		if _, err := s.SetState(t.Context(), 1, history.Failed, "x", nil); !errors.As(err, &se) {
			t.Errorf("SetState: %v, want a SchemaError and no write", err)
		}
	})

	t.Run("corrupt record names its secret", func(t *testing.T) {
		t.Parallel()
		s := store(t, cs, "corrupt")
		if _, err := s.Create(t.Context(), history.Revision{}); err != nil {
			t.Fatal(err)
		}
		editSecret(t, cs, "corrupt", "sh.shipgate.web.production.v1", func(sec *corev1.Secret) { sec.Data[history.DataKey] = []byte("not gzip at all") })
		want := "revision record secret corrupt/sh.shipgate.web.production.v1 is corrupt"
		var ce *history.CorruptError
		if _, err := s.Get(t.Context(), 1); !errors.As(err, &ce) || !strings.Contains(err.Error(), want) {
			t.Errorf("Get: %v, want a CorruptError containing %q", err, want)
		}
		if _, _, err := s.Live(t.Context()); !errors.As(err, &ce) {
			t.Errorf("Live: %v, want a CorruptError", err)
		}
		// Numbering and pruning go by the labels and carry on.
		if r, err := s.Create(t.Context(), history.Revision{}); err != nil || r.Number != 2 {
			t.Errorf("Create after a corrupt record: %v, %v; want revision 2", r.Number, err)
		}
		if deleted, err := s.Prune(t.Context(), 1); err != nil || !slices.Equal(deleted, []int{1}) {
			t.Errorf("Prune: %v, %v; want [1] deleted", deleted, err)
		}
	})

	t.Run("too large a record is refused before any write", func(t *testing.T) {
		t.Parallel()
		s := store(t, cs, "large")
		noise := make([]byte, 1100<<10)
		_, _ = rand.Read(noise)
		big, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]string{"name": "assets"},
			"binaryData": map[string]string{"blob": base64.StdEncoding.EncodeToString(noise)}})
		_, err := s.Create(t.Context(), history.Revision{Objects: []json.RawMessage{big}})
		var tl *history.TooLargeError
		if !errors.As(err, &tl) || !strings.Contains(err.Error(), "ConfigMap/assets") {
			t.Fatalf("Create: %v, want a TooLargeError naming ConfigMap/assets", err)
		}
		secs, err := cs.CoreV1().Secrets("large").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(secs.Items) != 0 {
			t.Errorf("%d Secrets written, want none", len(secs.Items))
		}
	})

	t.Run("missing namespace", func(t *testing.T) {
		t.Parallel()
		s := history.NewStore(cs, "no-such-namespace", "web", "production")
		_, err := s.Create(t.Context(), history.Revision{})
		if want := `namespace "no-such-namespace" does not exist; create it`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Create: %v, want an error containing %q", err, want)
		}
	})

	t.Run("apps and environments apart", func(t *testing.T) {
		t.Parallel()
		namespace(t, cs, "apart")
		web := history.NewStore(cs, "apart", "web", "production")
		staging := history.NewStore(cs, "apart", "web", "staging")
		api := history.NewStore(cs, "apart", "Web", "production")
		for _, s := range []*history.Store{web, web, staging, api} {
			if _, err := s.Create(t.Context(), history.Revision{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			s    *history.Store
			want []int
		}{{web, []int{2, 1}}, {staging, []int{1}}, {api, []int{1}}} {
			if got := numbers(t, tt.s); !slices.Equal(got, tt.want) {
				t.Errorf("revisions %v, want %v", got, tt.want)
			}
		}
	})
}

func TestStoreArguments(t *testing.T) {
	t.Parallel()
	_, err := history.NewStore(nil, "", "web", "").List(t.Context())
	for _, want := range []string{"no Kubernetes client", "namespace is empty", "environment is empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("List: %v, want an error containing %q", err, want)
		}
	}
}

// store makes namespace ns and a Store of web in production there, with a
// fixed clock.
func store(t *testing.T, cs kubernetes.Interface, ns string) *history.Store {
	t.Helper()
	namespace(t, cs, ns)
	s := history.NewStore(cs, ns, "web", "production")
	s.Now = func() time.Time { return t0 }
	return s
}

func namespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setState(t *testing.T, s *history.Store, n int, st history.State, msg string, mutate func(*history.Revision)) history.Revision {
	t.Helper()
	r, err := s.SetState(t.Context(), n, st, msg, mutate)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkLive checks the numbers of the live and the last good revision.
func checkLive(t *testing.T, s *history.Store, live, good int) {
	t.Helper()
	l, ok, err := s.Live(t.Context())
	if err != nil || !ok || l.Number != live {
		t.Errorf("Live: %d, %v, %v; want %d", l.Number, ok, err, live)
	}
	g, ok, err := s.LastGood(t.Context())
	if err != nil || !ok || g.Number != good {
		t.Errorf("LastGood: %d, %v, %v; want %d", g.Number, ok, err, good)
	}
}

// numbers returns the numbers of the revisions s.List returns.
func numbers(t *testing.T, s *history.Store) []int {
	t.Helper()
	return numbersOf(t, s.List)
}

// numbersOf returns the numbers of the revisions list returns.
func numbersOf(t *testing.T, list func(context.Context) ([]history.Revision, error)) []int {
	t.Helper()
	all, err := list(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, r := range all {
		out = append(out, r.Number)
	}
	return out
}

func editSecret(t *testing.T, cs kubernetes.Interface, ns, name string, edit func(*corev1.Secret)) {
	t.Helper()
	sec, err := cs.CoreV1().Secrets(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	edit(sec)
	if _, err := cs.CoreV1().Secrets(ns).Update(t.Context(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
