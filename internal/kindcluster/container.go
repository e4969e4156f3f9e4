package kindcluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

var (
	// A bind mount of the container's /etc/hostname, /etc/hosts or
	// /etc/resolv.conf from docker's (or podman's) per-container directory.
	mountRE = regexp.MustCompile(`/containers/(?:[^ ]*/)?([0-9a-f]{64})/(?:userdata/)?(?:hostname|hosts|resolv\.conf) `)
	// A cgroup path ending in the container id: /docker/<id>,
	// /system.slice/docker-<id>.scope, /actions_job/<id>.
	cgroupRE = regexp.MustCompile(`[/-]([0-9a-f]{64})(?:\.scope)?$`)
	// docker's default hostname: the id's first 12 hex digits.
	hostnameRE = regexp.MustCompile(`^[0-9a-f]{12}([0-9a-f]{52})?$`)
)

// errNoContainerID says the container's own id could not be found.
var errNoContainerID = errors.New("no container id")

// ContainerID returns the id of the container this process runs in, as
// DetectContainerID finds it in /proc/self and the hostname.
func ContainerID() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("hostname: %w", err)
	}
	return DetectContainerID(os.DirFS("/proc/self"), host)
}

// DetectContainerID finds the id of the container whose /proc/self is proc:
// first from mountinfo (docker bind-mounts /etc/hostname from
// .../containers/<id>/, also under cgroup v2), then from cgroup (cgroup v1
// paths end in the id), then from the hostname, which docker sets to the
// id's first 12 hex digits unless told otherwise (a container action's is).
func DetectContainerID(proc fs.FS, hostname string) (string, error) {
	if b, err := fs.ReadFile(proc, "mountinfo"); err == nil {
		if m := mountRE.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
	}
	if b, err := fs.ReadFile(proc, "cgroup"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			// hierarchy-ID:controllers:path
			parts := strings.SplitN(sc.Text(), ":", 3)
			if len(parts) != 3 {
				continue
			}
			if m := cgroupRE.FindStringSubmatch(parts[2]); m != nil {
				return m[1], nil
			}
		}
	}
	if hostnameRE.MatchString(hostname) {
		return hostname, nil
	}
	return "", fmt.Errorf("%w: /proc/self/mountinfo and /proc/self/cgroup name none and the hostname %q is not one; run outside a container, or give the container id", errNoContainerID, hostname)
}
