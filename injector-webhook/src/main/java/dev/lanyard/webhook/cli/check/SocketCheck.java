package dev.lanyard.webhook.cli.check;

import java.util.List;
import java.util.Optional;

/**
 * Can injected pods reach the SPIRE Agent's Workload API socket? In {@code csi} mode: the CSI
 * driver is registered (its {@code CSIDriver} object exists). In {@code hostPath} mode the socket
 * is a file on each node, which the API server cannot see; the signal is the agent that serves it:
 * a DaemonSet mounting the configured socket directory by hostPath (or a directory containing it),
 * with every scheduled pod ready.
 */
public final class SocketCheck {
  private SocketCheck() {}

  /** What the check needs to know about a DaemonSet. */
  public record DaemonSetFacts(
      String namespace, String name, List<String> hostPaths, int desired, int ready) {}

  public static CheckResult csi(String driver, List<String> registeredDrivers) {
    return registeredDrivers.contains(driver)
        ? CheckResult.pass("CSI driver " + driver + " is registered (CSIDriver object)")
        : CheckResult.fail(
            "CSI driver " + driver,
            "no CSIDriver object named "
                + driver
                + (registeredDrivers.isEmpty()
                    ? " (none registered)"
                    : " (registered: " + String.join(", ", registeredDrivers) + ")"),
            "install the SPIFFE CSI driver (spiffe-csi-driver, part of SPIRE's Helm charts), or"
                + " set injector.socket.type=hostPath with the SPIRE Agent's socket directory");
  }

  public static CheckResult hostPath(String socketDir, List<DaemonSetFacts> daemonSets) {
    Optional<DaemonSetFacts> agent =
        daemonSets.stream()
            .filter(ds -> ds.hostPaths().stream().anyMatch(path -> covers(path, socketDir)))
            .findFirst();
    if (agent.isEmpty()) {
      return CheckResult.fail(
          "SPIRE Agent socket directory " + socketDir,
          "no DaemonSet mounts hostPath "
              + socketDir
              + " (the SPIRE Agent serves its socket there)",
          "deploy the SPIRE Agent as a DaemonSet with its socket directory on hostPath "
              + socketDir
              + ", or set injector.socket.hostPath to the directory your agents use");
    }
    DaemonSetFacts ds = agent.get();
    String name = "DaemonSet " + ds.namespace() + "/" + ds.name();
    if (ds.desired() == 0 || ds.ready() < ds.desired()) {
      return CheckResult.fail(
          "SPIRE Agent socket directory " + socketDir,
          name + " has " + ds.ready() + " of " + ds.desired() + " pods ready",
          "kubectl -n " + ds.namespace() + " describe daemonset " + ds.name());
    }
    return CheckResult.pass(
        "SPIRE Agent socket directory "
            + socketDir
            + " is served on every node by "
            + name
            + " ("
            + ds.ready()
            + "/"
            + ds.desired()
            + " ready)");
  }

  /** The DaemonSet's hostPath is the socket directory or one of its parents. */
  private static boolean covers(String mounted, String socketDir) {
    String dir = strip(socketDir);
    String path = strip(mounted);
    return dir.equals(path) || dir.startsWith(path.equals("/") ? "/" : path + "/");
  }

  private static String strip(String path) {
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
