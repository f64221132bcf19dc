package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SPIRE on the node starts and stops cleanly: a step that fails names itself, and closing stops
 * the server, the agent and the controller manager and removes the chart's socket directory it
 * created. (What it serves pods is proven in charts' ClusterSpiffeIdOnNodeIT.)
 */
class SpireOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster = new KubeNodeExtension();

  private static final Path SOCKET_DIRECTORY = Path.of(SpireOnNode.SOCKET_DIRECTORY);

  @Test
  void aSocketDirectoryAnotherAgentUsesStopsTheStartAtTheStepThatNamesIt() throws Exception {
    List<Path> missingBefore = missingParents();
    Path foreign = SOCKET_DIRECTORY.resolve("other-agent.sock");
    Files.createDirectories(SOCKET_DIRECTORY);
    Files.writeString(foreign, "");
    try {
      assertThatThrownBy(() -> SpireOnNode.start(cluster.node(), SpireOptions.builder().build()))
          .hasMessageStartingWith("SPIRE on the node did not start: step 'socket directory' failed: "
              + SOCKET_DIRECTORY + " is not empty: another SPIRE Agent serves there");
      assertThat(foreign).as("what another agent keeps there is left alone").exists();
    } finally {
      Files.deleteIfExists(foreign);
      for (Path dir : missingBefore) {
        Files.deleteIfExists(dir);
      }
    }
  }

  @Test
  void closingStopsServerAgentAndControllerManagerAndRemovesTheSocketDirectory() {
    List<Path> missingBefore = missingParents();
    SpireOnNode spire = SpireOnNode.start(cluster.node(), SpireOptions.builder().build());
    Path dir = spire.directory();
    try {
      assertThat(processesMentioning(dir)).as("spire-server, spire-agent, spire-controller-manager")
          .hasSize(3);
      assertThat(spire.agentSocket()).exists();
    } finally {
      spire.close();
    }

    assertThat(processesMentioning(dir)).isEmpty();
    assertThat(dir).doesNotExist();
    assertThat(missingBefore).allSatisfy(path -> assertThat(path).doesNotExist());
    assertThat(SOCKET_DIRECTORY).doesNotExist();
  }

  @Test
  void theKubeletServesTheAgentsCertificateThePodListOnlyAndAnonymousOrUnboundUsersNothing() throws Exception {
    try (SpireOnNode spire = SpireOnNode.start(cluster.node(), SpireOptions.builder().build())) {
      Path client = spire.directory().resolve("kubelet-client");
      String pods = "https://" + cluster.node().nodeIp() + ":10250/pods";
      TestPki.Issued unbound = cluster.node().apiServer().issueClientCertificate("lanyard:unbound", null);
      Path unboundCert = Files.writeString(spire.directory().resolve("unbound.crt"), unbound.certificatePem());
      Path unboundKey = Files.writeString(spire.directory().resolve("unbound.key"), unbound.keyPem());

      assertThat(curl("--cacert", client.resolve("ca.crt").toString(), pods))
          .as("anonymous GET /pods").startsWith("401");
      assertThat(curl("--cacert", client.resolve("ca.crt").toString(), "--cert", unboundCert.toString(),
          "--key", unboundKey.toString(), pods))
          .as("GET /pods as a user without RBAC").startsWith("403 Forbidden (user=lanyard:unbound, verb=get, resource=nodes");
      assertThat(curl("--cacert", client.resolve("ca.crt").toString(),
          "--cert", client.resolve("client.crt").toString(),
          "--key", client.resolve("client.key").toString(), pods))
          .as("GET /pods as " + SpireOnNode.AGENT_USER).startsWith("200").contains("\"kind\":\"PodList\"");
      assertThat(curl("--cacert", client.resolve("ca.crt").toString(),
          "--cert", client.resolve("client.crt").toString(),
          "--key", client.resolve("client.key").toString(),
          "https://" + cluster.node().nodeIp() + ":10250/configz"))
          .as("the agent may list pods, nothing else of the kubelet (configz is nodes/proxy)")
          .startsWith("403 Forbidden (user=" + SpireOnNode.AGENT_USER);
    }
  }

  /** The HTTP status, a space and the body. */
  private static String curl(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("curl", "-sS", "-w", "\\n%{http_code}"));
    command.addAll(List.of(args));
    String output = Command.run(java.time.Duration.ofSeconds(20), command).output().strip();
    int lastLine = output.lastIndexOf('\n');
    return output.substring(lastLine + 1) + " " + output.substring(0, Math.max(lastLine, 0));
  }

  /** The socket directory and those of its parents that do not exist now (deepest first). */
  private static List<Path> missingParents() {
    List<Path> missing = new java.util.ArrayList<>();
    for (Path dir = SOCKET_DIRECTORY; dir != null && !Files.exists(dir); dir = dir.getParent()) {
      missing.add(dir);
    }
    assertThat(missing).as("the test needs %s absent at the start", SOCKET_DIRECTORY)
        .contains(SOCKET_DIRECTORY);
    return missing;
  }

  private static List<String> processesMentioning(Path dir) {
    return ProcessHandle.allProcesses()
        .map(process -> process.info().commandLine().orElse(""))
        .filter(line -> line.contains(dir.toString()))
        .toList();
  }
}
