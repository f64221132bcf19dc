package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Apache HttpClient 5, classic API: every request, redirect and retry is written by HttpCore 5's
 * {@code HttpRequestExecutor.execute(request, connection, informationCallback, context)}, which
 * knows the connection (so whether it really is TLS). The JWT-SVID header is added for the
 * exchange and removed after it, so the application's request object is left as it was (a reused
 * request gets a fresh token, never a stale one taken for the application's own header).
 */
public final class ApacheHttpClientJwtInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "apache-httpclient5-jwt";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("org.apache.hc.core5.http.impl.io.HttpRequestExecutor");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("execute").and(takesArguments(4)),
            ApacheHttpClientJwtInstrumentation.class.getName() + "$ExecuteAdvice");
  }

  /** Adds the header before the exchange and removes it after. */
  public static final class ExecuteAdvice {
    private ExecuteAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static Object enter(@Advice.Argument(0) Object request,
        @Advice.Argument(1) Object connection) {
      return LanyardBridge.apacheRequest(request, connection);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void exit(@Advice.Argument(0) Object request, @Advice.Enter Object header) {
      if (header != null) {
        LanyardBridge.apacheRequestDone(request, header);
      }
    }
  }
}
