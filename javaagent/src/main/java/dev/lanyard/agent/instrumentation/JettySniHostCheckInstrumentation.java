package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Jetty's {@code SecureRequestCustomizer} answers "400 Invalid SNI" when the host a client asked
 * for is not a DNS name of the server's own certificate ({@code X509.matches(host)}). A server
 * presenting its SVID has no DNS names; the client authorized it by SPIFFE ID, so for the
 * workload's own SVID the match succeeds. Any other certificate is matched as Jetty does.
 */
public final class JettySniHostCheckInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "jetty-sni-host-check";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("org.eclipse.jetty.util.ssl.X509");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("matches").and(takesArguments(1)).and(returns(boolean.class)),
            JettySniHostCheckInstrumentation.class.getName() + "$MatchesAdvice");
  }

  /** Accepts any SNI host for the workload's own SVID. */
  public static final class MatchesAdvice {
    private MatchesAdvice() {}

    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void exit(@Advice.This Object x509, @Advice.Return(readOnly = false) boolean matches) {
      if (!matches && LanyardBridge.isOwnSvid(x509)) {
        matches = true;
      }
    }
  }
}
