//go:build tools

// Package tools pins spire-controller-manager for scripts/install-tools.sh: it reconciles
// ClusterSPIFFEIDs into SPIRE entries on the test node (testkit's SpireOnNode). The main package
// is cmd/, not the module root.
package tools

import (
	_ "github.com/spiffe/spire-controller-manager/cmd"
)
