package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.LanyardManaged;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * Lanyard's key manager as the instrumented JVM sees it. Servers always present the SVID (a mesh
 * port). A client presents the SVID, except to a server that asks for a client certificate from
 * specific CAs none of which is a SPIFFE trust bundle authority, when the application brought its
 * own key for exactly that case (e.g. a partner API with its own mTLS): then the application's
 * key answers, under an alias prefixed {@value #APP_PREFIX}.
 */
final class ManagedKeyManager extends X509ExtendedKeyManager implements LanyardManaged {
  static final String APP_PREFIX = "app:";

  private final X509ExtendedKeyManager svid;
  private final X509KeyManager application;
  private final Supplier<Set<Principal>> bundleAuthorities;

  ManagedKeyManager(X509ExtendedKeyManager svid, X509KeyManager application,
      Supplier<Set<Principal>> bundleAuthorities) {
    this.svid = svid;
    this.application = application;
    this.bundleAuthorities = bundleAuthorities;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    if (wantsApplicationKey(issuers)) {
      String alias = application.chooseClientAlias(keyTypes, issuers, socket);
      if (alias != null) {
        return APP_PREFIX + alias;
      }
    }
    return svid.chooseClientAlias(keyTypes, issuers, socket);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    if (wantsApplicationKey(issuers)) {
      String alias = application instanceof X509ExtendedKeyManager
          ? ((X509ExtendedKeyManager) application).chooseEngineClientAlias(keyTypes, issuers, engine)
          : application.chooseClientAlias(keyTypes, issuers, null);
      if (alias != null) {
        return APP_PREFIX + alias;
      }
    }
    return svid.chooseEngineClientAlias(keyTypes, issuers, engine);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return svid.chooseServerAlias(keyType, issuers, socket);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return svid.chooseEngineServerAlias(keyType, issuers, engine);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return svid.getClientAliases(keyType, issuers);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return svid.getServerAliases(keyType, issuers);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    if (alias != null && alias.startsWith(APP_PREFIX) && application != null) {
      return application.getCertificateChain(alias.substring(APP_PREFIX.length()));
    }
    return svid.getCertificateChain(alias);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    if (alias != null && alias.startsWith(APP_PREFIX) && application != null) {
      return application.getPrivateKey(alias.substring(APP_PREFIX.length()));
    }
    return svid.getPrivateKey(alias);
  }

  /** The server named CAs, none of them ours, and the application has a key of its own. */
  private boolean wantsApplicationKey(Principal[] issuers) {
    if (application == null || issuers == null || issuers.length == 0) {
      return false;
    }
    Set<Principal> ours = bundleAuthorities.get();
    for (Principal issuer : issuers) {
      if (ours.contains(issuer)) {
        return false;
      }
    }
    return true;
  }
}
