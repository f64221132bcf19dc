package dev.lanyard.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Debian's containerd 1.6 with its CRI plugin and runc, for one test node: root, state, socket,
 * CNI configuration and the CNI plugins' IP allocations all under the node's directory, started
 * inside the node's network namespace. Images come from docker-archive tarballs
 * ({@link #importImage}), never from a registry.
 */
final class Containerd {
  static final String BINARY = "/usr/bin/containerd";
  static final String CTR = "/usr/bin/ctr";
  static final String RUNC = "/usr/sbin/runc";
  static final String CNI_BIN = "/usr/lib/cni";

  private final Path dir;
  private ManagedProcess process;

  Containerd(Path dir) {
    this.dir = dir;
  }

  /** The CRI socket the kubelet talks to. */
  Path socket() {
    return dir.resolve("containerd.sock");
  }

  Path root() {
    return dir.resolve("root");
  }

  Path state() {
    return dir.resolve("state");
  }

  ManagedProcess process() {
    return process;
  }

  /**
   * Writes the config and the CNI bridge network, starts containerd with {@code launcher} and
   * waits until it answers. {@code sandboxImage} must be imported before the first pod.
   */
  void start(List<String> launcher, String networkName, String podCidr, String sandboxImage) {
    for (String binary : List.of(BINARY, CTR, RUNC, CNI_BIN + "/bridge", CNI_BIN + "/host-local",
        CNI_BIN + "/portmap", CNI_BIN + "/loopback")) {
      if (!Files.isExecutable(Path.of(binary))) {
        throw new IllegalStateException(binary + " is missing: apt-get install containerd runc"
            + " containernetworking-plugins (scripts/install-tools.sh installs them)");
      }
    }
    Path cniConf = dir.resolve("cni/net.d");
    KubeApiServer.write(mkdirs(cniConf).resolve("10-" + networkName + ".conflist"),
        cniConflist(networkName, podCidr, mkdirs(dir.resolve("cni/ipam"))));
    Path config = KubeApiServer.write(dir.resolve("config.toml"), config(cniConf, sandboxImage));
    List<String> command = new ArrayList<>(launcher);
    command.addAll(List.of(BINARY, "--config", config.toString(), "--log-level", "warn"));
    process = ManagedProcess.start("containerd", command, Map.of(), dir, dir.resolve("containerd.log"));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!ctr(Duration.ofSeconds(5), "version").ok()) {
      if (!process.isAlive()) {
        throw new IllegalStateException("containerd exited: " + lastLine(process));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("containerd did not answer on " + socket() + " within 30 s");
      }
      ManagedProcess.sleep(200);
    }
  }

  /** Imports a docker-archive tarball into the CRI's namespace, unpacked for overlayfs. */
  void importImage(Path tarball) {
    Command.Result result = ctr(Duration.ofMinutes(3), "images", "import", tarball.toString());
    if (!result.ok()) {
      throw new IllegalStateException("ctr images import " + tarball + " failed (exit "
          + result.exitCode() + "): " + result.output().strip());
    }
  }

  /** The containers (sandboxes included) that still have a running task. */
  List<String> runningTasks() {
    Command.Result result = ctr(Duration.ofSeconds(10), "tasks", "ls", "-q");
    return result.ok() ? result.output().lines().filter(line -> !line.isBlank()).toList() : List.of();
  }

  Command.Result ctr(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(CTR, "--address", socket().toString(), "--namespace", "k8s.io"));
    command.addAll(List.of(args));
    return Command.run(timeout, command);
  }

  /**
   * Stops containerd, then what it leaves running: the runc shims of this containerd (their
   * command line names its socket) and every process under them. Returns one line per survivor.
   */
  List<String> stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10));
    }
    List<String> failures = new ArrayList<>();
    for (ProcessHandle shim : shims()) {
      shim.descendants().forEach(ProcessHandle::destroyForcibly);
      shim.destroyForcibly();
      try {
        shim.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        failures.add("containerd shim " + shim.pid() + " still running: " + e);
      }
    }
    return failures;
  }

  private List<ProcessHandle> shims() {
    String address = socket().toString();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(handle -> commandLine(handle.pid()).contains(address))
          .filter(handle -> commandLine(handle.pid()).contains("containerd-shim"))
          .toList();
    }
  }

  private static String commandLine(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
          StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private String config(Path cniConf, String sandboxImage) {
    // restrict_oom_score_adj: lowering oom_score_adj needs CAP_SYS_RESOURCE, which this machine
    // kind lacks; without it every sandbox fails in runc. Network namespaces are mounted under
    // the state directory so that unmounting that directory leaves nothing behind.
    return """
        version = 2
        root = "%s"
        state = "%s"
        disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
          "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
          "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
        [grpc]
          address = "%s"
        [ttrpc]
          address = "%s.ttrpc"
        [plugins."io.containerd.internal.v1.opt"]
          path = "%s"
        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "%s"
          restrict_oom_score_adj = true
          netns_mounts_under_state_dir = true
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          enable_selinux = false
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                BinaryName = "%s"
                Root = "%s"
                SystemdCgroup = false
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "%s"
            conf_dir = "%s"
            max_conf_num = 1
        """.formatted(root(), state(), socket(), socket(), dir.resolve("opt"), sandboxImage, RUNC,
        state().resolve("runc"), CNI_BIN, cniConf);
  }

  /**
   * A bridge network with host-local addresses (allocations kept under the node's directory),
   * masquerading traffic that leaves the pod range, and port mappings. containerd adds the
   * loopback interface itself.
   */
  private static String cniConflist(String name, String podCidr, Path ipamDir) {
    return """
        {
          "cniVersion": "1.0.0",
          "name": "%s",
          "plugins": [
            {
              "type": "bridge",
              "bridge": "lanyard0",
              "isGateway": true,
              "ipMasq": true,
              "hairpinMode": true,
              "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": "%s"}]],
                "routes": [{"dst": "0.0.0.0/0"}],
                "dataDir": "%s"
              }
            },
            {"type": "portmap", "capabilities": {"portMappings": true}}
          ]
        }
        """.formatted(name, podCidr, ipamDir);
  }

  private static Path mkdirs(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir + ": " + e, e);
    }
  }

  static String lastLine(ManagedProcess process) {
    List<String> lines = process.tail(20).lines().filter(line -> !line.isBlank()).toList();
    return lines.isEmpty() ? "(no output; log " + process.log() + ")" : lines.get(lines.size() - 1);
  }
}
