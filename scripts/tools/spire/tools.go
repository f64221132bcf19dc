//go:build tools

// Package tools pins SPIRE for scripts/install-tools.sh (README, "What the tests use").
package tools

import (
	_ "github.com/spiffe/spire/cmd/spire-agent"
	_ "github.com/spiffe/spire/cmd/spire-server"
)
