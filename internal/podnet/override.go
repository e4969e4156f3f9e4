package podnet

import (
	"fmt"
	"time"
)

// SetBehavior changes how a Server answers from now on, as an app that
// turns bad (or recovers) while it runs.
func (s *Server) SetBehavior(b Behavior) error {
	if err := b.Validate(); err != nil {
		return err
	}
	s.metrics.setBehavior(b, time.Now())
	s.override.Store(&b)
	return nil
}

// SetBehavior changes how every server of a served pod answers from now
// on: a test makes a running app fail or slow down without a rollout. It
// returns an error when the pod is not served.
func (c *Controller) SetBehavior(namespace, pod string, b Behavior) error {
	c.mu.Lock()
	s := c.pods[namespace+"/"+pod]
	c.mu.Unlock()
	if s == nil {
		return fmt.Errorf("pod %s/%s is not served", namespace, pod)
	}
	for _, srv := range s.servers {
		if err := srv.SetBehavior(b); err != nil {
			return err
		}
	}
	return nil
}
