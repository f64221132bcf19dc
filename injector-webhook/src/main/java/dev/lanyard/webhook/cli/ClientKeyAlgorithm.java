package dev.lanyard.webhook.cli;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

/**
 * Tells fabric8 what kind of client key a kubeconfig holds. fabric8 assumes RSA for a PKCS#8
 * ("PRIVATE KEY") key unless told otherwise, and then fails with "Invalid DER: object is not
 * integer" on the EC keys that kubeadm-style and test clusters issue.
 */
final class ClientKeyAlgorithm {
  private ClientKeyAlgorithm() {}

  static void fill(Config config) {
    if (config.getClientKeyAlgo() != null) {
      return;
    }
    pem(config).flatMap(ClientKeyAlgorithm::algorithm).ifPresent(config::setClientKeyAlgo);
  }

  private static Optional<String> pem(Config config) {
    try {
      if (config.getClientKeyData() != null && !config.getClientKeyData().isBlank()) {
        return Optional.of(
            new String(
                Base64.getDecoder().decode(config.getClientKeyData().trim()),
                StandardCharsets.US_ASCII));
      }
      if (config.getClientKeyFile() != null) {
        return Optional.of(
            Files.readString(Path.of(config.getClientKeyFile()), StandardCharsets.US_ASCII));
      }
    } catch (IOException | IllegalArgumentException e) {
      // fabric8 reports unreadable keys itself, naming the file
    }
    return Optional.empty();
  }

  static Optional<String> algorithm(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object = parser.readObject();
      PrivateKeyInfo info =
          object instanceof PEMKeyPair pair
              ? pair.getPrivateKeyInfo()
              : object instanceof PrivateKeyInfo direct ? direct : null;
      if (info == null) {
        return Optional.empty();
      }
      return Optional.of(
          X9ObjectIdentifiers.id_ecPublicKey.equals(info.getPrivateKeyAlgorithm().getAlgorithm())
              ? "EC"
              : "RSA");
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
