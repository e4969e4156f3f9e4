package internal

import (
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/google/go-containerregistry/pkg/v1/mutate"
	_ "github.com/google/go-containerregistry/pkg/v1/random"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/google/go-containerregistry/pkg/v1/tarball"
	_ "github.com/jstemmer/go-junit-report/v2/parser/gotest"
	_ "github.com/prometheus/client_golang/api/prometheus/v1"
	_ "github.com/vektah/gqlparser/v2"
	_ "sigs.k8s.io/kind/pkg/cluster"
	_ "sigs.k8s.io/kind/pkg/cluster/nodeutils"
)
