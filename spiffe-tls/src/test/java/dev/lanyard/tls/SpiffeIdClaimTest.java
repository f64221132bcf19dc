package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

class SpiffeIdClaimTest {
  private final TestCa ca = TestCa.root("lanyard.test");

  @Test
  void theFirstUriSanWithTheSpiffeSchemeInAnyCaseIsTheClaimAsSpelled() {
    X509Certificate leaf = ca.leaf("https://lanyard.test/not-an-id")
        .uri("SPIFFE://lanyard.test/ns/shop/sa/web")
        .uri("spiffe://lanyard.test/ns/shop/sa/api")
        .issue().leaf();

    assertThat(SpiffeIdClaim.of(leaf)).contains("SPIFFE://lanyard.test/ns/shop/sa/web");
    assertThat(SpiffeIdClaim.ofLeaf(new Certificate[] {leaf}))
        .contains("SPIFFE://lanyard.test/ns/shop/sa/web");
  }

  @Test
  void aCertificateWithoutSpiffeUriClaimsNothing() {
    X509Certificate web = ca.webServer("api.example.com").issue().leaf();
    X509Certificate otherSchemes = ca.leaf("https://lanyard.test/x").uri("urn:spiffe:x")
        .issue().leaf();

    assertThat(SpiffeIdClaim.of(web)).isEmpty();
    assertThat(SpiffeIdClaim.of(otherSchemes)).isEmpty();
    assertThat(SpiffeIdClaim.ofLeaf(null)).isEmpty();
    assertThat(SpiffeIdClaim.ofLeaf(new Certificate[0])).isEmpty();
  }
}
