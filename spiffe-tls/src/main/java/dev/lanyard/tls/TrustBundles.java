package dev.lanyard.tls;

import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.bundle.x509bundle.X509BundleSet;
import io.spiffe.spiffeid.TrustDomain;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The X.509 authorities of every trust domain we know (our own and federated ones), as an
 * immutable snapshot. A peer's chain is verified only against its own trust domain's bundle.
 */
public final class TrustBundles {
  public static final TrustBundles EMPTY =
      new TrustBundles(Collections.<String, Set<X509Certificate>>emptyMap());

  /** Trust domain name → authorities, sorted by name for stable output. */
  private final Map<String, Set<X509Certificate>> authorities;

  private TrustBundles(Map<String, Set<X509Certificate>> authorities) {
    Map<String, Set<X509Certificate>> copy = new TreeMap<>();
    authorities.forEach((domain, certificates) -> copy.put(domain,
        Collections.unmodifiableSet(new LinkedHashSet<>(certificates))));
    this.authorities = Collections.unmodifiableMap(copy);
  }

  /** From trust domain names to their authorities. */
  public static TrustBundles of(Map<String, ? extends Set<X509Certificate>> authorities) {
    return new TrustBundles(Collections.unmodifiableMap(authorities));
  }

  static TrustBundles from(X509BundleSet bundleSet) {
    Map<String, Set<X509Certificate>> map = new TreeMap<>();
    for (Map.Entry<TrustDomain, X509Bundle> entry : bundleSet.getBundles().entrySet()) {
      map.put(entry.getKey().getName(), entry.getValue().getX509Authorities());
    }
    return new TrustBundles(map);
  }

  /** The authorities of {@code trustDomain}; empty when we have no bundle for it. */
  public Optional<Set<X509Certificate>> forTrustDomain(TrustDomain trustDomain) {
    Set<X509Certificate> set = authorities.get(trustDomain.getName());
    return set == null || set.isEmpty() ? Optional.<Set<X509Certificate>>empty() : Optional.of(set);
  }

  /** All trust domains and their authorities. */
  public Map<String, Set<X509Certificate>> asMap() {
    return authorities;
  }

  /** Every authority of every trust domain (for {@code getAcceptedIssuers}). */
  public X509Certificate[] allAuthorities() {
    Set<X509Certificate> all = new LinkedHashSet<>();
    authorities.values().forEach(all::addAll);
    return all.toArray(new X509Certificate[0]);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TrustBundles && ((TrustBundles) other).authorities.equals(authorities);
  }

  @Override
  public int hashCode() {
    return authorities.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    authorities.forEach((domain, certs) ->
        out.append(out.length() == 0 ? "" : ", ").append(domain).append(" (")
            .append(certs.size()).append(" authorities)"));
    return out.toString();
  }
}
