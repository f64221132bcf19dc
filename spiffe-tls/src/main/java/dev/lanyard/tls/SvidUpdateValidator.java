package dev.lanyard.tls;

import io.spiffe.spiffeid.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

/**
 * Checks an X.509-SVID update from the Workload API before it replaces the one we hold: it must
 * be a valid X.509-SVID that chains to our own trust domain's bundle in the same update, and the
 * private key must belong to the leaf. A bad update is rejected and the last good SVID is kept.
 */
final class SvidUpdateValidator {
  private static final byte[] PROBE = "lanyard key pairing probe".getBytes(StandardCharsets.US_ASCII);

  private static final String PEER_HINT = "; the peer's SPIRE Agent is not renewing it";

  private final SvidValidator validator;

  SvidUpdateValidator(Clock clock) {
    this.validator = new SvidValidator(clock);
  }

  Identity validate(List<X509Certificate> chain, PrivateKey key, TrustBundles bundles)
      throws InvalidSvidException {
    SpiffeId id;
    try {
      id = validator.validate(chain, bundles);
    } catch (InvalidSvidException e) {
      if (e.reason() != InvalidSvidException.Reason.EXPIRED) {
        throw e;
      }
      // SvidValidator speaks of a peer; here our own SPIRE Agent sent an SVID already expired.
      throw new InvalidSvidException(e.reason(), e.getMessage().replace(PEER_HINT, "")
          + "; the Workload API sent it already expired: check the clocks of this host and of"
          + " the SPIRE Agent", e);
    }
    checkKeyPair(id, key, chain.get(0).getPublicKey());
    return Identity.of(id, chain, key);
  }

  /** Signs a probe with the private key and verifies it with the leaf's public key. */
  private static void checkKeyPair(SpiffeId id, PrivateKey key, PublicKey publicKey)
      throws InvalidSvidException {
    try {
      String algorithm = signatureAlgorithm(key);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(PROBE);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(PROBE);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new InvalidSvidException(InvalidSvidException.Reason.KEY_DOES_NOT_MATCH,
          "the private key delivered with X.509-SVID " + id + " cannot be checked against its"
              + " certificate: " + e.getMessage(), e);
    }
    throw new InvalidSvidException(InvalidSvidException.Reason.KEY_DOES_NOT_MATCH,
        "the private key delivered with X.509-SVID " + id + " does not belong to its certificate");
  }

  private static String signatureAlgorithm(PrivateKey key) {
    switch (key.getAlgorithm()) {
      case "EC":
        return "SHA256withECDSA";
      case "RSA":
        return "SHA256withRSA";
      default:
        return key.getAlgorithm(); // Ed25519 / EdDSA name their own signature algorithm
    }
  }
}
