package config

import (
	"errors"
	"fmt"
)

// DefaultParityMin is the similarity to production the sandbox needs when
// sandbox.parity.min is not set.
const DefaultParityMin = Percent(0.9)

// Parity is how close to production the sandbox must be, measured when
// the production-kubeconfig input is given.
type Parity struct {
	// Min is the lowest overall similarity that passes, e.g. 90%.
	Min *Percent `yaml:"min"`
	// Namespace is production's namespace for the manifests' objects
	// that name none (the sandbox puts them in its run namespace);
	// "default" when empty.
	Namespace string `yaml:"namespace"`
}

// Minimum returns Min or DefaultParityMin.
func (p Parity) Minimum() Percent {
	if p.Min == nil {
		return DefaultParityMin
	}
	return *p.Min
}

// ProductionNamespace returns Namespace or "default".
func (p Parity) ProductionNamespace() string { return cmpOr(p.Namespace, "default") }

func (p Parity) validate(field string) error {
	var errs []error
	if p.Min != nil && (*p.Min < 0 || *p.Min > 1) {
		errs = append(errs, fmt.Errorf("%s.min %s: want 0%% to 100%%, e.g. 90%%", field, *p.Min))
	}
	if p.Namespace != "" && (len(p.Namespace) > 63 || !dnsLabel.MatchString(p.Namespace)) {
		errs = append(errs, fmt.Errorf("%s.namespace %q: want a namespace name (lower-case letters, digits and -, at most 63), e.g. shop", field, p.Namespace))
	}
	return errors.Join(errs...)
}
