package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import dev.lanyard.agent.bootstrap.LanyardManaged;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Hooks SunJSSE's {@code SSLContextImpl.engineInit}, which every JDK SSLContext goes through:
 * {@code SSLContext.init(km, tm, sr)} from any library, and the JVM's default context (its
 * constructor calls engineInit with the default KeyManagerFactory/TrustManagerFactory managers).
 * Hooking the SPI rather than {@code SSLContext.setDefault} is what reaches OkHttp, Apache
 * HttpClient, Jetty, Tomcat and Netty's JDK provider, which all build their own contexts.
 *
 * <p>A context initialised before these hooks (another {@code -javaagent} listed before Lanyard's
 * whose premain called {@code SSLContext.getDefault()}, or any TLS use before the hooks were in
 * place) is <em>adopted</em> at its next use: every handshake reaches its managers through
 * {@code getX509KeyManager()}/{@code getX509TrustManager()}, and every session lookup through
 * {@code engineGet{Client,Server}SessionContext()}, so on entry to any of these a context whose
 * managers are not Lanyard's gets them (wrapping its own, as {@code engineInit} would have) and
 * loses the sessions it cached without them, before any handshake or resumption uses it.
 */
public final class SslContextInitInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "ssl-context-init";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("sun.security.ssl.SSLContextImpl");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("engineInit").and(takesArguments(3)), SslContextInitInstrumentation.class.getName()
            + "$EngineInitAdvice")
        .advice(namedOneOf("getX509KeyManager", "getX509TrustManager",
                "engineGetClientSessionContext", "engineGetServerSessionContext")
                .and(takesArguments(0)),
            SslContextInitInstrumentation.class.getName() + "$AdoptEarlyContextAdvice");
  }

  /** Replaces the managers the caller asked for with Lanyard's (wrapping the caller's as fallback). */
  public static final class EngineInitAdvice {
    private EngineInitAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(
        @Advice.Argument(value = 0, readOnly = false) KeyManager[] keyManagers,
        @Advice.Argument(value = 1, readOnly = false) TrustManager[] trustManagers) {
      keyManagers = LanyardBridge.keyManagers(keyManagers);
      trustManagers = LanyardBridge.trustManagers(trustManagers);
    }

    /**
     * Puts the new context's session caches under the session policy; a context whose caches
     * could not be is made to refuse every peer (its sessions would outlive rotations).
     */
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void exit(
        @Advice.This Object contextSpi,
        @Advice.FieldValue(value = "keyManager", readOnly = false) X509ExtendedKeyManager keyManager,
        @Advice.FieldValue(value = "trustManager", readOnly = false) X509TrustManager trustManager) {
      if (!LanyardBridge.onSslContextInitialized(contextSpi)) {
        keyManager = LanyardBridge.failClosedKeyManager();
        trustManager = LanyardBridge.failClosedTrustManager("onSslContextInitialized");
      }
    }
  }

  /** Gives a context initialised before the hooks Lanyard's managers, before it is used. */
  public static final class AdoptEarlyContextAdvice {
    private AdoptEarlyContextAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(
        @Advice.This Object contextSpi,
        @Advice.FieldValue("isInitialized") boolean initialized,
        @Advice.FieldValue(value = "keyManager", readOnly = false) X509ExtendedKeyManager keyManager,
        @Advice.FieldValue(value = "trustManager", readOnly = false) X509TrustManager trustManager) {
      if (initialized && !(keyManager instanceof LanyardManaged
          && trustManager instanceof LanyardManaged)) {
        Object[] adopted = LanyardBridge.adoptManagers(keyManager, trustManager);
        if (adopted != null) {
          keyManager = (X509ExtendedKeyManager) adopted[0];
          trustManager = (X509TrustManager) adopted[1];
          if (!LanyardBridge.onEarlyContextAdopted(contextSpi)) {
            keyManager = LanyardBridge.failClosedKeyManager();
            trustManager = LanyardBridge.failClosedTrustManager("onEarlyContextAdopted");
          }
        }
      }
    }
  }
}
