package dev.lanyard.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The test kit's node and SPIRE outside JUnit, for {@code make e2e} (scripts/e2e.sh): starts a
 * {@link KubeNode} and {@link SpireOnNode} with the given trust domain, writes
 * {@code STATE_DIR/node.env} (the kubeconfig and the start times, as shell assignments) once both
 * are ready, then runs until {@code STATE_DIR/stop} appears, and tears both down (the kit's own
 * shutdown hooks do the same on SIGTERM).
 *
 * <p>Usage: {@code java -cp TESTKIT_CLASSPATH dev.lanyard.testkit.NodeLauncher STATE_DIR TRUST_DOMAIN}
 */
public final class NodeLauncher {
  private NodeLauncher() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: NodeLauncher STATE_DIR TRUST_DOMAIN");
      System.exit(2);
    }
    Path state = Files.createDirectories(Path.of(args[0]));
    Path stop = state.resolve("stop");
    Files.deleteIfExists(stop);
    Files.deleteIfExists(state.resolve("node.env"));
    try (KubeNode node = KubeNode.start();
        SpireOnNode spire = SpireOnNode.start(node,
            SpireOptions.builder().trustDomain(args[1]).build())) {
      String env = "KUBECONFIG=" + node.kubeconfig() + "\n"
          + "NODE_START_MS=" + node.startTime().toMillis() + "\n"
          + "SPIRE_START_MS=" + spire.startTime().toMillis() + "\n"
          + "CONTAINERD_ADDRESS=" + node.containerdSocket() + "\n"
          + "SPIRE_AGENT_SOCKET=" + spire.agentSocket() + "\n";
      Path written = state.resolve("node.env.tmp");
      Files.writeString(written, env);
      Files.move(written, state.resolve("node.env")); // appears whole, never half-written
      System.err.println("NodeLauncher: node and SPIRE ready; touch " + stop + " to stop");
      while (!Files.exists(stop)) {
        Thread.sleep(Duration.ofMillis(500).toMillis());
      }
      System.err.println("NodeLauncher: stopping SPIRE and the node");
    }
  }
}
