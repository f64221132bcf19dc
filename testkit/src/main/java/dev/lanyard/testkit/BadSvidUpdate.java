package dev.lanyard.testkit;

import dev.lanyard.testkit.TestPki.Issued;
import dev.lanyard.testkit.TestPki.SvidFlaw;
import io.spiffe.workloadapi.grpc.Workload;
import java.util.Arrays;
import java.util.List;

/**
 * The X.509-SVID updates real SPIRE never sends, for {@link WorkloadApiDouble}: each is one good
 * update from {@code ca} with exactly one thing wrong, and knows the reason code Lanyard must
 * reject it with (the {@code reason} label of {@code lanyard_svid_updates_rejected_total}). Each
 * is rejected with the stream kept, as is an update whose SPIFFE ID java-spiffe cannot parse
 * ({@code TestPki.SvidFlaw.MALFORMED_SPIFFE_ID}, tested on its own).
 */
public enum BadSvidUpdate {
  /** No X.509-SVID at all. */
  NO_SVID("no_svid"),
  /** The certificate bytes cut short: not DER. */
  MALFORMED_CERTIFICATE("malformed_certificate"),
  /** The key bytes cut in half: not a PKCS#8 key. */
  MALFORMED_KEY("malformed_key"),
  /** A well-formed key of another certificate. */
  KEY_DOES_NOT_MATCH("key_does_not_match"),
  /** A leaf with a second spiffe:// URI SAN (java-spiffe cannot tell none from two). */
  TWO_URI_SANS("not_one_uri_san"),
  /** A leaf whose SPIFFE ID has its trust domain in upper case (not canonical). */
  UPPER_CASE_TRUST_DOMAIN("malformed_spiffe_id"),
  /** A leaf with basicConstraints CA=true. */
  LEAF_IS_CA("leaf_is_ca"),
  /** A leaf that expired an hour ago. */
  EXPIRED("expired"),
  /** A good SVID with a bundle that holds another CA, not its issuer. */
  BUNDLE_WITHOUT_ISSUER("chain_not_trusted");

  private final String reason;

  BadSvidUpdate(String reason) {
    this.reason = reason;
  }

  /** The reason code Lanyard must reject this update with. */
  public String reason() {
    return reason;
  }

  /** This update for {@code spiffeId}, built from {@code good} (an SVID of {@code ca}). */
  public Workload.X509SVIDResponse response(TestPki ca, Issued good, String spiffeId) {
    byte[] leaf = WorkloadApiDouble.der(List.of(good.certificate()));
    byte[] key = good.key().getEncoded();
    byte[] bundle = WorkloadApiDouble.der(List.of(ca.caCertificate()));
    switch (this) {
      case NO_SVID:
        return WorkloadApiDouble.emptyResponse();
      case MALFORMED_CERTIFICATE:
        return WorkloadApiDouble.response(spiffeId, Arrays.copyOf(leaf, leaf.length - 40), key,
            bundle);
      case MALFORMED_KEY:
        return WorkloadApiDouble.response(spiffeId, leaf, Arrays.copyOf(key, key.length / 2),
            bundle);
      case KEY_DOES_NOT_MATCH:
        return WorkloadApiDouble.response(spiffeId, leaf,
            ca.svid(spiffeId).key().getEncoded(), bundle);
      case TWO_URI_SANS:
        return good(ca, ca.flawedSvid(SvidFlaw.TWO_URI_SANS, spiffeId), spiffeId);
      case UPPER_CASE_TRUST_DOMAIN:
        return good(ca, ca.flawedSvid(SvidFlaw.UPPER_CASE_TRUST_DOMAIN, spiffeId), spiffeId);
      case LEAF_IS_CA:
        return good(ca, ca.flawedSvid(SvidFlaw.LEAF_IS_CA, spiffeId), spiffeId);
      case EXPIRED:
        return good(ca, ca.flawedSvid(SvidFlaw.EXPIRED, spiffeId), spiffeId);
      case BUNDLE_WITHOUT_ISSUER:
        return WorkloadApiDouble.response(spiffeId, leaf, key,
            WorkloadApiDouble.der(List.of(TestPki.create("another CA").caCertificate())));
      default:
        throw new IllegalStateException(name());
    }
  }

  /** {@code svid} as SPIRE sends it: the leaf without the root, {@code ca} as the bundle. */
  public static Workload.X509SVIDResponse good(TestPki ca, Issued svid, String spiffeId) {
    return WorkloadApiDouble.response(spiffeId, List.of(svid.certificate()), svid.key(),
        List.of(ca.caCertificate()));
  }
}
