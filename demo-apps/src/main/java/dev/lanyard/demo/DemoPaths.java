package dev.lanyard.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the built jars, the manifests and the Python workload are, relative to the repository. */
record DemoPaths(Path repo) {
  /** The repository root: the working directory ({@code make demo}) or its parent (the module's tests). */
  static DemoPaths detect() {
    Path here = Path.of("").toAbsolutePath();
    for (Path candidate : new Path[] {here, here.getParent()}) {
      if (candidate != null && Files.isDirectory(candidate.resolve("demo-apps/k8s"))) {
        return new DemoPaths(candidate);
      }
    }
    throw new IllegalStateException("run from the repository root: no demo-apps/k8s under " + here);
  }

  Path manifests() {
    return repo.resolve("demo-apps/k8s");
  }

  Path javaagentJar() {
    return repo.resolve("javaagent/target/lanyard-javaagent.jar");
  }

  Path sidecarJar() {
    return repo.resolve("sidecar-proxy/target/lanyard-sidecar.jar");
  }

  Path notifierScript() {
    return repo.resolve("demo-apps/python/notifier.py");
  }

  /** The workloads' own jar: {@code dev.lanyard.demo.workloads} only, no dependencies. */
  Path workloadsJar() {
    try (Stream<Path> files = Files.list(repo.resolve("demo-apps/target"))) {
      return files.filter(f -> f.getFileName().toString().endsWith("-workloads.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException(notBuilt("demo-apps/target/*-workloads.jar")));
    } catch (IOException e) {
      throw new UncheckedIOException(notBuilt("demo-apps/target"), e);
    }
  }

  void requireBuilt() {
    for (Path jar : List.of(javaagentJar(), sidecarJar(), workloadsJar())) {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(notBuilt(repo.relativize(jar).toString()));
      }
    }
  }

  private static String notBuilt(String what) {
    return what + " is missing: build with ./mvnw -q install -DskipTests -pl demo-apps -am";
  }
}
