package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import javax.net.ssl.SSLSession;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Libraries that verify the hostname themselves after the handshake (OkHttp's
 * {@code OkHostnameVerifier}, Apache HttpClient 4 and 5's {@code DefaultHostnameVerifier}) would
 * refuse every SVID, which carries a SPIFFE ID and no DNS name. For a session whose SVID a Lanyard
 * trust manager accepted as the identity of this very host (a mesh destination, secure naming
 * passed), that replaces the DNS check; an SVID accepted for another host, and every other peer,
 * is still judged by the library's own rules.
 */
public final class HostnameVerifierInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "library-hostname-verifiers";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of(
        "okhttp3.internal.tls.OkHostnameVerifier",
        "org.apache.hc.client5.http.ssl.DefaultHostnameVerifier",
        "org.apache.http.conn.ssl.DefaultHostnameVerifier");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("verify").and(takesArguments(2)).and(takesArgument(0, String.class))
                .and(takesArgument(1, SSLSession.class))
                .and(returns(boolean.class)),
            HostnameVerifierInstrumentation.class.getName() + "$VerifyAdvice");
  }

  /** Turns a DNS mismatch into success only for a SPIFFE peer Lanyard accepted for this host. */
  public static final class VerifyAdvice {
    private VerifyAdvice() {}

    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void exit(
        @Advice.Argument(0) String host,
        @Advice.Argument(1) SSLSession session,
        @Advice.Return(readOnly = false) boolean verified) {
      if (!verified && LanyardBridge.isAuthorizedSpiffePeer(host, session)) {
        verified = true;
      }
    }
  }
}
