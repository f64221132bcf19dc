package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * JDK {@code java.net.http.HttpClient}: every {@code send}/{@code sendAsync} ends in {@code
 * HttpClientImpl.sendAsync(request, handler, pushHandler, executor)} (JDK 11 to 25), where the
 * application's request is swapped for a copy carrying the JWT-SVID when its host is due one. The
 * JDK itself drops Authorization on a redirect to another origin.
 */
public final class JdkHttpClientJwtInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "jdk-httpclient-jwt";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("jdk.internal.net.http.HttpClientImpl");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("sendAsync").and(takesArguments(4))
                .and(takesArgument(0, named("java.net.http.HttpRequest"))),
            JdkHttpClientJwtInstrumentation.class.getName() + "$SendAdvice");
  }

  /** Replaces the request argument. */
  public static final class SendAdvice {
    private SendAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(
        @Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC)
            Object request) {
      request = LanyardBridge.jdkHttpRequest(request);
    }
  }
}
