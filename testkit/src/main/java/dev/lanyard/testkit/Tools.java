package dev.lanyard.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the real binaries that {@code scripts/install-tools.sh} builds (spire-server, spire-agent,
 * kube-apiserver, etcd, kubectl, helm, ghostunnel). A missing tool is a test failure that names the
 * install command, never a skip; one that {@code install-tools.sh --background} is still building is
 * waited for ({@link BackgroundToolBuild}).
 */
public final class Tools {
  private Tools() {}

  /** {@code $LANYARD_TOOLS/bin}, or {@code ~/.cache/lanyard/tools/bin} (same rule as install-tools.sh). */
  public static Path binDir() {
    String configured = System.getProperty("lanyard.tools");
    if (configured == null || configured.isBlank() || configured.startsWith("${")) {
      configured = System.getenv("LANYARD_TOOLS");
    }
    Path root = configured == null || configured.isBlank()
        ? Path.of(System.getProperty("user.home"), ".cache", "lanyard", "tools")
        : Path.of(configured);
    return root.resolve("bin");
  }

  /** The path of {@code name}, or an {@link IllegalStateException} saying how to install it. */
  public static Path require(String name) {
    Path tool = binDir().resolve(name);
    BackgroundToolBuild.awaitIfBuilding(binDir().getParent(), tool);
    if (!Files.isExecutable(tool)) {
      throw new IllegalStateException(
          name + " not found at " + tool + ". Build the pinned tools with: scripts/install-tools.sh"
              + " (or: make tools). Set LANYARD_TOOLS if you keep them elsewhere.");
    }
    return tool;
  }
}
