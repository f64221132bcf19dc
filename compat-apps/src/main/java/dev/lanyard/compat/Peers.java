package dev.lanyard.compat;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The identity an app reports for its peer: the URI SAN of the peer's leaf certificate (a SPIFFE ID
 * under Lanyard), or {@code none} when there is no TLS, no peer certificate or no URI SAN.
 */
public final class Peers {
  /** What is reported when there is no peer identity. */
  public static final String NONE = "none";

  private static final int URI_SAN = 6;

  private Peers() {}

  /** The peer identity of a TLS session; {@code none} for null or an unauthenticated peer. */
  public static String of(SSLSession session) {
    if (session == null) {
      return NONE;
    }
    try {
      return of(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return NONE;
    }
  }

  /** The URI SAN of the first (leaf) certificate of a chain. */
  public static String of(Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return NONE;
    }
    return of(chain[0]);
  }

  /** The URI SAN of the first (leaf) certificate of a chain. */
  public static String of(List<? extends Certificate> chain) {
    return chain == null || chain.isEmpty() ? NONE : of(chain.get(0));
  }

  /** The first URI SAN of one certificate. */
  public static String of(Certificate certificate) {
    if (!(certificate instanceof X509Certificate x509)) {
      return NONE;
    }
    try {
      Collection<List<?>> names = x509.getSubjectAlternativeNames();
      if (names == null) {
        return NONE;
      }
      for (List<?> name : names) {
        if (name.size() >= 2 && Integer.valueOf(URI_SAN).equals(name.get(0))) {
          return String.valueOf(name.get(1));
        }
      }
      return NONE;
    } catch (CertificateParsingException e) {
      return NONE;
    }
  }

  /** The response body every server sends. */
  public static String body(String peer) {
    return "peer=" + peer;
  }
}
