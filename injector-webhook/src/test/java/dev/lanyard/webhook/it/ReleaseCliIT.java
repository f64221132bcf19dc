package dev.lanyard.webhook.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.Tools;
import dev.lanyard.webhook.LanyardVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release's CLI as a user installs it: {@code scripts/release-assemble.sh} (the part of {@code
 * make release} after the build) lays out the artifacts; then the real kubectl runs the one-file
 * {@code kubectl-lanyard} as a plugin, from a PATH holding nothing but that directory, kubectl and
 * a Java runtime made by jlink without the JDK's tools (no javac, no Maven, no checkout: the working
 * directory is elsewhere).
 */
class ReleaseCliIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String VERSION = LanyardVersion.current();

  @TempDir static Path work;
  static Path release;
  static Path jre;

  @BeforeAll
  static void assembleTheReleaseAndAJre() throws Exception {
    release = work.resolve("dist");
    String assembled = run(ROOT, Map.of(), List.of(ROOT.resolve("scripts/release-assemble.sh")
        .toString(), release.toString(), VERSION));
    assertThat(assembled).contains("kubectl-lanyard", "lanyard-cli-" + VERSION + ".jar");
    jre = work.resolve("jre");
    Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
    run(work, Map.of(), List.of(jlink.toString(), "--add-modules",
        "java.se,jdk.crypto.ec,jdk.unsupported", "--no-header-files", "--no-man-pages",
        "--strip-debug", "--output", jre.toString()));
  }

  @Test
  void theReleaseHoldsTheCliTheChartAndTheirChecksums() throws Exception {
    assertThat(release.resolve("kubectl-lanyard")).isExecutable();
    assertThat(release.resolve("lanyard-cli-" + VERSION + ".jar")).isRegularFile();
    Path chart = release.resolve("lanyard-" + VERSION + ".tgz");
    assertThat(chart).isRegularFile();

    Map<String, String> sums = new LinkedHashMap<>();
    for (String line : Files.readAllLines(release.resolve("SHA256SUMS"))) {
      sums.put(line.substring(66), line.substring(0, 64));
    }
    assertThat(sums.keySet()).containsExactlyInAnyOrder("kubectl-lanyard",
        "lanyard-cli-" + VERSION + ".jar", "lanyard-" + VERSION + ".tgz");
    for (Map.Entry<String, String> sum : sums.entrySet()) {
      assertThat(sha256(release.resolve(sum.getKey()))).as(sum.getKey()).isEqualTo(sum.getValue());
    }
    String chartYaml = run(work, Map.of(), List.of(Tools.require("helm").toString(), "show",
        "chart", chart.toString()));
    assertThat(chartYaml).contains("version: " + VERSION, "kubeVersion: '>=1.29.0-0'");
  }

  @Test
  void kubectlRunsThePluginWithOnlyAJre() throws Exception {
    assertThat(jre.resolve("bin/java")).isExecutable();
    assertThat(jre.resolve("bin/javac")).as("a runtime, not a JDK").doesNotExist();
    Path kubectlDir = work.resolve("kubectl-only");
    Files.createDirectories(kubectlDir);
    Files.createSymbolicLink(kubectlDir.resolve("kubectl"), Tools.require("kubectl"));
    Path elsewhere = Files.createDirectories(work.resolve("home"));
    Map<String, String> env = Map.of(
        "PATH", release + ":" + kubectlDir + ":" + jre.resolve("bin"),
        "HOME", elsewhere.toString());

    String plugins = run(elsewhere, env, List.of("kubectl", "plugin", "list"));
    String version = run(elsewhere, env, List.of("kubectl", "lanyard", "version"));

    assertThat(plugins).contains(release.resolve("kubectl-lanyard").toString());
    assertThat(version).startsWith("lanyard " + VERSION + "\n")
        .contains("javaagent image: ghcr.io/lanyard-dev/lanyard-javaagent:" + VERSION,
            "sidecar image:   ghcr.io/lanyard-dev/lanyard-sidecar:" + VERSION,
            "java:            " + System.getProperty("java.version"));
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  /** Runs {@code command} in {@code dir} with exactly {@code env} (inherited when empty). */
  private static String run(Path dir, Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true);
    if (!env.isEmpty()) {
      builder.environment().clear();
      builder.environment().putAll(env);
    }
    Process process = builder.start();
    byte[] out = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as("%s:%n%s", command, text).isZero();
    return text;
  }
}
