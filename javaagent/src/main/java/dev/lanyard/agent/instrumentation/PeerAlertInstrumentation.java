package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * A server that refuses our X.509-SVID answers with a TLS alert, and JSSE turns it into an
 * exception reading only "Received fatal alert: certificate_unknown". Every received fatal alert
 * passes {@code sun.security.ssl.TransportContext.fatal(alert, diagnostic, recvFatalAlert=true,
 * cause)} (JDK 11 to 25), whose {@code diagnostic} becomes the exception's message: Lanyard
 * rewords it there to name the peer, the alert and the likely cause (and logs and audits it once).
 */
public final class PeerAlertInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "peer-alert";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("sun.security.ssl.TransportContext");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("fatal").and(takesArguments(4)).and(takesArgument(2, boolean.class)),
            PeerAlertInstrumentation.class.getName() + "$FatalAdvice");
  }

  /** Before JSSE builds the exception of a received fatal alert: Lanyard's words for it. */
  public static final class FatalAdvice {
    private FatalAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(
        @Advice.Argument(value = 1, readOnly = false) String diagnostic,
        @Advice.Argument(2) boolean received,
        @Advice.FieldValue("transport") Object transport) {
      if (received) {
        diagnostic = LanyardBridge.refusedByPeer(transport, diagnostic);
      }
    }
  }
}
