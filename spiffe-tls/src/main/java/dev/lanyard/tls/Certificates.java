package dev.lanyard.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** Small certificate helpers shared by the validator, the key manager and the admin endpoint. */
final class Certificates {
  private static final int URI_SAN = 6;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Certificates() {}

  /** All URI subject alternative names of {@code certificate}, in order. */
  static List<String> uriSans(X509Certificate certificate) {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return Collections.emptyList();
    }
    if (names == null) {
      return Collections.emptyList();
    }
    List<String> uris = new ArrayList<>();
    for (List<?> name : names) {
      if (name.size() >= 2 && Integer.valueOf(URI_SAN).equals(name.get(0))) {
        uris.add(String.valueOf(name.get(1)));
      }
    }
    return uris;
  }

  /** Lower-case hex SHA-256 of the DER encoding. */
  static String sha256(X509Certificate certificate) {
    try {
      return hex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint certificate", e);
    }
  }

  static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }
}
