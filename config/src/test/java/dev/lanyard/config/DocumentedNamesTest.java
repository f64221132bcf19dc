package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the public names in the docs and in the code in step: every environment variable,
 * annotation and metric a doc names exists in the code, and every configuration key, annotation
 * and metric of the code is documented. Runs in {@code make test} with this module's unit tests.
 */
class DocumentedNamesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern VARIABLE =
      Pattern.compile("\\b(?:LANYARD|SPIFFE)_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])");
  private static final Pattern ANNOTATION = Pattern.compile("\\blanyard\\.dev/[a-z0-9.-]*[a-z0-9.]");
  private static final Pattern METRIC_IN_DOCS = Pattern.compile("\\blanyard_[a-z0-9_]*[a-z0-9]\\b");
  private static final Pattern METRIC_IN_CODE =
      // A Prometheus builder's .name("..."), or the javaagent's EarlyCounter, which builds one.
      Pattern.compile("(?:\\.name\\(|new EarlyCounter\\()\\s*\"(lanyard_[a-z0-9_]+)\"");
  /** Variables the docs name that configure the build and tests, not a Lanyard process. */
  private static final Map<String, String> NOT_CONFIGURATION = Map.of(
      "LANYARD_TOOLS", "scripts/install-tools.sh: where the pinned tools are built",
      "LANYARD_SOAK", "charts' WebhookLoadIT: the long run",
      "LANYARD_SOAK_MINUTES", "sidecar-proxy's RotationSoakIT: the soak's length");
  /** Names the docs write in lanyard_ form that are codes, not metrics. */
  private static final Set<String> NOT_METRICS = Set.of(
      "lanyard_port" /* the webhook's Reason code, a label value */);

  @Test
  void everyVariableTheDocsNameIsAConfigurationKey() {
    Set<String> keys = envNames();
    found(VARIABLE).forEach((name, where) -> {
      if (!NOT_CONFIGURATION.containsKey(name)) {
        assertThat(keys).as("%s, named in %s, is not in lanyard-config's ConfigKeys", name, where)
            .contains(name);
      }
    });
  }

  @Test
  void everyAnnotationTheDocsNameIsOneLanyardReads() {
    found(ANNOTATION).forEach((name, where) -> {
      boolean known = PodAnnotations.ALL.contains(name)
          || name.startsWith(PodAnnotations.RUNTIME_PREFIX);
      assertThat(known).as("%s, named in %s, is not in lanyard-config's PodAnnotations", name,
          where).isTrue();
    });
  }

  @Test
  void everyMetricTheDocsNameIsDefinedInTheCodeAndBack() {
    Set<String> defined = metricsInCode();
    assertThat(defined).as("metric definitions found in */src/main").hasSizeGreaterThan(10);
    Map<String, String> documented = found(METRIC_IN_DOCS);
    documented.keySet().removeAll(NOT_METRICS);
    documented.forEach((name, where) -> assertThat(defined)
        .as("%s, named in %s, is defined by no .name(\"...\") in the code", name, where)
        .contains(name));
    assertThat(documented.keySet()).as("metrics defined in the code but named in no doc")
        .containsAll(defined);
  }

  @Test
  void everyKeyAndAnnotationIsInTheReadmesConfigurationReference() {
    String readme = read(ROOT.resolve("README.md"));
    for (ConfigKey key : ConfigKeys.ALL) {
      assertThat(readme).as("README.md documents %s", key.env()).contains("`" + key.env() + "`");
      key.annotation().ifPresent(annotation -> assertThat(readme)
          .as("README.md documents %s (sets %s)", annotation, key.env())
          .contains("`" + annotation + "`"));
    }
    for (String annotation : PodAnnotations.ALL) {
      assertThat(readme).as("README.md documents %s", annotation).contains("`" + annotation);
    }
  }

  @Test
  void theReadmesVariableTableListsExactlyTheConfigurationKeys() {
    String readme = read(ROOT.resolve("README.md"));
    int table = readme.indexOf("| variable | default | meaning |");
    assertThat(table).as("README.md's variable table").isPositive();
    Set<String> listed = new TreeSet<>();
    for (String row : readme.substring(table).split("\n")) {
      if (!row.startsWith("|")) {
        break;
      }
      Matcher names = VARIABLE.matcher(row.split("\\|")[1]);
      while (names.find()) {
        listed.add(names.group());
      }
    }
    assertThat(listed).isEqualTo(envNames());
  }

  @Test
  void theReadmesDefaultsAreTheParsersDefaults() {
    assertThat(defaultCell(ConfigKeys.STARTUP)).contains("`" + StartupPolicy.DEFAULT + "`");
    assertThat(defaultCell(ConfigKeys.MESH_HOSTS)).contains("`" + HostGlobs.DEFAULT_MESH_HOSTS + "`");
    assertThat(defaultCell(ConfigKeys.AUDIT))
        .contains("`" + AuditMode.DENY.name().toLowerCase(java.util.Locale.ROOT) + "`");
  }

  /** The default column of the key's row in the README's variable table. */
  private static String defaultCell(ConfigKey key) {
    String row = read(ROOT.resolve("README.md")).lines()
        .filter(line -> line.startsWith("| `" + key.env() + "` |")).findFirst()
        .orElseThrow(() -> new AssertionError("README.md has no row for " + key.env()));
    return row.split("\\|")[2];
  }

  @Test
  void everyChartValueOfAKeyIsInTheChartsValues() {
    String values = read(ROOT.resolve("charts/lanyard/values.yaml"));
    for (ConfigKey key : ConfigKeys.ALL) {
      key.chartValue().ifPresent(value -> {
        assertThat(value).startsWith("injector.defaults.");
        String leaf = value.substring(value.lastIndexOf('.') + 1);
        assertThat(values).as("charts/lanyard/values.yaml has %s (sets %s)", value, key.env())
            .containsPattern("(?m)^    " + leaf + ":");
      });
    }
  }

  private static Set<String> envNames() {
    return ConfigKeys.ALL.stream().map(ConfigKey::env).collect(Collectors.toCollection(TreeSet::new));
  }

  /** Each name the docs match, with the first doc that names it. */
  private static Map<String, String> found(Pattern pattern) {
    Map<String, String> names = new LinkedHashMap<>();
    for (Path doc : docs()) {
      Matcher matcher = pattern.matcher(read(doc));
      while (matcher.find()) {
        names.putIfAbsent(matcher.group(), ROOT.relativize(doc).toString());
      }
    }
    assertThat(names).as("names matching %s in the docs", pattern).isNotEmpty();
    return names;
  }

  /** README.md, docs/*.md and every module's README.md. */
  private static List<Path> docs() {
    try (Stream<Path> top = Files.list(ROOT); Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      return Stream.concat(
              Stream.concat(Stream.of(ROOT.resolve("README.md")),
                  docs.filter(path -> path.toString().endsWith(".md"))),
              top.filter(Files::isDirectory).map(dir -> dir.resolve("README.md"))
                  .filter(Files::isRegularFile))
          .sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<String> metricsInCode() {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files.filter(path -> path.toString().contains("/src/main/java/")
              && path.toString().endsWith(".java") && !path.toString().contains("/target/"))
          .forEach(path -> {
            Matcher matcher = METRIC_IN_CODE.matcher(read(path));
            while (matcher.find()) {
              names.add(matcher.group(1));
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
