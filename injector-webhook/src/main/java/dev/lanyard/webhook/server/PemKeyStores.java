package dev.lanyard.webhook.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A serving key store from the PEM files Kubernetes tooling writes ({@code tls.crt} with the chain,
 * {@code tls.key} as PKCS#8, PKCS#1 RSA or SEC1 EC: cert-manager's default is PKCS#1). Checks that
 * the key belongs to the certificate, so a half-rotated Secret is reported as such instead of
 * failing every TLS handshake.
 */
public final class PemKeyStores {
  static final String ALIAS = "webhook";
  static final char[] PASSWORD = "lanyard".toCharArray();

  private PemKeyStores() {}

  public static KeyStore load(Path certificateFile, Path keyFile) {
    List<X509Certificate> chain = certificates(certificateFile);
    PrivateKey key = privateKey(keyFile);
    requireMatch(chain.get(0), key, certificateFile, keyFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(ALIAS, key, PASSWORD, chain.toArray(Certificate[]::new));
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "cannot build a key store from " + certificateFile + " and " + keyFile, e);
    }
  }

  static List<X509Certificate> certificates(Path file) {
    byte[] pem = read(file);
    try {
      Collection<? extends Certificate> parsed =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem));
      List<X509Certificate> chain = new ArrayList<>();
      parsed.forEach(certificate -> chain.add((X509Certificate) certificate));
      if (chain.isEmpty()) {
        throw new InvalidTlsFilesException(
            file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      return chain;
    } catch (GeneralSecurityException e) {
      throw new InvalidTlsFilesException(
          file + " is not a PEM certificate chain: " + e.getMessage());
    }
  }

  static PrivateKey privateKey(Path file) {
    String pem = new String(read(file), StandardCharsets.US_ASCII);
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        if (object instanceof PEMKeyPair pair) {
          // SEC1 keys may omit the public key; the private key alone is all a key store needs.
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (object instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (object.getClass().getSimpleName().contains("Encrypted")) {
          throw new InvalidTlsFilesException(
              file
                  + " holds an encrypted private key; the webhook"
                  + " needs it unencrypted (as in a kubernetes.io/tls Secret)");
        }
      }
    } catch (IOException e) {
      throw new InvalidTlsFilesException(file + " is not a PEM private key: " + e.getMessage());
    }
    throw new InvalidTlsFilesException(
        file
            + " holds no PEM private key (-----BEGIN PRIVATE KEY-----,"
            + " RSA PRIVATE KEY or EC PRIVATE KEY)");
  }

  private static void requireMatch(
      X509Certificate certificate, PrivateKey key, Path certificateFile, Path keyFile) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return; // an unusual key type: let the TLS stack judge it
    }
    try {
      byte[] probe = "lanyard key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's: a mismatch as well
    }
    throw new InvalidTlsFilesException(
        "the private key in "
            + keyFile
            + " does not belong to the"
            + " certificate in "
            + certificateFile
            + " ("
            + certificate.getSubjectX500Principal()
            + "); write both files from the same Secret");
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidTlsFilesException("cannot read " + file + ": " + e);
    }
  }
}
