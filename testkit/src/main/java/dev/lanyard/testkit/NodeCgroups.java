package dev.lanyard.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The node's own cgroup root ({@code /lanyard-ID} in every cgroup v1 hierarchy; this machine
 * kind mounts v1 with the cgroupfs layout), so that the kubelet's {@code kubepods} tree and every
 * pod's cgroup live under one name and are removed with it.
 */
final class NodeCgroups {
  private static final Path MOUNTS = Path.of("/sys/fs/cgroup");

  private final String name;

  NodeCgroups(String name) {
    this.name = name;
  }

  /** The kubelet's {@code cgroupRoot}. */
  String root() {
    return "/" + name;
  }

  /** Creates the root in each hierarchy; cpuset needs its CPUs and memory nodes copied from above. */
  void create() {
    for (Path hierarchy : hierarchies()) {
      Path dir = hierarchy.resolve(name);
      try {
        Files.createDirectories(dir);
        if (hierarchy.getFileName().toString().equals("cpuset")) {
          for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
            Files.writeString(dir.resolve(file), Files.readString(hierarchy.resolve(file)).trim());
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot create cgroup " + dir + ": " + e, e);
      }
    }
  }

  /** Removes the root and everything under it, deepest first; one line per cgroup left. */
  List<String> remove() {
    List<String> failures = new ArrayList<>();
    for (Path hierarchy : hierarchies()) {
      Path dir = hierarchy.resolve(name);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      List<Path> cgroups;
      try (Stream<Path> walk = Files.walk(dir)) {
        cgroups = walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
      } catch (IOException e) {
        failures.add("cannot list cgroup " + dir + ": " + e);
        continue;
      }
      for (Path cgroup : cgroups) {
        if (!removeWithRetries(cgroup)) {
          failures.add("cgroup " + cgroup + " could not be removed (processes left in it?)");
        }
      }
    }
    return failures;
  }

  private static boolean removeWithRetries(Path cgroup) {
    // A cgroup whose last process just exited can stay busy for a moment.
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        Files.deleteIfExists(cgroup);
        return true;
      } catch (IOException e) {
        ManagedProcess.sleep(200);
      }
    }
    return false;
  }

  private static List<Path> hierarchies() {
    try (Stream<Path> list = Files.list(MOUNTS)) {
      return list.filter(Files::isDirectory).filter(path -> !Files.isSymbolicLink(path)).sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + MOUNTS + ": " + e, e);
    }
  }
}
