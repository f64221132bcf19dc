# Lanyard's make targets (the README names them: demo, test, tools, bench, soak).
SHELL := /bin/bash
MVN := ./mvnw -B
# The newest JDK on this machine kind; the suite must pass on it too.
NEWEST_JDK ?= $(lastword $(sort $(wildcard /usr/lib/jvm/temurin-*-jdk-amd64)))

.PHONY: tools build images release test test-newest-jdk demo e2e bench soak clean

tools:            ## build the real SPIRE, Kubernetes (control plane and node), etcd, CoreDNS, helm, ghostunnel and the node's images (cached)
	scripts/install-tools.sh

build:            ## compile and package every module, no tests (and no images: they need the tools' bases)
	$(MVN) -q install -DskipTests -Dlanyard.images.skip=true

# Jib, no daemon: docker-archive tarballs in images/target/images (docs/INSTALL.md, "Building the images").
images:           ## build the webhook, sidecar, javaagent and demo images (and their Debian bases, cached)
	scripts/build-images.sh busybox jre17 jre25 python3
	$(MVN) -q package -DskipTests -pl images -am
	@ls -l images/target/images

# Image tarballs, the packaged chart with the images' digests, the CLI (kubectl-lanyard) and SHA256SUMS
# in dist/ (scripts/release.sh; RELEASE_DIR to change it). Reproducible: the same sources give the same
# jar and chart bytes (project.build.outputTimestamp, fixed mtimes for helm package).
RELEASE_DIR ?= dist
release: tools    ## the release artifacts and their SHA-256 checksums in $(RELEASE_DIR)/
	scripts/release.sh $(RELEASE_DIR)

# The tools build in the background (niced) while Maven compiles and tests: testkit's Tools and
# Images wait for one not built yet, in the order the suite first needs them (install-tools.sh), so
# a cold run overlaps the Go builds with the suite's idle time instead of running them first.
test:             ## everything CI runs: unit tests and the real-component integration tests
	scripts/install-tools.sh debian-packages
	scripts/install-tools.sh --background
	$(MVN) verify || { scripts/install-tools.sh --stop; exit 1; }
	scripts/install-tools.sh --await

# On the newest JDK, what hooks that JDK's own classes: the javaagent and the modules it is built
# from (testkit, config, spiffe-tls, the compat apps) with their unit tests, and the javaagent's
# integration tests whose outcome depends on the JDK's internals: every client and server through
# the JSSE hooks (JavaagentMatrixIT, ServerClientAuthIT), the trust decisions inside them
# (PeerVerificationMatrixIT), the hooks failing or arriving late (HookFailureIT, EarlyCapturedTlsIT),
# the socket hooks of the plaintext upgrade (PlaintextUpgradeIT, PlaintextOutboundIT, and the binds
# they cannot reach, UnhookedServerBindIT; their premain install on ASM, PremainSocketHooksIT; the
# frameworks steered off Netty's native transports, NativeTransportSteeringIT), the source-file launcher
# (SourceFileModeIT) and the agent's class isolation (JavaagentPackagingIT). The rest of the
# javaagent's ITs (rotation, outages, JWT, refusals, secure naming, admin) test Lanyard's own logic
# above those hooks and run once, on JDK 17, in `make test`, with the sidecar, webhook, chart, demo
# and images; the sidecar and webhook images run Temurin 25 on the node (README, "What each CI
# pass covers").
NEWEST_JDK_ITS := JavaagentMatrixIT,ServerClientAuthIT,PeerVerificationMatrixIT,HookFailureIT
NEWEST_JDK_ITS := $(NEWEST_JDK_ITS),EarlyCapturedTlsIT,PlaintextUpgradeIT,PlaintextOutboundIT
NEWEST_JDK_ITS := $(NEWEST_JDK_ITS),UnhookedServerBindIT,SourceFileModeIT,JavaagentPackagingIT
NEWEST_JDK_ITS := $(NEWEST_JDK_ITS),NativeTransportSteeringIT,PremainSocketHooksIT
test-newest-jdk: tools  ## the javaagent (and what it is built from) on the newest installed JDK
	@test -n "$(NEWEST_JDK)" || { echo "no newer JDK under /usr/lib/jvm"; exit 1; }
	JAVA_HOME=$(NEWEST_JDK) $(MVN) verify -pl javaagent -am -Dlanyard.jdkNeutralITs.skip=true \
	  '-Dit.test=$(NEWEST_JDK_ITS)' -Dfailsafe.failIfNoSpecifiedTests=false

# The Maven build is skipped when no source of the modules it needs changed since the last one
# (a warm run is then just the demo); any change, or a missing stamp, rebuilds them.
DEMO_STAMP := demo-apps/target/demo-build.stamp
DEMO_MODULES := pom.xml testkit spiffe-tls javaagent sidecar-proxy injector-webhook demo-apps

demo: tools       ## the main job: the AI-agent pipeline on real SPIRE, locally (demo-apps/README.md)
	@if [ -f $(DEMO_STAMP) ] && [ -z "$$(find $(DEMO_MODULES) -path '*/target' -prune -o -type f -newer $(DEMO_STAMP) -print | head -1)" ]; then \
	  echo "make demo: jars up to date with the sources (rm $(DEMO_STAMP) to force a build)"; \
	else \
	  echo "make demo: building the javaagent, sidecar, webhook core and demo workloads ..."; \
	  $(MVN) -q install -DskipTests -pl demo-apps -am && touch $(DEMO_STAMP); \
	fi
	java -cp "demo-apps/target/classes:$$(cat demo-apps/target/classpath.txt)" dev.lanyard.demo.LocalDemo

# README's "Install on a cluster", run on the test kit's real node: helm install, label, the demo
# manifests unchanged, the assessment over mTLS, the refusals, lanyard identities (scripts/e2e.sh).
e2e:              ## the chart and the demo pipeline on a real single-node cluster with SPIRE; phase times at the end
	scripts/e2e.sh

bench: tools      ## benchmarks; results in bench/results/
	bench/run.sh

soak: tools       ## long runs (issue 9): every fuzz target in fuzzing mode, then the 30-minute rotation and leak soak; results in bench/results/
	FUZZ_BUILD=1 scripts/fuzz.sh
	scripts/soak.sh

clean:
	$(MVN) -q clean
