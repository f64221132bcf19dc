package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * OkHttp 3.14 to 5: {@code Exchange.writeRequestHeaders(request)} writes each network request
 * (after the application's and OkHttp's own interceptors, once per redirect or retry, with that
 * request's URL). Only what is written gets the JWT-SVID: the application's {@code Request}, the
 * one OkHttp copies for follow-ups and hands back in {@code Response.request()}, stays as it was.
 */
public final class OkHttpJwtInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "okhttp-jwt";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("okhttp3.internal.connection.Exchange");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("writeRequestHeaders").and(takesArguments(1)),
            OkHttpJwtInstrumentation.class.getName() + "$WriteHeadersAdvice");
  }

  /** Replaces the request whose headers are written. */
  public static final class WriteHeadersAdvice {
    private WriteHeadersAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(
        @Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC)
            Object request) {
      request = LanyardBridge.okHttpRequest(request);
    }
  }
}
