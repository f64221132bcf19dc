package dev.lanyard.images.aot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A built image (Jib's docker-archive tarball) unpacked into a directory, layer over layer, with
 * its entrypoint read from its config: the image's file system and command, run in place by a test
 * with every absolute path of the command moved below the directory.
 */
final class ImageFileSystem {
  private final Path root;
  private final List<String> entrypoint;
  private final Map<String, String> env;

  private ImageFileSystem(Path root, List<String> entrypoint, Map<String, String> env) {
    this.root = root;
    this.entrypoint = entrypoint;
    this.env = env;
  }

  static ImageFileSystem unpack(Path tarball, Path root) throws IOException, InterruptedException {
    Files.createDirectories(root);
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(shell("tar -xOf \"$1\" manifest.json", tarball, root)).get(0);
    for (JsonNode layer : manifest.get("Layers")) {
      // Jib gzips the layers it writes; gzip -dcf passes an uncompressed one through.
      shell("tar -xOf \"$1\" \"$3\" | gzip -dcf | tar -x -C \"$2\"", tarball, root, layer.asText());
    }
    JsonNode config = json.readTree(shell("tar -xOf \"$1\" \"$3\"", tarball, root,
        manifest.get("Config").asText())).get("config");
    List<String> entrypoint = new ArrayList<>();
    config.get("Entrypoint").forEach(arg -> entrypoint.add(arg.asText()));
    Map<String, String> env = new LinkedHashMap<>();
    config.path("Env").forEach(pair -> {
      String[] kv = pair.asText().split("=", 2);
      env.put(kv[0], kv[1]);
    });
    return new ImageFileSystem(root, entrypoint, env);
  }

  Path root() {
    return root;
  }

  List<String> entrypoint() {
    return entrypoint;
  }

  /** The image's environment variables (its config's {@code Env}). */
  Map<String, String> env() {
    return env;
  }

  /** {@code name}'s value in the image's environment, with {@code /opt/...} below the root. */
  String envBelowRoot(String name) {
    return env.get(name).replace("/opt/", root + "/opt/");
  }

  /**
   * The entrypoint run from the root: the program resolved inside the image (an absolute symlink
   * such as {@code /usr/bin/java} followed below the root), {@code /opt/...} paths below the root,
   * {@code extraJvmOptions} after the program.
   */
  List<String> command(List<String> extraJvmOptions, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(insideImage(entrypoint.get(0)).toString());
    command.addAll(extraJvmOptions);
    for (int i = 1; i < entrypoint.size(); i++) {
      command.add(entrypoint.get(i).replace("/opt/", root + "/opt/"));
    }
    command.addAll(args);
    return command;
  }

  /** An absolute path of the image, as a path below the root (absolute symlinks followed there). */
  Path insideImage(String absolute) throws IOException {
    Path path = root.resolve(absolute.substring(1));
    for (int hops = 0; Files.isSymbolicLink(path) && hops < 8; hops++) {
      Path target = Files.readSymbolicLink(path);
      path = target.isAbsolute() ? root.resolve(target.toString().substring(1))
          : path.resolveSibling(target);
    }
    return path;
  }

  private static String shell(String script, Path tarball, Path root, String... more)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", "-c", "set -eo pipefail; " + script,
        "image", tarball.toString(), root.toString()));
    command.addAll(List.of(more));
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(process.getInputStream().readAllBytes());
    if (process.waitFor() != 0) {
      throw new IllegalStateException("failed on " + tarball + ": " + script);
    }
    return out;
  }
}
