package dev.lanyard.webhook.server;

import dev.lanyard.testkit.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A test CA and webhook serving certificates for 127.0.0.1, written where the webhook reads them.
 */
public final class ServingCertificates {
  private final TestPki pki = TestPki.create("lanyard-webhook-test-ca");
  private final Path certificate;
  private final Path key;

  public ServingCertificates(Path directory) {
    this.certificate = directory.resolve("tls.crt");
    this.key = directory.resolve("tls.key");
    renew();
  }

  /** Issues a new certificate (new serial) and overwrites the files, as a Secret rotation does. */
  public TestPki.Issued renew() {
    TestPki.Issued issued =
        pki.server(
            "lanyard-webhook",
            List.of("localhost", "lanyard-webhook.lanyard-system.svc"),
            List.of("127.0.0.1"));
    try {
      Files.writeString(certificate, issued.certificatePem() + TestPki.pem(pki.caCertificate()));
      Files.writeString(key, issued.keyPem());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return issued;
  }

  public Path certificate() {
    return certificate;
  }

  public Path key() {
    return key;
  }

  public String caPem() {
    return pki.caPem();
  }

  public TestPki pki() {
    return pki;
  }

  /**
   * An HTTP client that trusts only the test CA; no connection reuse, so each request sees the
   * current certificate.
   */
  public HttpClient client() {
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(pki.trustStore());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return HttpClient.newBuilder()
          .sslContext(context)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
