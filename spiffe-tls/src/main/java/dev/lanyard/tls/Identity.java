package dev.lanyard.tls;

import io.spiffe.spiffeid.SpiffeId;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One X.509-SVID as an immutable snapshot: chain, private key and what is derived from them. A
 * TLS handshake takes one snapshot and uses only it, so a rotation between "give me the chain"
 * and "give me the key" can never pair one SVID's chain with the next one's key.
 */
public final class Identity {
  private final SpiffeId spiffeId;
  private final List<X509Certificate> chain;
  private final PrivateKey privateKey;

  private Identity(SpiffeId spiffeId, List<X509Certificate> chain, PrivateKey privateKey) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("an X.509-SVID needs at least its leaf certificate");
    }
    this.spiffeId = Objects.requireNonNull(spiffeId, "spiffeId");
    this.chain = Collections.unmodifiableList(new ArrayList<>(chain));
    this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
  }

  /** The chain is leaf first, then intermediates (as the Workload API delivers it). */
  public static Identity of(SpiffeId spiffeId, List<X509Certificate> chain, PrivateKey privateKey) {
    return new Identity(spiffeId, chain, privateKey);
  }

  public SpiffeId spiffeId() {
    return spiffeId;
  }

  public List<X509Certificate> chain() {
    return chain;
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** The key; never logged, never served. */
  public PrivateKey privateKey() {
    return privateKey;
  }

  public BigInteger serial() {
    return leaf().getSerialNumber();
  }

  /** The leaf serial in lower-case hex: the key manager's alias for this snapshot. */
  public String serialHex() {
    return serial().toString(16);
  }

  public Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  /** When SPIRE is expected to rotate it: half-way through its lifetime (the SPIRE Agent's rule). */
  public Instant rotationDue() {
    Duration lifetime = Duration.between(notBefore(), notAfter());
    return notBefore().plus(lifetime.dividedBy(2));
  }

  public boolean isValidAt(Instant now) {
    return !now.isBefore(notBefore()) && now.isBefore(notAfter());
  }

  /** Same SVID (same leaf)? */
  public boolean sameSvid(Identity other) {
    return other != null && leaf().equals(other.leaf());
  }

  @Override
  public String toString() {
    return spiffeId + " serial " + serialHex() + " valid " + notBefore() + " to " + notAfter();
  }
}
