//go:build tools

// Package tools pins SPIRE for scripts/install-tools.sh (see ../../../shared/FACTS.md).
package tools

import (
	_ "github.com/spiffe/spire/cmd/spire-agent"
	_ "github.com/spiffe/spire/cmd/spire-server"
)
