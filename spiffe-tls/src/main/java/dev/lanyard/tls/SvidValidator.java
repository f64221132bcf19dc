package dev.lanyard.tls;

import io.spiffe.spiffeid.SpiffeId;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks that a peer's certificate chain is a valid X.509-SVID (SPIFFE X509-SVID spec, sections
 * 4 and 5) and returns its SPIFFE ID: exactly one URI SAN with the spiffe scheme, a leaf that is
 * not a CA and may only sign (digitalSignature, no keyCertSign/cRLSign), within its validity, and
 * a chain that verifies (PKIX) to the bundle of the ID's own trust domain. Revocation is not
 * checked: SPIFFE relies on short-lived SVIDs instead.
 */
public final class SvidValidator {
  private static final int DIGITAL_SIGNATURE = 0;
  private static final int KEY_CERT_SIGN = 5;
  private static final int CRL_SIGN = 6;

  private final Clock clock;

  public SvidValidator(Clock clock) {
    this.clock = clock;
  }

  /** Validates {@code chain} (leaf first) against {@code bundles}; returns the leaf's SPIFFE ID. */
  public SpiffeId validate(List<X509Certificate> chain, TrustBundles bundles)
      throws InvalidSvidException {
    if (chain == null || chain.isEmpty()) {
      throw new InvalidSvidException(InvalidSvidException.Reason.EMPTY_CHAIN,
          "the peer sent no certificate");
    }
    X509Certificate leaf = chain.get(0);
    SpiffeId id = spiffeIdOf(leaf);
    checkLeafConstraints(leaf, id);
    checkValidity(leaf, id, clock.instant());
    Set<X509Certificate> authorities = bundles.forTrustDomain(id.getTrustDomain())
        .orElseThrow(() -> new InvalidSvidException(InvalidSvidException.Reason.UNKNOWN_TRUST_DOMAIN,
            "X.509-SVID " + id + " is from trust domain " + id.getTrustDomain().getName()
                + ", for which we hold no trust bundle (known: " + bundles.asMap().keySet()
                + "); federate the trust domains in SPIRE to trust it"));
    verifyPath(chain, authorities, id);
    return id;
  }

  /** The SPIFFE ID of an X.509-SVID leaf: exactly one URI SAN, and it must be a SPIFFE ID. */
  static SpiffeId spiffeIdOf(X509Certificate leaf) throws InvalidSvidException {
    List<String> uris = Certificates.uriSans(leaf);
    String subject = leaf.getSubjectX500Principal().getName();
    if (uris.isEmpty()) {
      throw new InvalidSvidException(InvalidSvidException.Reason.NO_URI_SAN,
          "certificate \"" + subject + "\" has no URI SAN, so it carries no SPIFFE ID");
    }
    if (uris.size() > 1) {
      throw new InvalidSvidException(InvalidSvidException.Reason.MULTIPLE_URI_SANS,
          "certificate \"" + subject + "\" has " + uris.size() + " URI SANs " + uris
              + "; an X.509-SVID has exactly one");
    }
    String uri = uris.get(0);
    if (!uri.toLowerCase(Locale.ROOT).startsWith("spiffe://")) {
      throw new InvalidSvidException(InvalidSvidException.Reason.NOT_SPIFFE_SCHEME,
          "certificate \"" + subject + "\" has URI SAN " + uri + ", which is not a spiffe:// ID");
    }
    SpiffeId id;
    try {
      id = SpiffeId.parse(uri);
    } catch (RuntimeException e) {
      throw new InvalidSvidException(InvalidSvidException.Reason.MALFORMED_SPIFFE_ID,
          "URI SAN " + uri + " is not a valid SPIFFE ID: " + e.getMessage(), e);
    }
    // java-spiffe lower-cases the scheme and trust domain instead of refusing them; the SPIFFE ID
    // spec allows lower case only (go-spiffe, and so ghostunnel, refuse), and an ID that is not
    // the certificate's own string would put another name than the certificate's in audit lines.
    if (!id.toString().equals(uri)) {
      throw new InvalidSvidException(InvalidSvidException.Reason.MALFORMED_SPIFFE_ID,
          "URI SAN " + uri + " is not a valid SPIFFE ID: the scheme and trust domain must be lower"
              + " case (" + id + ")");
    }
    return id;
  }

  private static void checkLeafConstraints(X509Certificate leaf, SpiffeId id)
      throws InvalidSvidException {
    if (leaf.getBasicConstraints() != -1) {
      throw new InvalidSvidException(InvalidSvidException.Reason.LEAF_IS_CA,
          "X.509-SVID " + id + " is a CA certificate (basicConstraints CA=true); a leaf SVID must not be");
    }
    boolean[] usage = leaf.getKeyUsage();
    if (usage != null && usage.length > KEY_CERT_SIGN && usage[KEY_CERT_SIGN]) {
      throw new InvalidSvidException(InvalidSvidException.Reason.LEAF_HAS_KEY_CERT_SIGN,
          "X.509-SVID " + id + " may sign certificates (keyUsage keyCertSign); a leaf SVID must not");
    }
    if (usage != null && usage.length > CRL_SIGN && usage[CRL_SIGN]) {
      throw new InvalidSvidException(InvalidSvidException.Reason.LEAF_HAS_CRL_SIGN,
          "X.509-SVID " + id + " may sign CRLs (keyUsage cRLSign); a leaf SVID must not");
    }
    if (usage == null || !usage[DIGITAL_SIGNATURE]) {
      throw new InvalidSvidException(InvalidSvidException.Reason.LEAF_LACKS_DIGITAL_SIGNATURE,
          "X.509-SVID " + id + " lacks keyUsage digitalSignature, which a leaf SVID must have");
    }
  }

  private static void checkValidity(X509Certificate leaf, SpiffeId id, Instant now)
      throws InvalidSvidException {
    if (now.isBefore(leaf.getNotBefore().toInstant())) {
      throw new InvalidSvidException(InvalidSvidException.Reason.NOT_YET_VALID,
          "X.509-SVID " + id + " is not valid before " + leaf.getNotBefore().toInstant()
              + " (now " + now + "); check the clocks of both hosts");
    }
    if (!now.isBefore(leaf.getNotAfter().toInstant())) {
      throw new InvalidSvidException(InvalidSvidException.Reason.EXPIRED,
          "X.509-SVID " + id + " expired at " + leaf.getNotAfter().toInstant() + " (now " + now
              + "); the peer's SPIRE Agent is not renewing it");
    }
  }

  private void verifyPath(List<X509Certificate> chain, Set<X509Certificate> authorities,
      SpiffeId id) throws InvalidSvidException {
    // A peer may append a root of the bundle; PKIX wants the path without its trust anchor.
    List<X509Certificate> path = new ArrayList<>(chain);
    while (path.size() > 1 && authorities.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    Set<TrustAnchor> anchors = new LinkedHashSet<>();
    for (X509Certificate authority : authorities) {
      anchors.add(new TrustAnchor(authority, null));
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      parameters.setDate(Date.from(clock.instant()));
      CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
    } catch (GeneralSecurityException e) {
      throw new InvalidSvidException(InvalidSvidException.Reason.CHAIN_NOT_TRUSTED,
          "X.509-SVID " + id + " does not chain to the trust bundle of "
              + id.getTrustDomain().getName() + ": " + e.getMessage(), e);
    }
  }
}
