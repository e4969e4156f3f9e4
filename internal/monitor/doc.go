// Package monitor watches a rollout the way OpenShift's monitor framework
// watches an upgrade: samplers record intervals while the rollout runs,
// and tests are evaluated from the intervals afterwards.
//
// The phases:
//
//  1. Start collection: Monitor.Start runs every Sampler and returns once
//     each is sampling (its first request sent, its watches synced).
//  2. Collect: a Disruption sampler sends requests to an endpoint at a fixed
//     rate over new or over reused connections and turns runs of failed
//     samples into outage intervals; a Conditions sampler watches a
//     namespace's workloads and pods (and the nodes) and turns state
//     changes into intervals from change to change.
//  3. Monitor.Stop ends every sampler at one instant; intervals still open
//     end there.
//  4. Evaluate turns the intervals into JUnit-style checks with stable
//     names ("[disruption] web new-connections should be available during
//     rollout").
//
// Outages and failed conditions are data: intervals of Level Error, and
// failed checks. Errors mean a sampler could not run.
package monitor
