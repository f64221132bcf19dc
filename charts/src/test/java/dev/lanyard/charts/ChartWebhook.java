package dev.lanyard.charts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.KubeApiServer;
import dev.lanyard.testkit.TestPki;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The real webhook jar as a process on 127.0.0.1 with the chart's rendered injector configuration
 * and a serving certificate from a test CA, and the chart's rendered MutatingWebhookConfiguration
 * pointed at it: the apiserver in a test has no Services to route to, so only clientConfig changes
 * (a URL and the test CA); every other field (rules, selectors, failurePolicy, timeout) is as
 * rendered.
 */
final class ChartWebhook implements AutoCloseable {
  private final JvmProcess process;
  private final int port;
  private final TestPki pki;
  private final Path directory;
  private final HttpClient http;

  private ChartWebhook(JvmProcess process, int port, TestPki pki, Path directory) {
    this.process = process;
    this.port = port;
    this.pki = pki;
    this.directory = directory;
    this.http = HttpClient.newBuilder().sslContext(trusting(pki))
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  /**
   * Starts {@code lanyard-webhook.jar} (system property {@code lanyard.webhook.jar}) with the
   * rendered injector configuration and waits until it is ready.
   */
  static ChartWebhook start(Rendered rendered, TestPki pki, Path directory, String... jvmArgs)
      throws IOException {
    return start(rendered, pki, directory, null, jvmArgs);
  }

  /**
   * As {@link #start(Rendered, TestPki, Path, String...)}; with a {@code kubeconfig}, Events are on
   * and the webhook reaches the apiserver with those credentials (KUBECONFIG), as in-cluster it
   * does with its service account's.
   */
  static ChartWebhook start(
      Rendered rendered, TestPki pki, Path directory, Path kubeconfig, String... jvmArgs)
      throws IOException {
    Path jar = Path.of(System.getProperty("lanyard.webhook.jar",
        "../injector-webhook/target/lanyard-webhook.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar.toAbsolutePath() + " is missing; build it with"
          + " ./mvnw -o -q -pl injector-webhook -am install -DskipTests");
    }
    TestPki.Issued serving =
        pki.server("lanyard-webhook", List.of("localhost"), List.of("127.0.0.1"));
    Path certificate = Files.writeString(directory.resolve("tls.crt"), serving.certificatePem());
    Path key = Files.writeString(directory.resolve("tls.key"), serving.keyPem());
    Path config = Files.writeString(directory.resolve("injector.yaml"), rendered.injectorConfig());
    int port = FreePorts.next();
    List<String> args = new ArrayList<>(List.of(
        "--host", "127.0.0.1",
        "--port", Integer.toString(port),
        "--tls-cert", certificate.toString(),
        "--tls-key", key.toString(),
        "--config", config.toString(),
        "--drain-seconds", "0",
        kubeconfig == null ? "--no-events" : "--events"));
    JvmProcess.Builder builder = JvmProcess.builder("lanyard-webhook").jvmArg(jvmArgs).jar(jar)
        .args(args.toArray(String[]::new));
    if (kubeconfig != null) {
      builder.env("KUBECONFIG", kubeconfig.toString());
    }
    JvmProcess process = builder.start();
    try {
      process.awaitOutput("Lanyard webhook .* ready", Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      process.close();
      throw e;
    }
    return new ChartWebhook(process, port, pki, directory);
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  String output() {
    return process.output();
  }

  /** Stops the process; a registration pointing at it stays, at a closed port. */
  void stop() {
    process.stop();
  }

  /**
   * Applies the rendered MutatingWebhookConfiguration with clientConfig pointed at this webhook.
   * Works after {@link #stop()} too (the port stays closed).
   */
  void register(KubeApiServer api, ObjectNode renderedConfiguration) throws IOException {
    ObjectNode configuration = renderedConfiguration.deepCopy();
    for (var admission : configuration.path("webhooks")) {
      ObjectNode clientConfig = ((ObjectNode) admission).putObject("clientConfig");
      clientConfig.put("url", "https://127.0.0.1:" + port + "/mutate");
      clientConfig.put("caBundle",
          Base64.getEncoder().encodeToString(pki.caPem().getBytes(StandardCharsets.US_ASCII)));
    }
    Path manifest = Files.writeString(
        Files.createTempFile(directory, "webhook-configuration-", ".yaml"),
        Rendered.YAML.writeValueAsString(configuration));
    api.kubectl("apply", "-f", manifest.toString()).orThrow();
  }

  /** POST of a JSON body to {@code path} over HTTPS, straight to the webhook (no apiserver). */
  HttpResponse<String> post(String path, byte[] body) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** GET over HTTPS (trusting the test CA); fails unless the answer is 200. */
  String get(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new AssertionError("GET " + path + ": " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  private static SSLContext trusting(TestPki pki) {
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(pki.trustStore());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.close();
  }
}
