package dev.lanyard.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the workload's X.509-SVID, one immutable snapshot per handshake.
 *
 * <p>Why aliases: JSSE asks for an alias, then separately for the chain and the key of that
 * alias. java-spiffe's {@code SpiffeKeyManager} answers the two calls from whatever SVID is
 * current at each moment, so a rotation in between pairs one SVID's chain with the next one's key
 * and that handshake fails. Here the alias is the serial (hex) of the snapshot chosen for the
 * handshake, and the chain and key are looked up by that serial among the current and previous
 * snapshots; both always come from the same SVID.
 *
 * <p>Before the first SVID, the first handshake waits (bounded by the startup policy, see {@link
 * FirstSvidWait}); after that wait it fails with {@link NoSvidException}, whose message names
 * Lanyard and the Workload API socket. An SVID outside its validity (expired while the SPIRE
 * Agent was away) is never presented: that handshake fails with {@link NoSvidException} too.
 */
public final class LanyardKeyManager extends X509ExtendedKeyManager {
  private final FirstSvidWait firstSvid;
  private final AtomicReference<Snapshots> recent = new AtomicReference<>(Snapshots.NONE);

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
    Identity identity = recent.get().find(alias);
    return identity == null ? null : identity.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Identity identity = recent.get().find(alias);
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
    recent.updateAndGet(snapshots -> snapshots.remember(identity));
    return identity.serialHex();
  }

  private String[] currentAliases(String keyType) {
    Identity identity = firstSvid.now().orElse(null);
    if (identity == null || !supports(identity, new String[] {keyType})) {
      return null;
    }
    recent.updateAndGet(snapshots -> snapshots.remember(identity));
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

  /** The snapshot handed out last and the one before it, so an in-flight handshake finds its own. */
  private static final class Snapshots {
    static final Snapshots NONE = new Snapshots(null, null);

    final Identity current;
    final Identity previous;

    Snapshots(Identity current, Identity previous) {
      this.current = current;
      this.previous = previous;
    }

    Snapshots remember(Identity identity) {
      if (identity.sameSvid(current)) {
        return this;
      }
      return new Snapshots(identity, current);
    }

    Identity find(String alias) {
      if (alias == null) {
        return null;
      }
      if (current != null && current.serialHex().equals(alias)) {
        return current;
      }
      if (previous != null && previous.serialHex().equals(alias)) {
        return previous;
      }
      return null;
    }
  }
}
