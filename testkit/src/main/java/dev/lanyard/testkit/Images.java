package dev.lanyard.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Docker-archive image tarballs: the node's base images {@code scripts/build-images.sh} builds
 * (pause, busybox, coredns, jre17, python3), found next to the tools like {@link Tools}, and the
 * project's own images (webhook, sidecar, javaagent, demo) that the {@code images} module builds
 * with Jib. A missing image fails with the command that builds it.
 */
public final class Images {
  /** The system property naming the directory of the project's images (set by images/pom.xml). */
  public static final String BUILT_DIR_PROPERTY = "lanyard.images.dir";

  private Images() {}

  /** One image: its tarball and the reference pods use ({@code imagePullPolicy: IfNotPresent}). */
  public record Image(String name, String reference, Path tarball) {}

  public static Path dir() {
    return Tools.binDir().resolveSibling("images");
  }

  /** A base image of {@code scripts/build-images.sh}: {@code NAME.tar} and its {@code NAME.ref}. */
  public static Image require(String name) {
    Path tarball = dir().resolve(name + ".tar");
    Path reference = dir().resolve(name + ".ref");
    // The .ref is written after the tarball: once it exists, both are whole.
    BackgroundToolBuild.awaitIfBuilding(dir().getParent(), reference);
    if (!Files.isRegularFile(tarball) || !Files.isRegularFile(reference)) {
      throw new IllegalStateException("image " + name + " not found at " + tarball
          + ". Build the images with: scripts/install-tools.sh (or scripts/build-images.sh " + name
          + "). Set LANYARD_TOOLS if you keep them elsewhere.");
    }
    try {
      return new Image(name, Files.readString(reference).strip(), tarball);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + reference + ": " + e, e);
    }
  }

  /**
   * One of the project's images ({@code webhook}, {@code sidecar}, {@code javaagent},
   * {@code demo-workloads}, {@code demo-notifier}): {@code NAME.tar} in the directory the
   * {@value #BUILT_DIR_PROPERTY} system property names, {@code images/target/images} by default.
   */
  public static Image built(String name) {
    String configured = System.getProperty(BUILT_DIR_PROPERTY);
    Path dir = configured == null || configured.isBlank() ? Path.of("images", "target", "images")
        : Path.of(configured);
    Path tarball = dir.resolve(name + ".tar");
    if (!Files.isRegularFile(tarball)) {
      throw new IllegalStateException("image " + name + " not found at " + tarball.toAbsolutePath()
          + ". Build the project's images with: make images (or ./mvnw -pl images -am package"
          + " -DskipTests); set -D" + BUILT_DIR_PROPERTY + " if they are elsewhere.");
    }
    return fromTarball(name, tarball);
  }

  /** An image from a docker-archive tarball; its reference is the first tag its manifest names. */
  public static Image fromTarball(String name, Path tarball) {
    Command.Result manifest = Command.run(Duration.ofSeconds(60), "tar", "-xOf", tarball.toString(),
        "manifest.json");
    if (!manifest.ok()) {
      throw new IllegalStateException("cannot read manifest.json of " + tarball + " (is it a"
          + " docker-archive tarball?): " + manifest.output().strip());
    }
    try {
      JsonNode tags = new ObjectMapper().readTree(manifest.output()).path(0).path("RepoTags");
      if (!tags.isArray() || tags.isEmpty()) {
        throw new IllegalStateException("the manifest.json of " + tarball + " names no RepoTags,"
            + " so pods could not refer to the image: build it with a tag");
      }
      return new Image(name, tags.get(0).asText(), tarball);
    } catch (IOException e) {
      throw new IllegalStateException("the manifest.json of " + tarball + " is not JSON: " + e, e);
    }
  }
}
