package podnet

import (
	"fmt"
	"math"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Container env variables that shape a Server's answers.
const (
	EnvVersion  = "VERSION"
	EnvFailRate = "FAIL_RATE"
	EnvLatency  = "LATENCY"
	// EnvCPU is the container's simulated CPU use in cores (e.g. 0.5).
	EnvCPU = "CPU"
	// EnvOrdersRate is the orders per second the pod takes while it
	// serves traffic.
	EnvOrdersRate = "ORDERS_RATE"
)

// Behavior is how a Server answers. The zero value answers every request
// at once with 200 and an empty version.
type Behavior struct {
	// Version is echoed as "version" in the JSON body and as X-Version.
	Version string
	// FailRate is the fraction of requests, 0 to 1, answered with 500.
	FailRate float64
	// Latency is added to every request before it is answered.
	Latency time.Duration
	// CPU is the container's simulated CPU use in cores: its
	// container_cpu_usage_seconds_total grows by CPU every second.
	CPU float64
	// OrdersRate is how many orders a second the pod takes while it
	// serves traffic (it answered a request other than /metrics in the
	// last second): orders_total grows by it.
	OrdersRate float64
}

// Validate checks FailRate is in [0, 1] and Latency is not negative.
func (b Behavior) Validate() error {
	if math.IsNaN(b.FailRate) || b.FailRate < 0 || b.FailRate > 1 {
		return fmt.Errorf("%s %v: want a number from 0 to 1", EnvFailRate, b.FailRate)
	}
	if b.Latency < 0 {
		return fmt.Errorf("%s %v: want a duration of 0 or more", EnvLatency, b.Latency)
	}
	if math.IsNaN(b.CPU) || math.IsInf(b.CPU, 0) || b.CPU < 0 {
		return fmt.Errorf("%s %v: want cores of 0 or more, e.g. 0.5", EnvCPU, b.CPU)
	}
	if math.IsNaN(b.OrdersRate) || math.IsInf(b.OrdersRate, 0) || b.OrdersRate < 0 {
		return fmt.Errorf("%s %v: want orders per second of 0 or more, e.g. 10", EnvOrdersRate, b.OrdersRate)
	}
	return nil
}

// BehaviorFromEnv reads VERSION, FAIL_RATE (a number from 0 to 1),
// LATENCY (a Go duration such as "150ms"), CPU (cores) and ORDERS_RATE
// (orders per second) from a container's env; the last
// definition of a name wins, as in Kubernetes. Unset names keep the zero
// Behavior's values. A valueFrom for one of them is an error: podnet cannot
// resolve ConfigMaps or Secrets.
func BehaviorFromEnv(env []corev1.EnvVar) (Behavior, error) {
	vals := map[string]string{}
	for _, e := range env {
		switch e.Name {
		case EnvVersion, EnvFailRate, EnvLatency, EnvCPU, EnvOrdersRate:
		default:
			continue
		}
		if e.ValueFrom != nil {
			return Behavior{}, fmt.Errorf("env %s uses valueFrom, which podnet cannot resolve: set value", e.Name)
		}
		vals[e.Name] = e.Value
	}
	b := Behavior{Version: vals[EnvVersion]}
	if s, ok := vals[EnvFailRate]; ok && s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Behavior{}, fmt.Errorf("env %s=%q: want a number from 0 to 1", EnvFailRate, s)
		}
		b.FailRate = f
	}
	if s, ok := vals[EnvLatency]; ok && s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return Behavior{}, fmt.Errorf("env %s=%q: want a Go duration such as 150ms", EnvLatency, s)
		}
		b.Latency = d
	}
	for name, f := range map[string]*float64{EnvCPU: &b.CPU, EnvOrdersRate: &b.OrdersRate} {
		if s, ok := vals[name]; ok && s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return Behavior{}, fmt.Errorf("env %s=%q: want a number of 0 or more", name, s)
			}
			*f = v
		}
	}
	if err := b.Validate(); err != nil {
		return Behavior{}, fmt.Errorf("env: %w", err)
	}
	return b, nil
}
