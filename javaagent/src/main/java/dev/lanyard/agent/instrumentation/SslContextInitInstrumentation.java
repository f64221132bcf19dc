package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Hooks SunJSSE's {@code SSLContextImpl.engineInit}, which every JDK SSLContext goes through:
 * {@code SSLContext.init(km, tm, sr)} from any library, and the JVM's default context (its
 * constructor calls engineInit with the default KeyManagerFactory/TrustManagerFactory managers).
 * Hooking the SPI rather than {@code SSLContext.setDefault} is what reaches OkHttp, Apache
 * HttpClient, Jetty, Tomcat and Netty's JDK provider, which all build their own contexts.
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
            + "$EngineInitAdvice");
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

    /** Puts the new context's session caches under the session policy. */
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void exit(@Advice.This Object contextSpi) {
      LanyardBridge.onSslContextInitialized(contextSpi);
    }
  }
}
