package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"

	"github.com/shipgate/shipgate/internal/actionio"
)

// TestRouteKlog logs through klog as client-go does and finds the lines in
// the runtime's log, not on stderr, without the shutdown noise. klog is
// process-wide, so this test does not run in parallel: the parallel tests
// of the package wait until it ends.
func TestRouteKlog(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	var out bytes.Buffer
	rt := actionio.New(func(string) string { return "" }, &out)
	routeKlog(rt)

	klog.ErrorS(fmt.Errorf("Get \"https://127.0.0.1:6443/api/v1/pods?watch=true\": %w", context.Canceled), "Failed to watch", "reflector", "pods")
	utilruntime.HandleError(errors.New("unexpected EOF: context canceled"))
	klog.V(4).InfoS("verbose detail")
	klog.InfoS("Waited for throttling", "duration", "1.2s")
	klog.ErrorS(errors.New("connection refused"), "Failed to list", "resource", "pods")
	klog.Flush()

	os.Stderr = stderr
	w.Close()
	onStderr, _ := io.ReadAll(r)
	if len(onStderr) > 0 {
		t.Errorf("klog wrote to stderr:\n%s", onStderr)
	}
	want := "client-go: Waited for throttling duration=\"1.2s\"\n" +
		"client-go: Failed to list err=\"connection refused\" resource=\"pods\"\n"
	got := out.String()
	if !strings.HasSuffix(got, want) || strings.Count(got, "client-go:") != 2 {
		t.Errorf("log:\n%s\nwant exactly:\n%s", got, want)
	}
}
