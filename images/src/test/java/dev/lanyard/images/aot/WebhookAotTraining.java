package dev.lanyard.images.aot;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.TestPki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Trains the webhook image's AOT cache at image build time with what the webhook does from its
 * start: its own JIT warm-up of the admission path, then HTTPS on its listener: health probes and
 * AdmissionReviews of a pod it injects (the review its jar carries for the warm-up), as the
 * kube-apiserver sends them. No apiserver is needed ({@code --no-events}).
 *
 * <p>Arguments: {@code BASE_TAR LAYER_DIR WORK_DIR REVIEWS -- JAVA_TOOL_OPTIONS...}; writes
 * {@code LAYER_DIR/opt/lanyard/lanyard-webhook.aot}.
 */
public final class WebhookAotTraining {
  static final String JAVA = "opt/java/openjdk/bin/java";
  static final String JAR = "opt/lanyard/lanyard-webhook.jar";
  static final String CACHE = "opt/lanyard/lanyard-webhook.aot";
  private static final String REVIEW = "dev/lanyard/webhook/admission/warmup-review.json";

  private WebhookAotTraining() {
  }

  public static void main(String[] args) throws Exception {
    Path baseTar = Path.of(args[0]);
    Path layer = Path.of(args[1]);
    Path work = Path.of(args[2]);
    int reviews = Integer.parseInt(args[3]);
    String toolOptions = String.join(" ", Arrays.asList(args).subList(5, args.length));
    long began = System.nanoTime();
    Path root = work.resolve("root");
    ImageRoot.extractJdk(baseTar, "opt/java/openjdk", root);
    ImageRoot.copy(layer.resolve(JAR), root, JAR);
    byte[] review;
    try (ZipFile jar = new ZipFile(root.resolve(JAR).toFile())) {
      review = jar.getInputStream(jar.getEntry(REVIEW)).readAllBytes();
    }

    TestPki ca = TestPki.create("lanyard AOT training webhook CA");
    TestPki.Issued tls = ca.server("localhost", List.of("localhost"), List.of("127.0.0.1"));
    Path cert = Files.writeString(work.resolve("tls.crt"), tls.certificatePem());
    Path key = Files.writeString(work.resolve("tls.key"), tls.keyPem());
    int port = FreePorts.next();
    List<String> flags = List.of();
    Path cache = root.resolve(CACHE);
    try (TrainingJvm jvm = TrainingJvm.start(root, JAVA, JAR, cache, flags,
        Map.of("JAVA_TOOL_OPTIONS", toolOptions), work.resolve("webhook-training.log"),
        List.of("--host", "127.0.0.1", "--port", Integer.toString(port), "--tls-cert", cert.toString(),
            "--tls-key", key.toString(), "--no-events", "--drain-seconds", "0",
            "--metrics-port", Integer.toString(FreePorts.next())))) {
      jvm.awaitOutput("ready (javaagent image", Duration.ofSeconds(180));
      HttpClient client = HttpClient.newBuilder().sslContext(trusting(ca)).build();
      URI base = URI.create("https://localhost:" + port);
      for (String path : List.of("/healthz", "/readyz")) {
        client.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.discarding());
      }
      for (int i = 0; i < reviews; i++) {
        HttpResponse<String> reply = client.send(HttpRequest.newBuilder(base.resolve("/mutate"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(review)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (reply.statusCode() != 200 || !reply.body().contains("\"patch\"")) {
          throw new IllegalStateException("the webhook did not inject the training pod (HTTP "
              + reply.statusCode() + "): " + reply.body());
        }
      }
      long bytes = jvm.stopAndAwaitCache(Duration.ofMinutes(5));
      ImageRoot.copy(cache, layer, CACHE);
      System.out.printf("aot-training: webhook cache %d MiB after %d admissions, %d s in all%n",
          bytes >> 20, reviews, (System.nanoTime() - began) / 1_000_000_000L);
    }
  }

  private static SSLContext trusting(TestPki ca) throws Exception {
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(ca.trustStore());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
