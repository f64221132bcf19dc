package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.net.URLConnection;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * {@code HttpsURLConnection}: the JDK's implementation delegates to {@code
 * sun.net.www.protocol.http.HttpURLConnection}, whose private {@code writeRequests()} (JDK 8 to
 * 25) assembles the request headers just before they go on the wire, once per request
 * ({@code setRequests} false), again after a redirect with the new URL. The JWT-SVID goes into
 * those headers, for the URL of this very request; the JDK drops Authorization on a redirect to
 * another destination.
 */
public final class HttpUrlConnectionJwtInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "https-url-connection-jwt";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("sun.net.www.protocol.http.HttpURLConnection");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("writeRequests").and(takesArguments(0)),
            HttpUrlConnectionJwtInstrumentation.class.getName() + "$WriteRequestsAdvice");
  }

  /** Adds the header to the request headers about to be written. */
  public static final class WriteRequestsAdvice {
    private WriteRequestsAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(
        @Advice.This URLConnection connection,
        @Advice.FieldValue("requests") Object requests,
        @Advice.FieldValue("setRequests") boolean setRequests) {
      if (!setRequests) {
        LanyardBridge.urlConnectionHeaders(connection.getURL(), requests);
      }
    }
  }
}
