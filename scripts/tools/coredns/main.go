// Command coredns is CoreDNS v1.13.1 with only the plugins a cluster's DNS needs (kubernetes,
// forward, cache, errors, health, ready, loop, reload, loadbalance, log). CoreDNS' own main
// package links every plugin, including the AWS, Azure and Google Cloud ones and their SDKs,
// which would more than double the build; plugins register themselves on import, so importing
// fewer gives the same server with fewer Corefile directives.
package main

import (
	_ "github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() {
	coremain.Run()
}
