package dev.lanyard.charts;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The real helm binary run on {@code charts/lanyard}: lint and template. */
final class Helm {
  static final String RELEASE = "lanyard";
  static final String NAMESPACE = "lanyard-system";
  /**
   * What {@code helm template} renders for: the test kit's kube-apiserver (without it helm assumes
   * v1.20, which the chart's kubeVersion refuses).
   */
  static final String KUBE_VERSION = "v1.35.4";
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private Helm() {}

  /** charts/lanyard, as the build passes it (or found from the working directory). */
  static Path chartDir() {
    String configured = System.getProperty("lanyard.chart.dir");
    Path dir = configured == null || configured.isBlank() ? Path.of("lanyard") : Path.of(configured);
    if (!Files.isRegularFile(dir.resolve("Chart.yaml"))) {
      throw new IllegalStateException("no Chart.yaml in " + dir.toAbsolutePath());
    }
    return dir;
  }

  static Command.Result lint(Map<String, String> values) {
    List<String> command = new ArrayList<>(List.of(helm(), "lint", "--strict", chartDir().toString()));
    command.addAll(setFlags(values));
    return Command.run(TIMEOUT, command);
  }

  /** {@code helm template} of the release in {@link #NAMESPACE}; fails the test if helm fails. */
  static Rendered template(Map<String, String> values) {
    return Rendered.parse(templateCommand(values).orThrow());
  }

  static Command.Result templateCommand(Map<String, String> values) {
    List<String> command =
        new ArrayList<>(
            List.of(helm(), "template", RELEASE, chartDir().toString(), "--namespace", NAMESPACE,
                "--kube-version", KUBE_VERSION));
    command.addAll(setFlags(values));
    return Command.run(TIMEOUT, command);
  }

  /** {@code --set-string} for strings, {@code --set} for numbers and booleans. */
  private static List<String> setFlags(Map<String, String> values) {
    List<String> flags = new ArrayList<>();
    for (Map.Entry<String, String> value : new TreeMap<>(values).entrySet()) {
      boolean literal = value.getValue().matches("true|false|-?[0-9]+");
      flags.add(literal ? "--set" : "--set-string");
      flags.add(value.getKey() + "=" + value.getValue());
    }
    return flags;
  }

  private static String helm() {
    return Tools.require("helm").toString();
  }
}
