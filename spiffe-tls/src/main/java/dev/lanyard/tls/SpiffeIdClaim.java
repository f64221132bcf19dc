package dev.lanyard.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The one place Lanyard reads which SPIFFE ID a certificate claims: the first URI SAN whose scheme
 * is {@code spiffe}, exactly as the certificate spells it. The javaagent, the sidecar and the
 * trust manager all ask here.
 *
 * <p>The scheme is compared case-insensitively: a URI scheme is case-insensitive (RFC 3986,
 * section 3.1), so {@code SPIFFE://td/x} is a claim to a SPIFFE ID. Recognising it as a claim is
 * what keeps it out of Web PKI: the claim then goes to {@link SvidValidator}, which refuses it
 * ({@code malformed_spiffe_id}), because a valid SPIFFE ID must use the {@code spiffe} scheme
 * (SPIFFE-ID standard, section 2: "Valid SPIFFE IDs MUST use the `spiffe` scheme") in the lower
 * case that go-spiffe and SPIRE require, and an ID is used as the certificate spells it. A reader
 * that matched only {@code spiffe://} would let {@code SPIFFE://} pass as "no SPIFFE ID" (so as a
 * Web PKI certificate) in one component and be refused as a bad SVID in another.
 *
 * <p>Several URI SANs: the first SPIFFE one is the claim (it names the peer in refusals); an
 * X.509-SVID has exactly one URI SAN, which {@link SvidValidator} enforces.
 */
public final class SpiffeIdClaim {
  private static final String SCHEME = "spiffe:";

  private SpiffeIdClaim() {}

  /** The SPIFFE ID {@code certificate} claims (not verified), or empty. */
  public static Optional<String> of(X509Certificate certificate) {
    for (String uri : Certificates.uriSans(certificate)) {
      if (uri.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
        return Optional.of(uri);
      }
    }
    return Optional.empty();
  }

  /** The SPIFFE ID a chain's leaf claims; empty for no chain or a leaf that is not X.509. */
  public static Optional<String> ofLeaf(Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
      return Optional.empty();
    }
    return of((X509Certificate) chain[0]);
  }
}
