package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Makes every JDK TLS server demand the client's certificate: SSLEngine (Jetty, Tomcat, the JDK
 * HttpsServer, Netty's JDK provider) and SSLSocket when they enter server mode or their client-auth
 * setting changes, and SSLServerSocket before each accept (its local port is known then, so a port
 * listed in LANYARD_PLAIN_PORTS can be exempted).
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
        .advice(namedOneOf("setUseClientMode", "setNeedClientAuth", "setWantClientAuth")
                .and(takesArguments(1)),
            ServerClientAuthInstrumentation.class.getName() + "$ModeChangeAdvice")
        .advice(named("accept").and(takesArguments(0)),
            ServerClientAuthInstrumentation.class.getName() + "$AcceptAdvice");
  }

  /** After a mode or client-auth change: demand the client SVID again if now a server. */
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
