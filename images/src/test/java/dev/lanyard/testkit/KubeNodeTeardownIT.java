package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Closing a node that runs a pod leaves nothing behind: no process, mount, network namespace,
 * cgroup, container log link or file of its own, and the kubelet's sysctls as they were.
 */
class KubeNodeTeardownIT {
  @Test
  void closingANodeWithARunningPodLeavesNothingBehind() throws Exception {
    Map<String, String> sysctlsBefore = sysctls();
    List<Path> hostPathsBefore = KubeNode.HOST_DIRS.stream()
        .filter(path -> Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList();
    java.time.Instant started = java.time.Instant.now();
    KubeNode node = KubeNode.start();
    Path dir;
    String namespace;
    String cgroupRoot;
    String socket;
    try {
      dir = node.directory();
      namespace = node.networkNamespace();
      cgroupRoot = node.cgroupRoot();
      socket = node.containerdSocket().toString();
      node.importImage(Images.require("busybox"));
      node.createNamespace("teardown");
      node.client().resourceList("""
          apiVersion: v1
          kind: Pod
          metadata:
            name: sleeper
          spec:
            containers:
              - name: sleeper
                image: %s
                imagePullPolicy: IfNotPresent
                command: [sleep, "3600"]
          """.formatted(Images.require("busybox").reference())).inNamespace("teardown").create();
      Wait.until("pod sleeper Running", Duration.ofSeconds(120), () -> "Running".equals(
          node.client().pods().inNamespace("teardown").withName("sleeper").get().getStatus().getPhase()));
      assertThat(Mounts.under(dir)).as("mounts while the pod runs").isNotEmpty();
      assertThat(processesMentioning(socket)).as("containerd shims while the pod runs").isNotEmpty();
    } finally {
      node.close();
    }

    assertThat(processesMentioning(socket)).as("processes of the node's containerd").isEmpty();
    assertThat(processesMentioning(dir.toString())).as("processes using the node's directory").isEmpty();
    assertThat(Mounts.under(dir)).as("mounts under " + dir).isEmpty();
    assertThat(dir).doesNotExist();
    assertThat(Command.run(Duration.ofSeconds(10), "ip", "netns", "list").orThrow()).doesNotContain(namespace);
    try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
      assertThat(hierarchies.map(hierarchy -> hierarchy.resolve(cgroupRoot.substring(1))))
          .allSatisfy(cgroup -> assertThat(cgroup).doesNotExist());
    }
    if (Files.isDirectory(Path.of("/var/log/containers"))) {
      try (Stream<Path> links = Files.list(Path.of("/var/log/containers"))) {
        assertThat(links.filter(Files::isSymbolicLink).map(KubeNodeTeardownIT::target))
            .noneMatch(target -> target.startsWith(dir.toString()));
      }
    }
    assertThat(sysctls()).isEqualTo(sysctlsBefore);
    assertThat(KubeNode.HOST_DIRS.stream()
        .filter(path -> Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList())
        .as("paths the kubelet, shims, libcni and ip netns create outside the node's directory")
        .isEqualTo(hostPathsBefore);
    assertThat(Path.of(System.getProperty("user.home"), ".kube", "cache", "http"))
        .as("kubectl's cache stays in the node's directory").satisfiesAnyOf(
            path -> assertThat(path).doesNotExist(),
            path -> assertThat(Files.getLastModifiedTime(path).toInstant()).isBefore(started));
  }

  private static Map<String, String> sysctls() throws Exception {
    Map<String, String> values = new java.util.TreeMap<>();
    for (String name : KernelTunables.KUBELET_SETS) {
      values.put(name, KernelTunables.read(Path.of("/proc/sys", name)));
    }
    return values;
  }

  private static List<Long> processesMentioning(String text) {
    List<Long> pids = new ArrayList<>();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      all.forEach(handle -> {
        try {
          String commandLine = new String(Files.readAllBytes(
              Path.of("/proc", Long.toString(handle.pid()), "cmdline")), StandardCharsets.UTF_8);
          if (commandLine.replace('\0', ' ').contains(text)) {
            pids.add(handle.pid());
          }
        } catch (Exception e) {
          // exited meanwhile
        }
      });
    }
    return pids;
  }

  private static String target(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (Exception e) {
      return "";
    }
  }
}
