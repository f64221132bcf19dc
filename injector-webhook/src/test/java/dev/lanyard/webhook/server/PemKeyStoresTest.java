package dev.lanyard.webhook.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemKeyStoresTest {
  @TempDir Path directory;

  private final TestPki pki = TestPki.create("test-ca");

  @Test
  void readsPkcs8() throws Exception {
    TestPki.Issued issued = pki.server("webhook", List.of("localhost"), List.of("127.0.0.1"));
    Path certificate = Files.writeString(directory.resolve("tls.crt"), issued.certificatePem());
    Path key = Files.writeString(directory.resolve("tls.key"), issued.keyPem());

    KeyStore store = PemKeyStores.load(certificate, key);

    assertThat(store.getCertificate(PemKeyStores.ALIAS)).isEqualTo(issued.certificate());
    assertThat(store.getKey(PemKeyStores.ALIAS, PemKeyStores.PASSWORD)).isNotNull();
  }

  @Test
  void readsOpensslSec1EcAndPkcs1RsaKeys() throws Exception {
    Path tls = Path.of("src/test/resources/tls");

    KeyStore ec = PemKeyStores.load(tls.resolve("ec.crt"), tls.resolve("ec-sec1.key"));
    KeyStore rsa = PemKeyStores.load(tls.resolve("rsa.crt"), tls.resolve("rsa-pkcs1.key"));

    assertThat(Files.readString(tls.resolve("ec-sec1.key")))
        .startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThat(Files.readString(tls.resolve("rsa-pkcs1.key")))
        .startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(ec.getKey(PemKeyStores.ALIAS, PemKeyStores.PASSWORD).getAlgorithm()).isEqualTo("EC");
    assertThat(rsa.getKey(PemKeyStores.ALIAS, PemKeyStores.PASSWORD).getAlgorithm())
        .isEqualTo("RSA");
  }

  @Test
  void aKeyThatDoesNotBelongToTheCertificateIsNamedAsSuch() throws Exception {
    TestPki.Issued one = pki.server("one", List.of("localhost"), List.of());
    TestPki.Issued other = pki.server("other", List.of("localhost"), List.of());
    Path certificate = Files.writeString(directory.resolve("tls.crt"), one.certificatePem());
    Path key = Files.writeString(directory.resolve("tls.key"), other.keyPem());

    assertThatThrownBy(() -> PemKeyStores.load(certificate, key))
        .isInstanceOf(InvalidTlsFilesException.class)
        .hasMessageContaining("does not belong to the certificate")
        .hasMessageContaining("CN=one");
  }

  @Test
  void missingOrEmptyFilesAreNamed() throws Exception {
    Path empty = Files.writeString(directory.resolve("empty.crt"), "");

    assertThatThrownBy(() -> PemKeyStores.certificates(empty))
        .hasMessageContaining(empty.toString());
    assertThatThrownBy(() -> PemKeyStores.privateKey(directory.resolve("absent.key")))
        .hasMessageContaining("absent.key");
  }
}
