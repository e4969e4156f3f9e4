package kindcluster

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Runner runs a command, the docker CLI here, and returns its standard
// output. An error says what failed and carries the command's standard
// error.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ExecRunner runs commands as child processes; the context kills them.
type ExecRunner struct{}

// Run runs name with args.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return stdout.Bytes(), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}

// DockerNetwork is the docker network kind puts its nodes on.
const DockerNetwork = "kind"

// connectNetwork connects the container id to kind's docker network, so
// that the control plane's internal address answers from inside it. A
// container already connected is fine: a second cluster of the same run
// shares the network.
func connectNetwork(ctx context.Context, r Runner, id string) error {
	_, err := r.Run(ctx, "docker", "network", "connect", DockerNetwork, id)
	if err != nil && strings.Contains(err.Error(), "already exists in network") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("connect container %s to docker network %s: %w", id, DockerNetwork, err)
	}
	return nil
}
