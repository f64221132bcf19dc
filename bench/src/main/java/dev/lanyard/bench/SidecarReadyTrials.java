package dev.lanyard.bench;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Measurement of {@link SidecarBench}: how soon a sidecar started before its registration is
 * ready once the SPIRE Agent serves its SVID, over {@code --ready-trials} trials.
 */
final class SidecarReadyTrials {
  /** Delays between a waiting sidecar's start and its SPIRE registration, cycled over the trials. */
  private static final long[] REGISTRATION_DELAYS_MS = {500, 1_500, 3_000, 5_000};

  private final SidecarBench.Settings settings;
  private final SidecarReport report;
  private final Path sidecarJar;
  private final Path logs;

  SidecarReadyTrials(SidecarBench.Settings settings, SidecarReport report, Path sidecarJar,
      Path logs) {
    this.settings = settings;
    this.report = report;
    this.sidecarJar = sidecarJar;
    this.logs = logs;
  }

  /**
   * A sidecar started before its workload is registered (as in a pod whose entry reaches the SPIRE
   * Agent after the pod starts): the time from the moment the SPIRE Agent first serves the SVID
   * (polled with {@code spire-agent api fetch x509} under the workload's gid) to the sidecar's
   * {@code /ready} answering 200 (polled every 10 ms).
   */
  void run(SpireCluster spire, int backendPort) {
    for (int trial = 0; trial < settings.readyTrials(); trial++) {
      int gid = SidecarBench.READY_GID_BASE + trial;
      String id = "spiffe://" + spire.trustDomain() + "/ns/bench/sa/ready-" + trial;
      String admin = "127.0.0.1:" + FreePorts.next();
      List<String> command = JvmProcess.builder("ready-" + trial).gid(gid)
          .jvmArg(SidecarBench.DOCUMENTED_FLAGS.toArray(String[]::new)).jar(sidecarJar).command();
      Map<String, String> env = SidecarSetups.sidecarEnv(spire, admin, "LANYARD_INBOUND",
          FreePorts.next() + ":" + backendPort, "LANYARD_STARTUP", "wait=120s,then=fail");
      try (SidecarChild sidecar = SidecarChild.start("ready-" + trial, command, env, logs)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (AdminHttp.get("http://" + admin + "/ready").status() < 0 && System.nanoTime() < deadline) {
          SidecarChild.sleep(50);
        }
        long delay = REGISTRATION_DELAYS_MS[trial % REGISTRATION_DELAYS_MS.length];
        SidecarChild.sleep(delay);
        long registered = System.nanoTime();
        spire.register(id, "unix:gid:" + gid);
        long served = awaitServed(spire, gid, id);
        long ready = awaitReady(admin);
        double readyAfterServedMs = (ready - served) / 1e6;
        report.readyTrials.add(new SidecarReport.ReadyTrial(delay, (served - registered) / 1e6,
            readyAfterServedMs));
        SidecarBench.log("ready trial " + (trial + 1) + ": registered " + delay + " ms after start; SVID served "
            + Math.round((served - registered) / 1e6) + " ms after registration; /ready 200 "
            + Math.round(readyAfterServedMs) + " ms after that");
        if (trial == 0) {
          report.readyCommand = String.join(" ", command);
        }
      }
    }
  }

  /** Polls the Workload API as {@code gid}; returns when a fetch that returned the SVID started. */
  private static long awaitServed(SpireCluster spire, int gid, String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      long started = System.nanoTime();
      Command.Result fetch = Command.run(Duration.ofSeconds(10), Command.asGid(gid, List.of(
          Tools.require("spire-agent").toString(), "api", "fetch", "x509",
          "-socketPath", spire.agentSocket().toString(), "-timeout", "1s")));
      if (fetch.ok() && fetch.output().contains(id)) {
        return started;
      }
    }
    throw new IllegalStateException("SPIRE Agent never served " + id);
  }

  private static long awaitReady(String admin) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (AdminHttp.get("http://" + admin + "/ready").status() == 200) {
        return System.nanoTime();
      }
      SidecarChild.sleep(10);
    }
    throw new IllegalStateException("sidecar at " + admin + " never became ready");
  }
}
