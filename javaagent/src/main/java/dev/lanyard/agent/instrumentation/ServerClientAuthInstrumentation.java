package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.io.InputStream;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Makes every JDK TLS server demand the client's certificate. A server's client-auth setting
 * ({@code SSLConfiguration.clientAuthType} inside SunJSSE) is written in exactly these places, and
 * each is hooked so that the last write leaves a non-exempt server demanding the client SVID:
 *
 * <ul>
 *   <li>{@code setUseClientMode}, {@code setNeedClientAuth}, {@code setWantClientAuth} and
 *       {@code setSSLParameters} (need and want travel in {@code SSLParameters}: the JDK
 *       HttpsServer's default {@code HttpsConfigurator} and Tomcat reset them that way) on
 *       SSLEngine, SSLSocket and SSLServerSocket;
 *   <li>the one constructor that makes an SSLSocket in server mode without any of those calls
 *       ({@code SSLSocketFactory.createSocket(socket, consumed, autoClose)});
 *   <li>SSLServerSocket before each accept, whose socket copies the server socket's setting (the
 *       local port is known then, so a port listed in LANYARD_PLAIN_PORTS can be exempted).
 * </ul>
 */
public final class ServerClientAuthInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "server-client-auth";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("sun.security.ssl.SSLEngineImpl", "sun.security.ssl.SSLSocketImpl",
        "sun.security.ssl.SSLServerSocketImpl");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(namedOneOf("setUseClientMode", "setNeedClientAuth", "setWantClientAuth",
                "setSSLParameters").and(takesArguments(1)),
            ServerClientAuthInstrumentation.class.getName() + "$ModeChangeAdvice")
        .advice(isConstructor().and(takesArguments(4)).and(takesArgument(2, InputStream.class)),
            ServerClientAuthInstrumentation.class.getName() + "$ModeChangeAdvice")
        .advice(named("accept").and(takesArguments(0)),
            ServerClientAuthInstrumentation.class.getName() + "$AcceptAdvice");
  }

  /**
   * After a mode or client-auth change, or after a server-mode socket was made: demand the client
   * SVID again if a server.
   */
  public static final class ModeChangeAdvice {
    private ModeChangeAdvice() {}

    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void exit(@Advice.This Object tls) {
      LanyardBridge.enforceClientAuth(tls);
    }
  }

  /** Before a server socket accepts: demand the client SVID unless its port is exempt. */
  public static final class AcceptAdvice {
    private AcceptAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(@Advice.This Object serverSocket) {
      LanyardBridge.enforceClientAuth(serverSocket);
    }
  }
}
