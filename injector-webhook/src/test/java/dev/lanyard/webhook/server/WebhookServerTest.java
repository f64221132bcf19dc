package dev.lanyard.webhook.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.TestPki;
import dev.lanyard.webhook.admission.AdmissionHandler;
import dev.lanyard.webhook.admission.InjectionEvents;
import dev.lanyard.webhook.admission.Reviews;
import dev.lanyard.webhook.admission.WebhookMetrics;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.inject.TestPods;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Jetty server over real TLS: what the apiserver sees, minus the apiserver. */
class WebhookServerTest {
  @TempDir Path directory;

  private ServingCertificates certificates;
  private WebhookServer server;
  private HttpClient http;

  @BeforeEach
  void start() throws Exception {
    certificates = new ServingCertificates(directory);
    server = start(Duration.ZERO);
    http = certificates.client();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private WebhookServer start(Duration drain) throws Exception {
    WebhookMetrics metrics = new WebhookMetrics();
    AdmissionHandler handler =
        new AdmissionHandler(new PodInjector(TestPods.config()), metrics, InjectionEvents.NONE);
    return new WebhookServer(
            new WebhookServer.Settings(
                "127.0.0.1",
                0,
                certificates.certificate(),
                certificates.key(),
                Duration.ofHours(1),
                drain,
                Duration.ofSeconds(5)),
            handler,
            metrics)
        .start();
  }

  @Test
  void mutatesOverHttps() throws Exception {
    HttpResponse<String> response =
        post("application/json", Reviews.podCreate("uid-1", TestPods.jvmPod(), "apps", false));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    assertThat(response.body())
        .contains("\"uid\":\"uid-1\"")
        .contains("\"patchType\":\"JSONPatch\"");
  }

  @Test
  void wrongContentTypeIs415AndGarbageIs400WithoutStackTraces() throws Exception {
    HttpResponse<String> yaml = post("application/yaml", "kind: Pod".getBytes());
    HttpResponse<String> garbage = post("application/json", "{{{".getBytes());

    assertThat(yaml.statusCode()).isEqualTo(415);
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(garbage.body()).startsWith("request body is not valid JSON").doesNotContain("\tat ");
  }

  @Test
  void aDeclaredBodyOverThreeMebibytesIs400BeforeItIsSent() throws Exception {
    String response =
        rawExchange(
            "POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + (4 * 1024 * 1024)
                + "\r\n\r\n",
            new byte[0]);

    assertThat(response).startsWith("HTTP/1.1 400").contains("exceeds the limit of 3145728 bytes");
  }

  @Test
  void aStreamedBodyOverThreeMebibytesIs400() throws Exception {
    byte[] chunk = new byte[AdmissionHandler.MAX_BODY_BYTES + 1];
    java.util.Arrays.fill(chunk, (byte) ' ');
    byte[] chunked =
        concat(
            (Integer.toHexString(chunk.length) + "\r\n").getBytes(),
            chunk,
            "\r\n0\r\n\r\n".getBytes());

    String response =
        rawExchange(
            "POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n",
            chunked);

    assertThat(response).startsWith("HTTP/1.1 400").contains("exceeds the limit of 3145728 bytes");
  }

  /** One HTTP/1.1 exchange on a raw TLS socket: exactly these bytes, then the whole answer. */
  private String rawExchange(String head, byte[] body) throws Exception {
    try (SSLSocket socket =
        (SSLSocket) sslContext().getSocketFactory().createSocket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      var out = socket.getOutputStream();
      out.write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      byte[] buffer = new byte[8192];
      StringBuilder answer = new StringBuilder();
      var in = socket.getInputStream();
      int read;
      while (!answer.toString().contains("bytes (3 MiB)") && (read = in.read(buffer)) != -1) {
        answer.append(new String(buffer, 0, read, java.nio.charset.StandardCharsets.UTF_8));
      }
      return answer.toString();
    }
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  @Test
  void getOnMutateIs405AndUnknownPathsAre404WithoutStackTraces() throws Exception {
    HttpResponse<String> get =
        http.send(
            HttpRequest.newBuilder(url("/mutate")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> missing =
        http.send(
            HttpRequest.newBuilder(url("/nope")).GET().build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(get.body() + missing.body()).doesNotContain("\tat ").doesNotContain("Caused by");
  }

  @Test
  void healthReadinessAndMetrics() throws Exception {
    post("application/json", Reviews.podCreate("uid-1", TestPods.jvmPod(), "apps", false));

    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
    String metrics = get("/metrics").body();
    assertThat(metrics)
        .contains("lanyard_webhook_admissions_total{outcome=\"injected\",reason=\"injected\"} 1.0");
    // Millisecond buckets where admissions fall, so a p99 against the 5 ms target is readable.
    assertThat(metrics)
        .contains(
            "lanyard_webhook_admission_duration_seconds_bucket{outcome=\"injected\",le=\"0.003\"}")
        .contains(
            "lanyard_webhook_admission_duration_seconds_bucket{outcome=\"injected\",le=\"0.006\"}");
  }

  @Test
  void theMetricsPortServesMetricsAloneOverPlainHttp() throws Exception {
    server.close();
    WebhookMetrics metrics = new WebhookMetrics();
    AdmissionHandler handler =
        new AdmissionHandler(new PodInjector(TestPods.config()), metrics, InjectionEvents.NONE);
    server = new WebhookServer(new WebhookServer.Settings("127.0.0.1", 0,
            certificates.certificate(), certificates.key(), Duration.ofHours(1), Duration.ZERO,
            Duration.ofSeconds(5)), handler, metrics)
        .serveMetricsOn(0)
        .start();
    post("application/json", Reviews.podCreate("uid-1", TestPods.jvmPod(), "apps", false));
    HttpClient plain = HttpClient.newHttpClient();

    HttpResponse<String> scraped = plain.send(plainGet("/metrics"), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> mutate = plain.send(plainGet("/mutate"), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> health = plain.send(plainGet("/healthz"), HttpResponse.BodyHandlers.ofString());

    assertThat(server.metricsPort()).isPositive().isNotEqualTo(server.port());
    assertThat(scraped.statusCode()).isEqualTo(200);
    assertThat(scraped.body())
        .contains("lanyard_webhook_admissions_total{outcome=\"injected\",reason=\"injected\"} 1.0");
    assertThat(mutate.statusCode()).as("no admission over plain HTTP").isEqualTo(404);
    assertThat(health.statusCode()).isEqualTo(404);
    assertThat(get("/mutate").statusCode()).as("the HTTPS port is unchanged").isEqualTo(405);
  }

  private HttpRequest plainGet(String path) {
    return HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.metricsPort() + path)).build();
  }

  @Test
  void aRenewedCertificateIsServedWithoutRestart() throws Exception {
    BigInteger before = servedSerial();
    TestPki.Issued renewed = certificates.renew();

    assertThat(server.certificates().checkNow()).isTrue();

    assertThat(servedSerial())
        .isNotEqualTo(before)
        .isEqualTo(renewed.certificate().getSerialNumber());
    assertThat(server.certificates().checkNow()).as("unchanged files are not reloaded").isFalse();
  }

  @Test
  void aHalfWrittenRotationKeepsTheOldCertificate() throws Exception {
    BigInteger before = servedSerial();
    java.nio.file.Files.writeString(certificates.key(), "-----BEGIN PRIVATE KEY-----\ngarbage\n");

    assertThat(server.certificates().checkNow()).isFalse();

    assertThat(servedSerial()).isEqualTo(before);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void shutdownTurnsUnreadyFirstAndServesUntilTheDrainDelayIsOver() throws Exception {
    server.close();
    server = start(Duration.ofSeconds(2));

    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    Thread.sleep(300);

    assertThat(get("/readyz").statusCode()).isEqualTo(503);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    closing.get();
    assertThat(catchRefused()).isTrue();
  }

  private boolean catchRefused() {
    try {
      get("/healthz");
      return false;
    } catch (IOException | InterruptedException e) {
      return true;
    }
  }

  private BigInteger servedSerial() throws Exception {
    SSLSocketFactory factory = sslContext().getSocketFactory();
    try (SSLSocket socket = (SSLSocket) factory.createSocket("127.0.0.1", server.port())) {
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  private javax.net.ssl.SSLContext sslContext() throws Exception {
    javax.net.ssl.TrustManagerFactory trust =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    trust.init(certificates.pki().trustStore());
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  private HttpResponse<String> post(String contentType, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url("/mutate"))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("https://127.0.0.1:" + server.port() + path);
  }
}
