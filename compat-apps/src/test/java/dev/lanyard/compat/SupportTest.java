package dev.lanyard.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure parts the apps share: arguments, identities, failure lines, the request loop. */
class SupportTest {
  @Test
  void argumentsAcceptValuesInlineValuesAndFlags() {
    AppArgs args = AppArgs.parse("App", new String[] {"--port", "8443", "--tls=plain", "--fresh"},
        List.of("port", "tls"), List.of("fresh"));
    assertThat(args.intValue("port", 0)).isEqualTo(8443);
    assertThat(args.get("tls", "default")).isEqualTo("plain");
    assertThat(args.flag("fresh")).isTrue();
    assertThat(args.get("missing", "fallback")).isEqualTo("fallback");
  }

  @Test
  void badArgumentsNameTheProblemAndTheKnownOptions() {
    assertThatThrownBy(() -> AppArgs.parse("App", new String[] {"--prot", "1"},
        List.of("port"), List.of()))
        .isInstanceOf(AppArgs.UsageException.class)
        .hasMessage("App: unknown option --prot; options: --port <v>");
    assertThatThrownBy(() -> AppArgs.parse("App", new String[] {"--port", "x"},
        List.of("port"), List.of()).intValue("port", 0))
        .hasMessage("App: --port must be a whole number, not 'x'");
    assertThatThrownBy(() -> TlsMode.parse("mtls"))
        .hasMessage("--tls must be default, keystore or plain, not 'mtls'");
  }

  @Test
  void peerIsTheUriSanOfTheLeafCertificate(@TempDir Path dir) throws Exception {
    TestCertificates.Files pki = TestCertificates.write(dir);
    assertThat(Peers.of(leaf(pki.clientKeyStore()))).isEqualTo(TestCertificates.CLIENT_ID);
    assertThat(Peers.of(leaf(pki.serverKeyStore()))).isEqualTo(TestCertificates.SERVER_ID);
    assertThat(Peers.of((java.security.cert.Certificate[]) null)).isEqualTo("none");
    assertThat(Peers.of(List.of())).isEqualTo("none");
  }

  @Test
  void failureLineNamesTheRootCauseOnOneLine() {
    Exception failure = new IllegalStateException("call failed\nsecond line",
        new SSLHandshakeException("PKIX path building failed"));
    assertThat(Failures.describe(failure)).isEqualTo("java.lang.IllegalStateException: call"
        + " failed second line (root cause javax.net.ssl.SSLHandshakeException: PKIX path building"
        + " failed)");
  }

  @Test
  void runnerPrintsOneLinePerRequestAndASummary() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int[] calls = {0};
    ClientRunner runner = new ClientRunner(new ClientRunner.Settings(3, 0, 1, 1000, false), out);
    int exit = runner.run(() -> () -> {
      if (++calls[0] == 2) {
        throw new IOException("boom");
      }
      return new ClientRunner.Response(200, "spiffe://td/a", "peer=spiffe://td/b");
    });
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(exit).isEqualTo(1);
    assertThat(text.lines().toList()).hasSize(4)
        .startsWith("OK status=200 server_peer=spiffe://td/a body=peer=spiffe://td/b",
            "FAIL java.io.IOException: boom");
    assertThat(text).containsPattern("(?m)^SUMMARY ok=2 failed=1 p50_us=\\d+ p99_us=\\d+ "
        + "elapsed_ms=\\d+ per_second=[0-9.]+$");
  }

  @Test
  void warmupRequestsAreLeftOutOfThePercentilesButNotTheCounts() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int[] calls = {0};
    // The first request takes at least 300 ms, the others none: only the warm-up is slow.
    ClientRunner runner = new ClientRunner(new ClientRunner.Settings(4, 0, 1, 1000, false, 1), out);
    int exit = runner.run(() -> () -> {
      if (++calls[0] == 1) {
        Thread.sleep(300);
      }
      return new ClientRunner.Response(200, "none", "ok");
    });
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(exit).isZero();
    assertThat(text).contains("SUMMARY ok=4 failed=0");
    long p99 = Long.parseLong(text.replaceAll("(?s).*p99_us=(\\d+).*", "$1").strip());
    assertThat(p99).as(text).isLessThan(300_000);
  }

  @Test
  void latencyPercentilesAreWithinHalfAPercent() {
    LatencyHistogram histogram = new LatencyHistogram();
    for (int micros = 1; micros <= 10_000; micros++) {
      histogram.record(micros);
    }
    assertThat(histogram.percentile(50)).isBetween(4_975L, 5_025L);
    assertThat(histogram.percentile(99)).isBetween(9_850L, 9_950L);
    assertThat(new LatencyHistogram().percentile(50)).isZero();
  }

  private static X509Certificate leaf(Path keyStore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, TestCertificates.PASSWORD.toCharArray());
    }
    return (X509Certificate) store.getCertificate("key");
  }
}
