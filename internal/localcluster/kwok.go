package localcluster

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// FaultLabel selects a fault Stage: put it on a pod (or a Deployment's pod
// template) with one of the Fault values. SetNodeReady puts it on nodes.
const FaultLabel = "shipgate.test/fault"

// Values of FaultLabel.
const (
	// FaultNeverReady: the pod goes Running, its containers run, but Ready
	// and ContainersReady stay False with NeverReadyMessage, and a Warning
	// event "Unhealthy" is recorded, as for a failing readiness probe.
	FaultNeverReady = "never-ready"
	// FaultCrashLoop: the pod is Running with every container waiting in
	// CrashLoopBackOff after exit code 1; restartCount grows by one every
	// 1-2 s.
	FaultCrashLoop = "crashloop"
	// FaultFail: every container terminates with exit code 1 and the pod's
	// phase becomes Failed.
	FaultFail = "fail"
	// FaultNodeNotReady (on a Node): the node's Ready condition is False
	// with NodeNotReadyReason. Use SetNodeReady rather than the label.
	FaultNodeNotReady = "not-ready"
)

// Messages and reasons the fault Stages write.
const (
	// NeverReadyMessage is the message of the Ready and ContainersReady
	// conditions of a FaultNeverReady pod.
	NeverReadyMessage = "simulated readiness probe failure"
	// CrashLoopReason is the waiting reason of a FaultCrashLoop container.
	CrashLoopReason = "CrashLoopBackOff"
	// NodeNotReadyReason is the Ready condition's reason on a node taken
	// down by SetNodeReady.
	NodeNotReadyReason = "KubeletNotReady"
)

// KwokNodeAnnotation (with value KwokNodeAnnotationValue) marks the nodes
// kwok manages; AddNode sets it.
const (
	KwokNodeAnnotation      = "kwok.x-k8s.io/node"
	KwokNodeAnnotationValue = "fake"
)

// kwokDefaultStages are kwok v0.8.0's default node and pod Stages.
//
//go:embed stages/kwok-defaults.yaml
var kwokDefaultStages []byte

// faultStages are the Stages behind the Fault values.
//
//go:embed stages/faults.yaml
var faultStages []byte

// kwokConfig returns kwok's --config file: the default Stages, the fault
// Stages and extra, after checking that extra holds only Stages whose names
// are new.
func kwokConfig(extra []byte) ([]byte, error) {
	names := map[string]bool{}
	for _, doc := range []struct {
		what string
		data []byte
	}{{"default kwok Stages", kwokDefaultStages}, {"fault Stages", faultStages}, {"Options.KwokStages", extra}} {
		if err := checkStages(doc.data, names); err != nil {
			return nil, fmt.Errorf("%s: %w", doc.what, err)
		}
	}
	var b bytes.Buffer
	for _, part := range [][]byte{kwokDefaultStages, faultStages, extra} {
		b.WriteString("---\n")
		b.Write(part)
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

// checkStages checks that every YAML document in data is a kwok Stage with a
// name not in seen, and adds the names to seen.
func checkStages(data []byte, seen map[string]bool) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for i := 1; ; i++ {
		var obj struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec map[string]any `json:"spec"`
		}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", i, err)
		}
		if obj.APIVersion == "" && obj.Kind == "" && obj.Metadata.Name == "" && obj.Spec == nil {
			continue // an empty document, e.g. between two "---"
		}
		switch {
		case obj.APIVersion != "kwok.x-k8s.io/v1alpha1" || obj.Kind != "Stage":
			return fmt.Errorf("document %d: is %s %s, want kwok.x-k8s.io/v1alpha1 Stage", i, obj.APIVersion, obj.Kind)
		case obj.Metadata.Name == "":
			return fmt.Errorf("document %d: Stage has no metadata.name", i)
		case seen[obj.Metadata.Name]:
			return fmt.Errorf("document %d: Stage %q is already defined (kwok's defaults and the fault Stages use names like node-initialize, pod-ready, shipgate-pod-crashloop)", i, obj.Metadata.Name)
		case obj.Spec["resourceRef"] == nil:
			return fmt.Errorf("document %d: Stage %q has no spec.resourceRef", i, obj.Metadata.Name)
		}
		seen[obj.Metadata.Name] = true
	}
}
