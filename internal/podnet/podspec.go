package podnet

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// desired returns what pod should have served on n: nil when it is not
// Running with its containers started (or Ready), has no pod IP, its IP is outside n's CIDR (host
// network pods, another network) or it declares no TCP port. An error
// says why a pod that qualifies cannot be served.
func desired(pod *corev1.Pod, n *Network) (*want, error) {
	if pod.Status.Phase != corev1.PodRunning || !(podReady(pod) || containersRunning(pod)) || pod.Status.PodIP == "" {
		return nil, nil
	}
	ip, err := netip.ParseAddr(pod.Status.PodIP)
	if err != nil {
		return nil, fmt.Errorf("pod IP %q: %w", pod.Status.PodIP, err)
	}
	if !n.cidr.Contains(ip) {
		return nil, nil
	}
	if err := n.checkPodIP(ip); err != nil {
		return nil, err
	}
	w := &want{ip: ip}
	seen := map[int32]string{}
	for _, ctr := range pod.Spec.Containers {
		var tcp []int32
		for _, p := range ctr.Ports {
			if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
				tcp = append(tcp, p.ContainerPort)
			}
		}
		if len(tcp) == 0 {
			continue
		}
		b, err := BehaviorFromEnv(ctr.Env)
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", ctr.Name, err)
		}
		for i, port := range tcp {
			if port < 1 || port > 65535 {
				return nil, fmt.Errorf("container %s: containerPort %d: want 1 to 65535", ctr.Name, port)
			}
			if other, dup := seen[port]; dup {
				return nil, fmt.Errorf("containers %s and %s both declare TCP port %d", other, ctr.Name, port)
			}
			seen[port] = ctr.Name
			pw := portWant{port: uint16(port), behavior: b}
			if i == 0 { // the container's first port exports its CPU use and resources
				pw.container, pw.resources = ctr.Name, resourcesOf(ctr.Resources)
			}
			w.ports = append(w.ports, pw)
		}
	}
	if len(w.ports) == 0 {
		return nil, nil
	}
	slices.SortFunc(w.ports, func(a, b portWant) int { return cmp.Compare(a.port, b.port) })
	return w, nil
}

// resourcesOf reads a container's CPU and memory requests and limits.
func resourcesOf(r corev1.ResourceRequirements) Resources {
	cores := func(l corev1.ResourceList) float64 { return l.Cpu().AsApproximateFloat64() }
	bytes := func(l corev1.ResourceList) float64 { return l.Memory().AsApproximateFloat64() }
	return Resources{CPURequest: cores(r.Requests), CPULimit: cores(r.Limits), MemoryRequest: bytes(r.Requests), MemoryLimit: bytes(r.Limits)}
}

// podReady reports whether the pod's Ready condition is True.
func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func containersRunning(pod *corev1.Pod) bool {
	if len(pod.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running == nil {
			return false
		}
	}
	return true
}
