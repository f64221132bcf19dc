package dev.lanyard.agent;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;

/** Whether a certificate carries a spiffe:// URI SAN (it claims to be an X.509-SVID). */
final class SpiffeLeaves {
  private static final int URI_NAME = 6;

  private SpiffeLeaves() {}

  static boolean hasSpiffeId(X509Certificate certificate) {
    return spiffeId(certificate) != null;
  }

  /** The first spiffe:// URI SAN, or null. */
  static String spiffeId(X509Certificate certificate) {
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names == null) {
        return null;
      }
      for (List<?> name : names) {
        if (name.size() >= 2 && Integer.valueOf(URI_NAME).equals(name.get(0))
            && String.valueOf(name.get(1)).startsWith("spiffe://")) {
          return String.valueOf(name.get(1));
        }
      }
      return null;
    } catch (CertificateParsingException e) {
      return null;
    }
  }
}
