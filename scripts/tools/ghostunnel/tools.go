//go:build tools

// Package tools pins ghostunnel for scripts/install-tools.sh.
package tools

import _ "github.com/ghostunnel/ghostunnel"
