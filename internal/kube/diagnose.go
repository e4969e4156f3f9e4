package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// diagnoseLogLines is how many lines of each container log Diagnose keeps.
const diagnoseLogLines = 100

// Diagnose writes what explains a failure in namespace into dir: events.txt
// (the namespace's events, oldest first), pods.txt (a describe-like summary
// of every pod that is not ready: conditions, container states, restart
// counts, recent events) and logs/POD_CONTAINER.log (the tail of each of
// their containers' logs, and of the previous run after a restart) where the
// cluster serves them; pods.txt says which logs were not available. It
// returns the files written, relative to dir. Parts that fail do not stop
// the others; their errors are joined.
func Diagnose(ctx context.Context, client kubernetes.Interface, namespace, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("diagnose %s: %w", namespace, err)
	}
	var files []string
	var errs []error
	var events []corev1.Event
	err := retryTransient(ctx, func(ctx context.Context) error {
		l, err := client.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{})
		if err == nil {
			events = l.Items
		}
		return err
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("list events: %w", err))
	} else {
		SortEvents(events)
		if err := os.WriteFile(filepath.Join(dir, "events.txt"), []byte(FormatEvents(events)), 0o644); err != nil {
			errs = append(errs, err)
		} else {
			files = append(files, "events.txt")
		}
	}

	var pods []corev1.Pod
	err = retryTransient(ctx, func(ctx context.Context) error {
		l, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
		if err == nil {
			pods = l.Items
		}
		return err
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("list pods: %w", err))
	} else {
		slices.SortFunc(pods, func(a, b corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
		var b strings.Builder
		unhealthy := 0
		for i := range pods {
			p := &pods[i]
			if PodProblem(p) == "" {
				continue
			}
			unhealthy++
			describePod(&b, p, events)
			logs, notes := writeLogs(ctx, client, p, filepath.Join(dir, "logs"))
			files = append(files, logs...)
			for _, n := range notes {
				fmt.Fprintf(&b, "  %s\n", n)
			}
			b.WriteString("\n")
		}
		head := fmt.Sprintf("%d of %d pods in namespace %s are not ready.\n\n", unhealthy, len(pods), namespace)
		if err := os.WriteFile(filepath.Join(dir, "pods.txt"), []byte(head+b.String()), 0o644); err != nil {
			errs = append(errs, err)
		} else {
			files = append(files, "pods.txt")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return files, fmt.Errorf("diagnose %s: %w", namespace, err)
	}
	return files, nil
}

// eventTime is when an event last happened, as well as it is known.
func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

// SortEvents orders events oldest first; ties by object and reason.
func SortEvents(events []corev1.Event) {
	slices.SortStableFunc(events, func(a, b corev1.Event) int {
		return cmp.Or(eventTime(a).Compare(eventTime(b)),
			cmp.Compare(a.InvolvedObject.Kind+"/"+a.InvolvedObject.Name, b.InvolvedObject.Kind+"/"+b.InvolvedObject.Name),
			cmp.Compare(a.Reason, b.Reason))
	})
}

// FormatEvents renders events one a line: time, type, reason, object,
// count and message.
func FormatEvents(events []corev1.Event) string {
	if len(events) == 0 {
		return "No events.\n"
	}
	var b strings.Builder
	for _, e := range events {
		count := ""
		if e.Count > 1 {
			count = fmt.Sprintf(" (x%d)", e.Count)
		}
		fmt.Fprintf(&b, "%s %-7s %-20s %s/%s%s: %s\n", eventTime(e).UTC().Format(time.RFC3339), e.Type, e.Reason,
			strings.ToLower(e.InvolvedObject.Kind), e.InvolvedObject.Name, count, strings.TrimSpace(e.Message))
	}
	return b.String()
}

// describePod writes a describe-like summary of a pod.
func describePod(b *strings.Builder, p *corev1.Pod, events []corev1.Event) {
	fmt.Fprintf(b, "Pod %s/%s\n", p.Namespace, p.Name)
	fmt.Fprintf(b, "  Node:   %s\n", cmp.Or(p.Spec.NodeName, "(not scheduled)"))
	fmt.Fprintf(b, "  Phase:  %s\n", p.Status.Phase)
	fmt.Fprintf(b, "  Reason: %s\n", PodProblem(p))
	b.WriteString("  Conditions:\n")
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(b, "    %-16s %-6s %s\n", c.Type, c.Status, joinNonEmpty(": ", c.Reason, c.Message))
	}
	b.WriteString("  Containers:\n")
	for _, cs := range allStatuses(p) {
		fmt.Fprintf(b, "    %s (image %s): ready=%t restarts=%d state=%s", cs.Name, cs.Image, cs.Ready, cs.RestartCount, containerState(cs.State))
		if cs.LastTerminationState.Terminated != nil {
			fmt.Fprintf(b, " last=%s", containerState(cs.LastTerminationState))
		}
		b.WriteString("\n")
	}
	var mine []string
	for _, e := range events {
		if e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == p.Name {
			mine = append(mine, fmt.Sprintf("    %s %s %s: %s", eventTime(e).UTC().Format(time.RFC3339), e.Type, e.Reason, strings.TrimSpace(e.Message)))
		}
	}
	if len(mine) > 0 {
		b.WriteString("  Events:\n" + strings.Join(mine, "\n") + "\n")
	}
}

// containerState renders a container state in a few words.
func containerState(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return "Waiting(" + joinNonEmpty(": ", s.Waiting.Reason, s.Waiting.Message) + ")"
	case s.Running != nil:
		return "Running(since " + s.Running.StartedAt.UTC().Format(time.RFC3339) + ")"
	case s.Terminated != nil:
		return fmt.Sprintf("Terminated(%s, exit code %d)", joinNonEmpty(": ", s.Terminated.Reason, s.Terminated.Message), s.Terminated.ExitCode)
	}
	return "Unknown"
}

// writeLogs writes the log tails of a pod's containers into dir and
// returns the files written (relative to dir's parent) and notes on the
// logs that were not available.
func writeLogs(ctx context.Context, client kubernetes.Interface, p *corev1.Pod, dir string) (files, notes []string) {
	for _, cs := range allStatuses(p) {
		runs := []bool{false}
		if cs.RestartCount > 0 {
			runs = append(runs, true)
		}
		for _, previous := range runs {
			name := p.Name + "_" + cs.Name
			if previous {
				name += ".previous"
			}
			name += ".log"
			text, err := containerLog(ctx, client, p, cs.Name, previous, diagnoseLogLines)
			if err != nil {
				notes = append(notes, fmt.Sprintf("Log of container %s%s not available: %v", cs.Name, map[bool]string{true: " (previous run)"}[previous], err))
				continue
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				notes = append(notes, fmt.Sprintf("Log of container %s not written: %v", cs.Name, err))
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				notes = append(notes, fmt.Sprintf("Log of container %s not written: %v", cs.Name, err))
				continue
			}
			files = append(files, filepath.ToSlash(filepath.Join("logs", name)))
		}
	}
	return files, notes
}
