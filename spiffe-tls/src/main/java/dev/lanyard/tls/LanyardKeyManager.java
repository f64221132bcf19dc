package dev.lanyard.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the workload's X.509-SVID, one immutable snapshot per handshake.
 *
 * <p>Why aliases: JSSE asks for an alias, then separately for the chain and the key of that
 * alias. java-spiffe's {@code SpiffeKeyManager} answers the two calls from whatever SVID is
 * current at each moment, so a rotation in between pairs one SVID's chain with the next one's key
 * and that handshake fails. Here the alias is the serial (hex) of the snapshot chosen for the
 * handshake, and the chain and key are looked up by that serial among the snapshots handed out
 * in the last {@link #KEEP_NANOS} (however many rotations happened meanwhile: keeping only the
 * current and previous one failed about 1 in 1,000 handshakes when SVIDs changed every 0.2 ms,
 * see HandshakeStormTest); both always come from the same SVID.
 *
 * <p>Before the first SVID, the first handshake waits (bounded by the startup policy, see {@link
 * FirstSvidWait}); after that wait it fails with {@link NoSvidException}, whose message names
 * Lanyard and the Workload API socket. An SVID outside its validity (expired while the SPIRE
 * Agent was away) is never presented: that handshake fails with {@link NoSvidException} too.
 */
public final class LanyardKeyManager extends X509ExtendedKeyManager {
  /** How long a snapshot stays findable by its alias after it was last handed out. */
  static final long KEEP_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final FirstSvidWait firstSvid;
  /** Snapshots handed out, by alias; pruned once not handed out for {@link #KEEP_NANOS}. */
  private final ConcurrentHashMap<String, Handed> recent = new ConcurrentHashMap<>();

  public LanyardKeyManager(FirstSvidWait firstSvid) {
    this.firstSvid = firstSvid;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return chooseAlias(keyTypes);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return chooseAlias(keyTypes);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return chooseAlias(new String[] {keyType});
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return chooseAlias(new String[] {keyType});
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return currentAliases(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return currentAliases(keyType);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Identity identity = find(alias);
    return identity == null ? null : identity.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Identity identity = find(alias);
    return identity == null ? null : identity.privateKey();
  }

  /**
   * Takes the snapshot for one handshake and remembers it; null when the SVID's key cannot serve
   * any of {@code keyTypes} (JSSE then tries the next signature scheme).
   */
  private String chooseAlias(String[] keyTypes) {
    Identity identity = firstSvid.presentable();
    if (!supports(identity, keyTypes)) {
      return null;
    }
    remember(identity);
    return identity.serialHex();
  }

  private String[] currentAliases(String keyType) {
    Identity identity = firstSvid.now().orElse(null);
    if (identity == null || !supports(identity, new String[] {keyType})) {
      return null;
    }
    remember(identity);
    return new String[] {identity.serialHex()};
  }

  private static boolean supports(Identity identity, String[] keyTypes) {
    if (keyTypes == null) {
      return true;
    }
    String algorithm = identity.privateKey().getAlgorithm();
    for (String keyType : keyTypes) {
      // TLS 1.2 client key types can be compound (EC_EC, EC_RSA): the first part is the key's.
      String keyPart = keyType == null ? null : keyType.split("_")[0];
      if (keyPart == null || keyPart.equalsIgnoreCase(algorithm)
          || (keyPart.equals("RSASSA-PSS") && algorithm.equals("RSA"))) {
        return true;
      }
    }
    return false;
  }

  private Identity find(String alias) {
    Handed handed = alias == null ? null : recent.get(alias);
    return handed == null ? null : handed.identity;
  }

  private void remember(Identity identity) {
    long now = System.nanoTime();
    recent.put(identity.serialHex(), new Handed(identity, now));
    if (recent.size() > 1) {
      // Only removes an entry still holding the value tested (ConcurrentHashMap semantics).
      recent.values().removeIf(handed -> now - handed.atNanos > KEEP_NANOS);
    }
  }

  /** A snapshot and when it was last handed out. */
  private static final class Handed {
    final Identity identity;
    final long atNanos;

    Handed(Identity identity, long atNanos) {
      this.identity = identity;
      this.atNanos = atNanos;
    }
  }
}
