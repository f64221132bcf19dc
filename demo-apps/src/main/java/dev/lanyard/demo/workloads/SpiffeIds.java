package dev.lanyard.demo.workloads;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Reads SPIFFE IDs with the standard JSSE API only: the URI SAN of a leaf certificate, from a TLS
 * session's peer or local certificates. Whoever supplies the certificates (here the Lanyard
 * javaagent) is invisible to the application.
 */
public final class SpiffeIds {
  /** Reported when there is no certificate or no URI SAN. */
  public static final String NONE = "none";

  private static final int URI_SAN = 6;

  private SpiffeIds() {}

  /** The SPIFFE ID the other side of {@code session} presented. */
  public static String peer(SSLSession session) {
    try {
      return session == null ? NONE : leaf(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return NONE;
    }
  }

  /** The SPIFFE ID this side presented in {@code session}: the workload's own identity. */
  public static String local(SSLSession session) {
    return session == null ? NONE : leaf(session.getLocalCertificates());
  }

  static String leaf(Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return NONE;
    }
    try {
      Collection<List<?>> names = leaf.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> name : names) {
          if (name.size() >= 2 && Integer.valueOf(URI_SAN).equals(name.get(0))) {
            return String.valueOf(name.get(1));
          }
        }
      }
      return NONE;
    } catch (CertificateParsingException e) {
      return NONE;
    }
  }
}
