package dev.lanyard.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The docker-archive images {@code scripts/build-images.sh} builds (pause, busybox, coredns,
 * jre17), found next to the tools like {@link Tools}: a missing image fails with the command
 * that builds it.
 */
public final class Images {
  private Images() {}

  /** One image: its tarball and the reference pods use ({@code imagePullPolicy: IfNotPresent}). */
  public record Image(String name, String reference, Path tarball) {}

  public static Path dir() {
    return Tools.binDir().resolveSibling("images");
  }

  public static Image require(String name) {
    Path tarball = dir().resolve(name + ".tar");
    Path reference = dir().resolve(name + ".ref");
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
}
