package dev.lanyard.webhook.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.TestPki;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ClientKeyAlgorithmTest {
  @Test
  void aPkcs8EcKeyIsMarkedEcSoFabric8DoesNotReadItAsRsa() {
    String pkcs8 = TestPki.pkcs8Pem(TestPki.newKeyPair("EC").getPrivate());
    Config config =
        new ConfigBuilder()
            .withClientKeyData(
                Base64.getEncoder().encodeToString(pkcs8.getBytes(StandardCharsets.US_ASCII)))
            .build();

    ClientKeyAlgorithm.fill(config);

    assertThat(config.getClientKeyAlgo()).isEqualTo("EC");
  }

  @Test
  void rsaKeysInEitherFormatAreRsa() {
    var rsa = TestPki.newKeyPair("RSA").getPrivate();

    assertThat(ClientKeyAlgorithm.algorithm(TestPki.pkcs8Pem(rsa))).contains("RSA");
    assertThat(ClientKeyAlgorithm.algorithm(TestPki.pem(rsa))).contains("RSA");
  }

  @Test
  void aConfiguredAlgorithmIsKept() {
    Config config = new ConfigBuilder().withClientKeyAlgo("RSA").build();

    ClientKeyAlgorithm.fill(config);

    assertThat(config.getClientKeyAlgo()).isEqualTo("RSA");
  }
}
