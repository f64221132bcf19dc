package dev.lanyard.tls;

import io.spiffe.bundle.jwtbundle.JwtBundle;
import io.spiffe.bundle.jwtbundle.JwtBundleSet;
import io.spiffe.spiffeid.TrustDomain;
import java.security.PublicKey;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The JWT authorities (key ID → public key) of every trust domain we know, as an immutable
 * snapshot. A JWT-SVID is verified only against its own trust domain's keys.
 */
public final class JwtBundles {
  public static final JwtBundles EMPTY =
      new JwtBundles(Collections.<String, Map<String, PublicKey>>emptyMap());

  private final Map<String, Map<String, PublicKey>> keys;

  private JwtBundles(Map<String, ? extends Map<String, PublicKey>> keys) {
    Map<String, Map<String, PublicKey>> copy = new TreeMap<>();
    keys.forEach((domain, byId) ->
        copy.put(domain, Collections.unmodifiableMap(new LinkedHashMap<>(byId))));
    this.keys = Collections.unmodifiableMap(copy);
  }

  /** From trust domain names to their key IDs and keys. */
  public static JwtBundles of(Map<String, ? extends Map<String, PublicKey>> keys) {
    return new JwtBundles(keys);
  }

  static JwtBundles from(JwtBundleSet set) {
    Map<String, Map<String, PublicKey>> map = new TreeMap<>();
    for (Map.Entry<TrustDomain, JwtBundle> entry : set.getBundles().entrySet()) {
      map.put(entry.getKey().getName(), entry.getValue().getJwtAuthorities());
    }
    return new JwtBundles(map);
  }

  /** The keys of {@code trustDomain}; empty when we have no JWT bundle for it. */
  public Optional<Map<String, PublicKey>> forTrustDomain(String trustDomain) {
    Map<String, PublicKey> byId = keys.get(trustDomain);
    return byId == null || byId.isEmpty() ? Optional.<Map<String, PublicKey>>empty()
        : Optional.of(byId);
  }

  public Map<String, Map<String, PublicKey>> asMap() {
    return keys;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof JwtBundles && ((JwtBundles) other).keys.equals(keys);
  }

  @Override
  public int hashCode() {
    return keys.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    keys.forEach((domain, byId) -> out.append(out.length() == 0 ? "" : ", ").append(domain)
        .append(" (").append(byId.size()).append(" JWT keys)"));
    return out.toString();
  }
}
