package dev.lanyard.images.aot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A directory laid out as an image's file system for a training run: the base's JDK (extracted
 * from its docker-archive tarball, the one Jib builds the image on) and the image's jar at the
 * same paths below the root as in the image.
 */
final class ImageRoot {
  private ImageRoot() {
  }

  /** Extracts {@code javaHome} (e.g. {@code opt/java/openjdk}) of {@code baseTar} under {@code root}. */
  static void extractJdk(Path baseTar, String javaHome, Path root) throws IOException, InterruptedException {
    Files.createDirectories(root);
    // docker-archive: manifest.json, config, <diff id>/layer.tar; the bases have one layer.
    String script = "set -eo pipefail; layer=$(tar -tf \"$1\" | grep '/layer.tar$' | head -1);"
        + " tar -xOf \"$1\" \"$layer\" | tar -x -C \"$2\" \"./$3\"";
    Process tar = new ProcessBuilder(List.of("bash", "-c", script, "extract", baseTar.toString(),
        root.toString(), javaHome)).inheritIO().start();
    if (tar.waitFor() != 0) {
      throw new IllegalStateException("cannot extract " + javaHome + " from " + baseTar
          + " (built by scripts/build-images.sh jre25)");
    }
  }

  /** Copies {@code source} to {@code root/path}. */
  static void copy(Path source, Path root, String path) throws IOException {
    Path target = root.resolve(path);
    Files.createDirectories(target.getParent());
    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
  }
}
