package dev.lanyard.tls;

import java.security.cert.CertificateException;
import java.util.Locale;

/** A certificate chain that is not a valid X.509-SVID; {@link #reason()} says which rule failed. */
public final class InvalidSvidException extends CertificateException {
  private static final long serialVersionUID = 1L;

  /** Each X.509-SVID rule Lanyard enforces; {@link #code()} is a stable snake_case label. */
  public enum Reason {
    EMPTY_CHAIN,
    NO_URI_SAN,
    MULTIPLE_URI_SANS,
    NOT_SPIFFE_SCHEME,
    MALFORMED_SPIFFE_ID,
    LEAF_IS_CA,
    LEAF_HAS_KEY_CERT_SIGN,
    LEAF_HAS_CRL_SIGN,
    LEAF_LACKS_DIGITAL_SIGNATURE,
    NOT_YET_VALID,
    EXPIRED,
    UNKNOWN_TRUST_DOMAIN,
    CHAIN_NOT_TRUSTED,
    KEY_DOES_NOT_MATCH,
    // Only for updates from the Workload API, most found by java-spiffe while decoding them
    // (JavaSpiffeRejections): an SVID list, certificate, key or bundle that cannot be read.
    NO_SVID,
    MALFORMED_CERTIFICATE,
    MALFORMED_KEY,
    MALFORMED_BUNDLE,
    /** java-spiffe's "exactly one URI SAN" rule, which does not say whether there were none or more. */
    NOT_ONE_URI_SAN,
    /** java-spiffe refused the update for a reason not mapped above (its message says which). */
    MALFORMED_UPDATE;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Reason reason;

  InvalidSvidException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  InvalidSvidException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
