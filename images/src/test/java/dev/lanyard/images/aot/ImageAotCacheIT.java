package dev.lanyard.images.aot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.BadSvidUpdate;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.WorkloadApiDouble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar and webhook images start from the AOT cache they ship: each image's file system
 * (its built tarball, unpacked) runs its own entrypoint with {@code -Xlog:aot} and
 * {@code -Xlog:class+load}, and the log shows the cache mapped and the application's classes
 * taken from it. A JVM that cannot use the cache (another JDK build, another application's cache)
 * logs why and starts all the same. No node needed: the images' own runtime runs on this host.
 */
class ImageAotCacheIT {
  private static final String ID = "spiffe://lanyard.aot/it/sidecar";
  private static final Pattern LOADED = Pattern.compile("(?m)\\[class,load\\s*\\] (\\S+) source: (.*)$");
  /** Temurin 25 on the machine: the same release as the image's runtime, another build of it. */
  private static final Path OTHER_JDK_JAVA = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

  @TempDir static Path dir;
  private static ImageFileSystem sidecar;
  private static ImageFileSystem webhook;
  private static WorkloadApiDouble api;

  @BeforeAll
  static void unpack() throws Exception {
    sidecar = ImageFileSystem.unpack(Images.built("sidecar").tarball(), dir.resolve("sidecar"));
    webhook = ImageFileSystem.unpack(Images.built("webhook").tarball(), dir.resolve("webhook"));
    TestPki ca = TestPki.create("lanyard AOT cache IT CA");
    api = WorkloadApiDouble.start(dir.resolve("agent/api.sock"));
    api.send(BadSvidUpdate.good(ca, ca.svid(ID), ID));
  }

  @AfterAll
  static void stop() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void bothImagesNameTheirCacheForAnyJavaCommandAndRunJdk25() throws Exception {
    // JDK_JAVA_OPTIONS: the launcher reads it whatever the command, so the webhook's sidecar
    // command (/usr/bin/java <jvmFlags> -jar ...) gets the cache as the entrypoint does.
    assertThat(sidecar.env()).containsEntry("JDK_JAVA_OPTIONS", "-XX:AOTCache=/opt/lanyard/lanyard-sidecar.aot"
        + " --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Dio.netty.noUnsafe=false");
    assertThat(webhook.env()).containsEntry("JDK_JAVA_OPTIONS", "-XX:AOTCache=/opt/lanyard/lanyard-webhook.aot");
    for (ImageFileSystem image : List.of(sidecar, webhook)) {
      assertThat(image.entrypoint().get(0)).isEqualTo("/usr/bin/java");
      assertThat(image.insideImage("/usr/bin/java")).isEqualTo(image.root().resolve("opt/java/openjdk/bin/java"));
      assertThat(Files.readString(image.root().resolve("opt/java/openjdk/release"))).contains("JAVA_VERSION=\"25");
    }
    assertThat(sidecar.root().resolve("opt/lanyard/lanyard-sidecar.aot")).isNotEmptyFile();
    assertThat(webhook.root().resolve("opt/lanyard/lanyard-webhook.aot")).isNotEmptyFile();
  }

  @Test
  void theSidecarStartsFromItsAotCache() throws Exception {
    String log = runSidecar(sidecar.command(List.of("-Xlog:aot", "-Xlog:class+load"), List.of()),
        sidecar.envBelowRoot("JDK_JAVA_OPTIONS"));

    assertThat(log).contains("Opened AOT cache " + sidecar.root().resolve("opt/lanyard/lanyard-sidecar.aot"));
    assertThat(log).doesNotContain("[error  ][aot]", "[warning][aot]");
    Map<String, String> sources = sources(log);
    assertThat(sources).containsEntry("dev.lanyard.proxy.SidecarMain", "shared objects file")
        .containsEntry("io.netty.handler.ssl.ReferenceCountedOpenSslEngine", "shared objects file");
    long fromCache = sources.values().stream().filter("shared objects file"::equals).count();
    assertThat(fromCache).as("classes from the cache of %s loaded", sources.size())
        .isGreaterThan(sources.size() * 9L / 10);
  }

  @Test
  void theWebhookStartsFromItsAotCache() throws Exception {
    Run run = Run.start(webhook.command(List.of("-Xlog:aot", "-Xlog:class+load"), List.of("--help")),
        Map.of("JDK_JAVA_OPTIONS", webhook.envBelowRoot("JDK_JAVA_OPTIONS")), dir.resolve("webhook-help.log"));
    assertThat(run.awaitExit(Duration.ofSeconds(60))).isZero();

    String log = run.output();
    assertThat(log).contains("Opened AOT cache " + webhook.root().resolve("opt/lanyard/lanyard-webhook.aot"));
    assertThat(log).doesNotContain("[error  ][aot]", "[warning][aot]");
    assertThat(sources(log)).containsEntry("dev.lanyard.webhook.WebhookMain", "shared objects file");
  }

  @Test
  void anotherJdkBuildLogsThatItCannotUseTheCacheAndTheSidecarStillStarts() throws Exception {
    List<String> command = new ArrayList<>(sidecar.command(List.of("-Xlog:class+load"), List.of()));
    command.set(0, OTHER_JDK_JAVA.toString());

    String log = runSidecar(command, sidecar.envBelowRoot("JDK_JAVA_OPTIONS"));

    assertThat(log).contains("[warning][aot] This file is not the one used while building the shared archive file",
        "Unable to map shared spaces");
    assertThat(sources(log).get("dev.lanyard.proxy.SidecarMain")).startsWith("file:");
  }

  @Test
  void anotherApplicationsCacheIsNotUsedAndTheSidecarStillStarts() throws Exception {
    Path foreign = webhook.root().resolve("opt/lanyard/lanyard-webhook.aot");
    String options = sidecar.envBelowRoot("JDK_JAVA_OPTIONS")
        .replace(sidecar.root().resolve("opt/lanyard/lanyard-sidecar.aot").toString(), foreign.toString());
    assertThat(options).contains(foreign.toString());

    String log = runSidecar(sidecar.command(List.of("-Xlog:class+load"), List.of()), options);

    assertThat(sources(log).get("dev.lanyard.proxy.SidecarMain")).startsWith("file:");
  }

  /** Runs the sidecar with a Workload API until it is ready; returns its output. */
  private static String runSidecar(List<String> command, String jdkJavaOptions) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("JDK_JAVA_OPTIONS", jdkJavaOptions);
    env.put("SPIFFE_ENDPOINT_SOCKET", api.address());
    env.put("LANYARD_INBOUND", FreePorts.next() + ":" + FreePorts.next());
    env.put("LANYARD_ALLOWED_PEERS", ID);
    env.put("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next());
    env.put("LANYARD_OUTBOUND_PROXY", "off");
    env.put("LANYARD_SHUTDOWN_ADDRESS", "off");
    Run run = Run.start(command, env, Files.createTempFile(dir, "sidecar", ".log"));
    try {
      run.awaitOutput("lanyard: sidecar ready (ready", Duration.ofSeconds(90));
      return run.output();
    } finally {
      run.kill();
    }
  }

  /** Class name to the source -Xlog:class+load names (the first load of each name). */
  private static Map<String, String> sources(String log) {
    Map<String, String> sources = new LinkedHashMap<>();
    Matcher m = LOADED.matcher(log);
    while (m.find()) {
      sources.putIfAbsent(m.group(1), m.group(2).trim());
    }
    return sources;
  }

  /** A child process whose output (stdout and stderr) goes to a file. */
  private record Run(Process process, Path log) {
    static Run start(List<String> command, Map<String, String> env, Path log) throws Exception {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(log.toFile());
      builder.environment().putAll(env);
      return new Run(builder.start(), log);
    }

    String output() throws Exception {
      return Files.readString(log);
    }

    void awaitOutput(String text, Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!output().contains(text)) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("no '" + text + "' (alive: " + process.isAlive() + "):\n" + output());
        }
        Thread.sleep(50);
      }
    }

    int awaitExit(Duration timeout) throws Exception {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("did not exit within " + timeout + ":\n" + output());
      }
      return process.exitValue();
    }

    void kill() throws Exception {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
