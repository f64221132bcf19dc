package dev.lanyard.proxy;

import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Launches the built {@code lanyard-sidecar.jar} as a real process with its own gid (identity). */
final class SidecarProcess {
  static final Path JAR = Path.of("target/lanyard-sidecar.jar").toAbsolutePath();

  private final Map<String, String> env = new LinkedHashMap<>();
  private final String name;
  private final int gid;
  private String maxHeap = "-Xmx64m";
  private final List<String> jvmArgs = new ArrayList<>();

  private SidecarProcess(String name, int gid, String workloadApiAddress) {
    this.name = name;
    this.gid = gid;
    env.put("SPIFFE_ENDPOINT_SOCKET", workloadApiAddress);
    env.put("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next());
    env.put("LANYARD_SHUTDOWN_ADDRESS", "127.0.0.1:" + FreePorts.next());
    env.put("LANYARD_OUTBOUND_PROXY", "off");
    // As the webhook sets them, so audit records carry an attestation (AuditRecords checks it).
    env.putAll(AuditRecords.DOWNWARD_API);
  }

  static SidecarProcess builder(String name, int gid, SpireCluster cluster) {
    return new SidecarProcess(name, gid, cluster.workloadApiAddress());
  }

  /** A sidecar on another Workload API (e.g. testkit's WorkloadApiDouble), run with our own ids. */
  static SidecarProcess builder(String name, String workloadApiAddress) {
    return new SidecarProcess(name, -1, workloadApiAddress);
  }

  SidecarProcess env(String key, String value) {
    env.put(key, value);
    return this;
  }

  String env(String key) {
    return env.get(key);
  }

  /** Extra JVM options after the defaults (e.g. Netty's leak detector level, NMT). */
  SidecarProcess jvmArg(String... args) {
    jvmArgs.addAll(List.of(args));
    return this;
  }

  /** Starts the sidecar and waits for its ready line. */
  JvmProcess start() {
    JvmProcess process = launch();
    try {
      process.awaitOutput("lanyard: sidecar ready", Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      process.close();
      throw e;
    }
    return process;
  }

  /** Starts the sidecar without waiting for anything (a test that expects it to refuse to run). */
  JvmProcess launch() {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " is missing: run ./mvnw -f sidecar-proxy/pom.xml package");
    }
    return JvmProcess.builder(name).jar(JAR).gid(gid)
        .jvmArg(maxHeap, "-XX:+UseSerialGC")
        .jvmArg(jvmArgs.toArray(String[]::new))
        .env(env).start();
  }
}
