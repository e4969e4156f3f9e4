package monitor

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// pods handles pod events: readiness and waiting containers become lanes,
// a restart count that grows an instant Error. Restarts before the
// monitor started (pods in the first list) are not counted; a pod created
// since starts from zero.
func (w *watcher) pods() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc:    func(obj any, initial bool) { w.pod(obj, initial) },
		UpdateFunc: func(_, obj any) { w.pod(obj, false) },
		DeleteFunc: func(obj any) {
			pod, ok := unwrap(obj).(*corev1.Pod)
			if !ok {
				return
			}
			object := podObject(pod)
			w.t.observe(object, nil)
			w.t.mu.Lock()
			delete(w.restarts, object)
			w.t.mu.Unlock()
		},
	}
}

func podObject(pod *corev1.Pod) string { return "ns/" + pod.Namespace + " pod/" + pod.Name }

// pod observes one pod's states and counts its restarts.
func (w *watcher) pod(obj any, initial bool) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	object := podObject(pod)
	w.t.observe(object, podStates(pod))
	for _, r := range w.newRestarts(object, pod, initial) {
		w.t.instant(r)
	}
}

// newRestarts compares the pod's restart counts with those last seen.
func (w *watcher) newRestarts(object string, pod *corev1.Pod, initial bool) []state {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	seen, known := w.restarts[object]
	if !known {
		seen = map[string]int32{}
		w.restarts[object] = seen
	}
	var out []state
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		before, ok := seen[cs.Name]
		seen[cs.Name] = cs.RestartCount
		if initial && !ok || cs.RestartCount <= before {
			continue
		}
		msg := fmt.Sprintf("pod/%s container %s restarted (restart count %d)", pod.Name, cs.Name, cs.RestartCount)
		if term := cs.LastTerminationState.Terminated; term != nil {
			msg += fmt.Sprintf(": last exit code %d", term.ExitCode)
			if term.Reason != "" {
				msg += " (" + term.Reason + ")"
			}
		}
		out = append(out, state{lane: lane{source: SourcePodRestart, locator: object + " container/" + cs.Name}, level: Error, message: msg})
	}
	return out
}

// benignWaiting are waiting reasons of a container that is starting
// normally.
var benignWaiting = map[string]bool{"ContainerCreating": true, "PodInitializing": true}

// podStates is a pod's lanes: "not ready" (Warning) while it is not Ready,
// and per container its waiting reason (Warning, Info while starting).
func podStates(pod *corev1.Pod) []state {
	object := podObject(pod)
	var out []state
	if pod.Status.Phase != corev1.PodSucceeded && !podReady(pod) {
		msg := fmt.Sprintf("pod/%s not ready (phase %s)", pod.Name, pod.Status.Phase)
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady && c.Reason != "" {
				msg += ": " + c.Reason
				if c.Message != "" {
					msg += ": " + c.Message
				}
			}
		}
		out = append(out, state{lane: lane{source: SourcePodReady, locator: object}, id: "not-ready", level: Warning, message: msg})
	}
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		wait := cs.State.Waiting
		if wait == nil || wait.Reason == "" {
			continue
		}
		level := Warning
		if benignWaiting[wait.Reason] {
			level = Info
		}
		msg := fmt.Sprintf("pod/%s container %s waiting: %s", pod.Name, cs.Name, wait.Reason)
		if wait.Message != "" {
			msg += ": " + wait.Message
		}
		out = append(out, state{lane: lane{source: SourceContainer, locator: object + " container/" + cs.Name}, id: wait.Reason, level: level, message: msg})
	}
	return out
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
